/**
 * An open-loop load at a steady rate: request i is due at start + i / rate, whatever happened to
 * the ones before it, sent over a pool of keep-alive connections. autocannon's overallRate sends
 * each second's share back to back at the start of the second, which measures bursts of queueing
 * rather than a steady 1,000 requests a second. Latency is taken from when a request was due, so
 * a stall of the target is not hidden by requests that were sent late (coordinated omission).
 */
import { Agent, request } from 'node:http';
import type { Request } from './more.js';

export interface SteadyResult {
  requests: number; 'req/s': number; 'p50 ms': number; 'p99 ms': number; 'max ms': number; non2xx: number; errors: number;
  /** Share of one core the sending process used: what the load takes from the target's machine. */
  senderCpu: number;
}

export async function steadyRate(url: string, options: { rate: number; seconds: number; sockets: number }, make: () => Request): Promise<SteadyResult> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.sockets });
  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  const trace: [number, number][] = [];
  let non2xx = 0;
  let errors = 0;
  let due = 0;
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  await new Promise<void>((resolve) => {
    let finished = 0;
    const done = () => {
      finished += 1;
      if (finished === total) resolve();
    };
    const tick = () => {
      const now = performance.now();
      while (due < total && start + (due * 1000) / options.rate <= now) {
        const dueAt = start + (due * 1000) / options.rate;
        const made = make();
        const req = request(
          { host: target.hostname, port: target.port, path: made.path, method: made.method ?? 'POST', headers: made.headers, agent },
          (res) => {
            res.resume();
            res.on('end', () => {
              latencies.push(performance.now() - dueAt);
              if (process.env.BENCH_TRACE) trace.push([Math.floor((dueAt - start) / 1000), performance.now() - dueAt]);
              if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx += 1;
              done();
            });
          },
        );
        req.on('error', () => {
          errors += 1;
          done();
        });
        req.end(made.body);
        due += 1;
      }
      // Sleep until the next request falls due. A setImmediate loop would spin a whole core of
      // this 2-core machine, taking it from the target and Redis (which a sender on another host
      // would not do); a timer fires within about a millisecond of when it is asked to.
      if (due < total) setTimeout(tick, Math.max(0, start + (due * 1000) / options.rate - performance.now()));
    };
    tick();
  });
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const senderCpu = Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2));
  agent.destroy();
  if (process.env.BENCH_TRACE) for (let sec = 0; sec < options.seconds; sec += 1) { const xs = trace.filter(([s]) => s === sec).map(([, l]) => l).sort((a, b) => a - b); console.log('second', sec, 'p50', xs[Math.floor(xs.length / 2)]?.toFixed(1), 'p99', xs[Math.floor(xs.length * 0.99)]?.toFixed(1), 'max', xs.at(-1)?.toFixed(1)); }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1));
  return { requests: total, 'req/s': Math.round(total / seconds), 'p50 ms': at(0.5), 'p99 ms': at(0.99), 'max ms': at(1), non2xx, errors, senderCpu };
}
