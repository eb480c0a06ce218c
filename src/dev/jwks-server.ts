import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonWebKey } from 'node:crypto';

/**
 * Development mode's stand-in for Kakao's JWKS: the development public key, served on 127.0.0.1
 * only, on a port of its own. It runs before the service starts, so the service fetches it at
 * start-up exactly as it fetches Kakao's, through the same KAKAO_JWKS_URI setting and the same
 * key resolver; nothing in the service knows development mode exists.
 */
export interface DevJwksServer {
  /** What KAKAO_JWKS_URI is set to. */
  url: string;
  close(): Promise<void>;
}

export const DEV_JWKS_PATH = '/.well-known/jwks.json';

export async function startDevJwksServer(publicKey: JsonWebKey): Promise<DevJwksServer> {
  const body = JSON.stringify({ keys: [publicKey] });
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== DEV_JWKS_PATH) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${DEV_JWKS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
