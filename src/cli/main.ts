import { createInterface } from 'node:readline/promises';
import { runCli } from './program.js';
import { openQueueFromEnv } from './store.js';

/** Entry point: `npm run cli -- failed list|show|retry|purge` and `send` (`--help` on every command). */
process.exitCode = await runCli(process.argv.slice(2), {
  openQueue: (target) => openQueueFromEnv(process.env, target),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: Boolean(process.stdin.isTTY),
  async confirm(question) {
    // Asked on stderr, so stdout stays the command's output.
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await prompt.question(question)).trim());
    } finally {
      prompt.close();
    }
  },
});
