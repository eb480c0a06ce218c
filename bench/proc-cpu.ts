import { readdirSync, readFileSync } from 'node:fs';

/**
 * utime + stime in seconds of a process's main thread and of all its other threads (libuv's pool,
 * V8's helpers), from /proc (Linux). A thread that ended meanwhile is left out.
 */
export function cpuByThread(pid: number): { main: number; other: number } {
  const out = { main: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid === String(pid) ? 'main' : 'other'] += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the thread ended
    }
  }
  return out;
}
