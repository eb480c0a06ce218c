import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port to a real server, which a test can cut and restore: the
 * store "goes down" for the service without stopping the machine's shared server.
 */
export interface TcpProxy {
  port: number;
  /** Refuse new connections and reset the open ones. */
  cut(): Promise<void>;
  /** Accept connections but never pass a byte either way: a store that hangs. */
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let swallowing = false;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        if (swallowing) {
          sockets.add(client);
          client.on('error', () => client.destroy());
          return;
        }
        const upstream = connect(targetPort, targetHost);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    blackhole() {
      swallowing = true;
      for (const socket of sockets) socket.pause(); // open connections go silent too
    },
    restore: listen,
    close: stop,
  };
}
