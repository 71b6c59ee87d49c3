/**
 * The JIT endpoints under Hono 4: Azure AD B2C's sign-in (claims mode) and the generic JSON protocol, on the
 * bundled demo users. Prints its URL first, then the API key and calls to try.
 *
 *   PORT=3000 JIT_API_KEY=change-me-to-16-chars-or-more npx tsx examples/jit-hono.ts
 *   curl -si http://127.0.0.1:3000/api/b2c/signin -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"signInName":"alice","password":"Wonderland-2024"}'
 *   curl -si http://127.0.0.1:3000/api/verify -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 *
 * In production Hono on Node runs under @hono/node-server (`serve({ fetch: app.fetch })`). This example serves
 * `app.fetch` through node:http with legacy-idp's own glue instead, passing `{ incoming, outgoing }` as the env
 * the way @hono/node-server does, so honoJitRoute finds the peer's address on the socket.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { clientGoneSignal, honoJitRoute, requestFromNode, writeNodeResponse } from 'legacy-idp/jit';
import { startJitDemo, tryLines } from './jit-demo.js';

const demo = await startJitDemo();

const app = new Hono();
app.post('/api/b2c/signin', honoJitRoute(demo.b2cSignIn));
app.post('/api/verify', honoJitRoute(demo.verify));

const server = createServer((incoming, outgoing) => {
  const request = requestFromNode(incoming, clientGoneSignal(outgoing));
  Promise.resolve(app.fetch(request, { incoming, outgoing }))
    .then((response) => writeNodeResponse(response, outgoing))
    .catch(() => {
      if (!outgoing.headersSent) outgoing.writeHead(500, { 'content-type': 'application/json' });
      outgoing.end('{"error":"server_error"}');
    });
});

// Loopback only: the demo answers whether a password is right, for anyone holding the key.
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(url);
  console.log(tryLines(url, demo).join('\n'));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void demo.close();
  });
}
