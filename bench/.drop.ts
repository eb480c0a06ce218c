import { Redis } from 'ioredis';
const r = new Redis('redis://127.0.0.1:6379');
let n = 0;
for (const pattern of ['{bull}:cpu-*', '{bull}:prof-*', '{bull}:bench-*']) {
  let cursor = '0';
  do { const [c, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 5000); cursor = c; if (keys.length) n += await r.unlink(...keys); } while (cursor !== '0');
}
console.log('dropped', n, 'left', await r.dbsize());
r.disconnect();
