import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where a listening server is reached, e.g. `http://127.0.0.1:3000`: a wildcard address (every
 * interface) is given as loopback, an IPv6 address in brackets.
 */
export function listeningUrl(server: Server): { url: string; port: number } {
  const { address, family, port } = server.address() as AddressInfo;
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : family === 'IPv6' ? `[${address}]` : address;
  return { url: `http://${host}:${port}`, port };
}
