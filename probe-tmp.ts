import { pino } from 'pino';
import { mkdtempSync } from 'node:fs';
import { createEmbeddedBackend } from './src/queue/backends/embedded-backend.js';
const dir = mkdtempSync('/tmp/cli-lock-');
const t0 = Date.now();
const b = await createEmbeddedBackend(dir, pino({ level: 'silent' }));
console.log('opened', dir, Date.now() - t0);
await new Promise((r) => setTimeout(r, 25000));
await b.close();
