/**
 * The JIT endpoints under Express 5: Azure AD B2C's sign-in (claims mode) and the generic JSON protocol, on the
 * bundled demo users. Prints its URL first, then the API key and calls to try.
 *
 *   PORT=3000 JIT_API_KEY=change-me-to-16-chars-or-more npx tsx examples/jit-express.ts
 *   curl -si http://127.0.0.1:3000/api/b2c/signin -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"signInName":"alice","password":"Wonderland-2024"}'
 *   curl -si http://127.0.0.1:3000/api/verify -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressJitRoute } from 'legacy-idp/jit';
import { startJitDemo, tryLines } from './jit-demo.js';

const demo = await startJitDemo();

const app = express();
app.disable('x-powered-by');
// No body parser in front of these routes: the raw body streams to the endpoint, which applies its own size
// limit. An app-wide express.json() works too; the adapter then serializes the parsed body again.
app.post('/api/b2c/signin', expressJitRoute(demo.b2cSignIn));
app.post('/api/verify', expressJitRoute(demo.verify));

// Loopback only: the demo answers whether a password is right, for anyone holding the key.
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', (error) => {
  if (error) throw error;
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
