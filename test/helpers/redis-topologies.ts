import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './redis-server.js';

/**
 * Redis topologies of a test's own, on free ports of 127.0.0.1, from Debian's redis-server and
 * redis-sentinel (no Docker): a 3-master Cluster and a master with replicas behind 3 sentinels.
 * Every process is started by the test and stopped by its process id.
 */

export interface Address {
  host: string;
  port: number;
}

/** One redis-server (or redis-sentinel) process the test owns. */
export interface OwnNode extends Address {
  readonly pid: number | undefined;
  /** SIGKILL: the process dies at once, as in a crash. */
  kill(): Promise<void>;
  /** Starts the process again with the same arguments (after kill()). */
  restart(): Promise<void>;
  /** Whether the process runs. */
  readonly alive: boolean;
}

const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startNode(command: string, args: string[], port: number): Promise<OwnNode> {
  let child: ChildProcess | undefined;
  const node: OwnNode = {
    host: '127.0.0.1',
    port,
    get pid() {
      return child?.pid;
    },
    get alive() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (!node.alive) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child!.kill('SIGKILL');
      await exited;
    },
    async restart() {
      child = spawn(command, args, { stdio: 'ignore' });
      await until(`${command} on port ${port}`, () => cli(port, 'ping') === 'PONG');
    },
  };
  await node.restart();
  return node;
}

const dataArgs = (dir: string) => ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];

export interface OwnCluster {
  nodes: OwnNode[];
  /** REDIS_CLUSTER_NODES for this cluster: every master, comma-separated host:port. */
  seeds: string;
  stop(): Promise<void>;
}

/** A Redis Cluster of `masters` masters (each with `replicasPerMaster` replicas), every slot covered. */
export async function startRedisCluster({ masters = 3, replicasPerMaster = 0 } = {}): Promise<OwnCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const nodes: OwnNode[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicasPerMaster); i += 1) {
      const port = await freePort();
      const args = ['--port', String(port), ...dataArgs(dir), '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'];
      nodes.push(await startNode('redis-server', args, port));
    }
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await until('cluster_state:ok on every node', () => nodes.every(({ port }) => /cluster_state:ok/.test(cli(port, 'cluster', 'info'))));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes,
    seeds: nodes.slice(0, masters).map(({ host, port }) => `${host}:${port}`).join(','),
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnSentinelSetup {
  /** The data nodes: the first one starts as master, the others as its replicas. */
  nodes: OwnNode[];
  sentinels: OwnNode[];
  masterName: string;
  /** REDIS_SENTINELS for this setup. */
  sentinelAddresses: string;
  /** The master the sentinels name now. */
  currentMaster(): Address;
  /** The data node that is master now, by the sentinels' word. */
  masterNode(): OwnNode;
  /** SENTINEL FAILOVER: the sentinels promote a replica and demote the master, without waiting for consent. */
  failover(): void;
  /** Resolves once the sentinels name a master other than `previous` and it answers as master. */
  waitForNewMaster(previous: Address, ms?: number): Promise<Address>;
  stop(): Promise<void>;
}

/**
 * A master with `replicas` replicas watched by `sentinels` sentinels (quorum: a majority). A
 * master is judged down after 1 s without answers, so a killed master is replaced within a few
 * seconds.
 */
export async function startRedisSentinel({ replicas = 2, sentinels = 3, masterName = 'receiver' } = {}): Promise<OwnSentinelSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
  const nodes: OwnNode[] = [];
  const watchers: OwnNode[] = [];
  const stopAll = async () => {
    await Promise.all([...watchers, ...nodes].map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const masterPort = await freePort();
    nodes.push(await startNode('redis-server', ['--port', String(masterPort), ...dataArgs(dir), '--dbfilename', `dump-${masterPort}.rdb`], masterPort));
    for (let i = 0; i < replicas; i += 1) {
      const port = await freePort();
      // repl-diskless-load: a replica that resyncs loads from the socket, not from a file in the shared dir.
      const args = ['--port', String(port), ...dataArgs(dir), '--dbfilename', `dump-${port}.rdb`, '--replicaof', '127.0.0.1', String(masterPort), '--replica-announce-ip', '127.0.0.1'];
      nodes.push(await startNode('redis-server', args, port));
    }
    await until('replicas in sync', () => new RegExp(`connected_slaves:${replicas}`).test(cli(masterPort, 'info', 'replication')) && nodes.slice(1).every(({ port }) => /master_link_status:up/.test(cli(port, 'info', 'replication'))));
    const quorum = Math.floor(sentinels / 2) + 1;
    for (let i = 0; i < sentinels; i += 1) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its own configuration file as it learns: it must be writable.
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      watchers.push(await startNode('redis-sentinel', [file], port));
    }
    await until('sentinels to see every replica and each other', () =>
      watchers.every(({ port }) => {
        const info = cli(port, 'info', 'sentinel');
        return new RegExp(`slaves=${replicas},sentinels=${sentinels}`).test(info);
      }),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  const askSentinels = (): Address | undefined => {
    for (const sentinel of watchers) {
      if (!sentinel.alive) continue;
      const [host, port] = cli(sentinel.port, 'sentinel', 'get-master-addr-by-name', masterName).split('\n');
      if (host && port) return { host, port: Number(port) };
    }
    return undefined;
  };
  const setup: OwnSentinelSetup = {
    nodes,
    sentinels: watchers,
    masterName,
    sentinelAddresses: watchers.map(({ host, port }) => `${host}:${port}`).join(','),
    currentMaster() {
      const master = askSentinels();
      if (!master) throw new Error('no sentinel names a master');
      return master;
    },
    masterNode() {
      const { port } = setup.currentMaster();
      return nodes.find((node) => node.port === port)!;
    },
    failover() {
      const answer = cli(watchers[0]!.port, 'sentinel', 'failover', masterName);
      if (answer !== 'OK') throw new Error(`SENTINEL FAILOVER answered ${answer}`);
    },
    async waitForNewMaster(previous, ms = 20_000) {
      let found: Address | undefined;
      await until('a new master', () => {
        const master = askSentinels();
        if (!master || master.port === previous.port) return false;
        if (!/^role:master/m.test(cli(master.port, 'info', 'replication'))) return false;
        found = master;
        return true;
      }, ms);
      return found!;
    },
    stop: stopAll,
  };
  return setup;
}
