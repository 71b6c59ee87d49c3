/**
 * The JIT endpoints under Fastify 5: Azure AD B2C's sign-in (claims mode) and the generic JSON protocol, on the
 * bundled demo users. Prints its URL first, then the API key and calls to try.
 *
 *   PORT=3000 JIT_API_KEY=change-me-to-16-chars-or-more npx tsx examples/jit-fastify.ts
 *   curl -si http://127.0.0.1:3000/api/b2c/signin -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"signInName":"alice","password":"Wonderland-2024"}'
 *   curl -si http://127.0.0.1:3000/api/verify -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 */
import Fastify from 'fastify';
import { fastifyJitPlugin } from 'legacy-idp/jit';
import { startJitDemo, tryLines } from './jit-demo.js';

const demo = await startJitDemo();

const app = Fastify();
// Each registration is its own scope, whose routes get the raw body; the app's other routes keep Fastify's parsers.
await app.register(fastifyJitPlugin, { path: '/api/b2c/signin', handler: demo.b2cSignIn });
await app.register(fastifyJitPlugin, { path: '/api/verify', handler: demo.verify });
app.get('/healthz', () => ({ status: 'ok' }));

// Loopback only: the demo answers whether a password is right, for anyone holding the key.
const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(url);
console.log(tryLines(url, demo).join('\n'));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => demo.close());
  });
}
