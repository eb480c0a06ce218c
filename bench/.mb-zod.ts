import { logtoPayloadSchema } from '../src/providers/logto/payload-schemas.js';
import { userDataUpdated } from '../test/helpers/logto-signer.js';
import { z } from 'zod';
const p = userDataUpdated();
const s = logtoPayloadSchema('logto.User.Data.Updated');
const N = 100000;
const time = (name: string, f: () => unknown) => { for (let i = 0; i < 3000; i++) f(); const t = performance.now(); for (let i = 0; i < N; i++) f(); console.log(name.padEnd(28), ((performance.now() - t) * 1000 / N).toFixed(2), 'µs'); };
const dt = z.iso.datetime({ offset: true });
const loose = z.looseObject({ event: z.string(), createdAt: z.string() });
const strictish = z.object({ event: z.string(), createdAt: z.string() }).catchall(z.unknown());
for (let r = 0; r < 2; r++) {
  time('logto data schema', () => s.safeParse(p));
  time('iso datetime', () => dt.safeParse(p.createdAt));
  time('looseObject 2 fields', () => loose.safeParse(p));
  time('object+catchall 2 fields', () => strictish.safeParse(p));
  time('JSON.parse body', () => JSON.parse(JSON.stringify(p)));
}
