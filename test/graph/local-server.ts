/**
 * A scripted HTTP server on 127.0.0.1 for what the Graph emulator does not play: a redirecting host, the host a
 * redirect points to (recording whether anything reached it), a proxy answering HTML, an endless body.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LocalServer {
  url: string;
  /** Every request received, body included. */
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startLocalServer(answer: (request: ReceivedRequest, res: ServerResponse, req: IncomingMessage) => void): Promise<LocalServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      answer(request, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A credential for clients of a scripted server, which has no token endpoint. */
export const fixedCredential = { getToken: () => Promise.resolve({ token: 'scripted-token', expiresAt: Date.now() + 3_600_000 }) };
