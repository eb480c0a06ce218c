import { Command, InvalidArgumentError } from 'commander';
import { EXIT_USAGE } from '../exit-codes.js';
import { sendCredentials } from './credentials.js';
import type { JsonObject } from './deep-merge.js';
import { sendSettingsOf } from './send-env.js';
import { SendError } from './send-error.js';
import { buildTestRequest, DEFAULT_USERS, isEventName, providerOf, sendableEvents, userProblem } from './test-events.js';

/**
 * `send <event-name> [--user <id>] [--data <json>] [--to <url>]` and `send --list`: delivers a
 * valid test event of any typed name to a receiver, signed or authenticated as its provider
 * would (src/cli/send/credentials.ts says with which key), and reports the answer. Exit 0 on a
 * 2xx answer, 1 on any other answer or none, 2 on bad usage.
 */
export interface SendDeps {
  /** The environment, read only through send-env.ts. */
  env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
}

/** Longest wait for the receiver's answer; a receiver answers within about 2.5 s or says 503. */
const ANSWER_TIMEOUT_MS = 10_000;

function jsonObject(value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"reason":"bulk-account"}\'');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object, not an array or a single value');
  return parsed as JsonObject;
}

function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL, e.g. http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http(s) URL, e.g. http://127.0.0.1:3000');
  return url.href.replace(/\/+$/, '');
}

export function registerSendCommand(program: Command, deps: SendDeps): void {
  program
    .command('send')
    .description('send a valid test event of any typed name to the receiver (npm run dev, or a deployed instance)')
    .argument('[event-name]', 'a typed event name, e.g. kakao.account-disabled or logto.User.Deleted (send --list shows them all)')
    .option('--list', 'list every event name, by provider, with the path it is sent to')
    .option('--user <id>', `the user the event is about (default ${DEFAULT_USERS.kakao} for Kakao, ${DEFAULT_USERS.logto} for Logto; Kakao ids are decimal)`)
    .option('--data <json>', "a JSON object merged into the event's data, objects key by key (e.g. '{\"reason\":\"bulk-account\"}')", jsonObject)
    .option('--to <url>', 'the receiver\'s base URL (default http://127.0.0.1:$PORT, PORT defaulting to 3000)', baseUrl)
    .addHelpText(
      'after',
      [
        '',
        'Kakao account status events are SETs signed with the development key that npm run dev keeps in',
        'DATA_DIR/dev/secrets.json; only development mode trusts it. Kakao admin webhooks carry KAKAO_ADMIN_KEYS',
        '(and KAKAO_APP_ID), Logto events are signed with LOGTO_SIGNING_KEYS, each when set, else the development key.',
        'Each send is a new event, except kakao.unlinked: the same user again within KAKAO_UNLINK_DEDUPE_SECONDS',
        'is acknowledged as a redelivery and not queued again.',
        '',
        'Exit codes: 0 the receiver answered 2xx, 1 it answered otherwise or not at all, 2 bad usage.',
      ].join('\n'),
    )
    .action(async (name: string | undefined, options: { list?: boolean; user?: string; data?: JsonObject; to?: string }, command: Command) => {
      const usage: (message: string) => never = (message) => command.error(`error: ${message}`, { exitCode: EXIT_USAGE, code: 'cli.usage' });
      if (options.list) {
        if (name !== undefined) usage('give an event name or --list, not both');
        return deps.out(listing());
      }
      if (name === undefined) usage('give an event name (send --list shows them all)');
      if (!isEventName(name)) usage(`"${name}" is not a typed event name (send --list shows them all)`);
      const event = name;
      const user = options.user ?? DEFAULT_USERS[providerOf(event)];
      const problem = userProblem(event, user);
      if (problem) usage(`--user: ${problem}`);

      const settings = sendSettingsOf(deps.env);
      const request = await buildTestRequest(event, { user, data: options.data ?? {}, now: new Date() }, sendCredentials(settings));
      const url = `${options.to ?? settings.defaultBaseUrl}${request.path}`;
      let response: Response;
      try {
        response = await fetch(url, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
      } catch (error) {
        const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
        throw new SendError('ERR_SEND_UNREACHABLE', `no answer from ${url} (${reason}): is npm run dev running, or is --to right?`);
      }
      const body = (await response.text()).trim();
      deps.out(`${response.status} ${response.statusText}  ${request.method} ${url}  ${event} (user ${user})`);
      if (!response.ok) {
        throw new SendError('ERR_SEND_REFUSED', `the receiver answered ${response.status}${body ? `: ${body}` : ''}`);
      }
    });
}

function listing(): string {
  const groups = sendableEvents();
  const width = Math.max(...groups.flatMap(({ events }) => events.map((event) => event.name.length)));
  const lines: string[] = [];
  for (const { provider, events } of groups) {
    lines.push(`${provider} (${events.length})`);
    for (const event of events) lines.push(`  ${event.name.padEnd(width)}  POST ${event.path}`);
  }
  return lines.join('\n');
}
