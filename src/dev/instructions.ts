import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from '../cli/send/send-env.js';
import { DEFAULT_USERS } from '../cli/send/test-events.js';

/**
 * What development mode prints once it listens: the exact commands that send test events to it
 * and read the account state back, ready to paste into another terminal. A non-default DATA_DIR
 * or address is spelled out in each command, so `send` finds the same secrets and the same service.
 */
export interface InstructionsInput {
  /** Where the service answers, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** The data directory as configured (relative paths are resolved for display). */
  dataDir: string;
  secretsPath: string;
  accountApiToken: string;
  dashboard: { user: string; password: string };
  kid: string;
  jwksUrl: string;
  /** An instant before any test event: sessions issued then are allowed until an event says otherwise. */
  sessionIssuedAt: Date;
}

/** What `send` assumes without DATA_DIR, PORT and --to: printed commands add only what differs. */
const SEND_DEFAULTS = { dataDir: DEFAULT_DATA_DIR, baseUrl: `http://127.0.0.1:${DEFAULT_PORT}` };

const SHELL_SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;
export const shellQuote = (value: string) => (SHELL_SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);

export function devInstructions(input: InstructionsInput): string {
  const dataDir = resolve(input.dataDir);
  const envPrefix = dataDir === resolve(SEND_DEFAULTS.dataDir) ? '' : `DATA_DIR=${shellQuote(dataDir)} `;
  const toOption = input.baseUrl === SEND_DEFAULTS.baseUrl ? '' : ` --to ${shellQuote(input.baseUrl)}`;
  const cli = (args: string) => `  ${envPrefix}npm run cli -- ${args}`;
  const send = (args: string) => cli(`send ${args}${toOption}`);
  const bearer = `-H ${shellQuote(`authorization: Bearer ${input.accountApiToken}`)}`;
  const account = (provider: 'kakao' | 'logto') => `${input.baseUrl}/v1/accounts/${provider}/${DEFAULT_USERS[provider]}`;
  const issuedAt = input.sessionIssuedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');

  return [
    '',
    `Development mode: listening on ${input.baseUrl}, events stored in ${dataDir}.`,
    `Every endpoint is enabled with the development secrets in ${input.secretsPath}.`,
    `Kakao tokens are verified against the development key ${input.kid} (served at ${input.jwksUrl}), trusted only in development mode.`,
    '',
    'Send test events from another terminal:',
    cli('send --list'),
    send(`kakao.account-disabled --user ${DEFAULT_USERS.kakao}`),
    send(`logto.User.Deleted --user ${DEFAULT_USERS.logto}`),
    'Each is logged here as accepted ("SET accepted", "Kakao webhook accepted", "Logto event accepted"),',
    'then as handled by the worker ("account state updated").',
    '',
    'Read the account state and check a session issued before the events:',
    `  curl ${bearer} ${account('kakao')}`,
    `  curl ${bearer} ${shellQuote(`${account('kakao')}/sessions/check?issuedAt=${issuedAt}`)}`,
    `  curl ${bearer} ${shellQuote(`${account('logto')}/sessions/check?issuedAt=${issuedAt}`)}`,
    '',
    `Queue dashboard: ${input.baseUrl}/admin/queues (user ${input.dashboard.user}, password ${input.dashboard.password})`,
    '',
  ].join('\n');
}
