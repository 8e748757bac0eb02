// A small real HTTP server on port 0 for the target tests: it reads each request's whole body
// and hands it to the test's handler, which answers; the tests stand in for a platform's API.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type BodyHandler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

export async function startBodyServer(
  handler: BodyHandler,
  path = '/api/users/import',
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
