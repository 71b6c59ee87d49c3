/**
 * The JIT endpoints as Azure Functions (Node.js programming model v4): Azure AD B2C's sign-in (claims mode) and
 * the generic JSON protocol, on the bundled demo users. This file cannot start the Functions runtime: it exports
 * the two function handlers, and when run directly it calls the B2C one once with a request shaped like the
 * v4 HttpRequest the host passes (url, method, Headers, arrayBuffer(), X-Forwarded-For set by Azure's front
 * end) and prints the HttpResponseInit it got back.
 *
 *   JIT_API_KEY=change-me-to-16-chars-or-more npx tsx examples/jit-azure-functions.ts
 *
 * In a function app (npm install @azure/functions):
 *
 *   import { app } from '@azure/functions';
 *   import { b2cSignIn, verify } from './jit-azure-functions.js';
 *   // anonymous: the caller proves itself with the API key the handler checks (B2C's ApiKeyHeader).
 *   app.http('b2c-signin', { methods: ['POST'], authLevel: 'anonymous', route: 'b2c/signin', handler: b2cSignIn });
 *   app.http('verify', { methods: ['POST'], authLevel: 'anonymous', route: 'verify', handler: verify });
 *
 * then, with `func start`:
 *
 *   curl -si http://localhost:7071/api/b2c/signin -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"signInName":"alice","password":"Wonderland-2024"}'
 *   curl -si http://localhost:7071/api/verify -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 */
import { azureFunctionsJitHandler } from 'legacy-idp/jit';
import { isMainModule, startJitDemo } from './jit-demo.js';

const demo = await startJitDemo();

export const b2cSignIn = azureFunctionsJitHandler(demo.b2cSignIn);
export const verify = azureFunctionsJitHandler(demo.verify);

if (isMainModule(import.meta.url)) {
  // The v4 HttpRequest is built on the fetch Request, so a Request has every member the adapter reads.
  const request = new Request('https://contoso-jit.azurewebsites.net/api/b2c/signin', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': demo.apiKey, 'x-forwarded-for': '203.0.113.7:51234' },
    body: JSON.stringify({ signInName: 'alice', password: 'Wonderland-2024' }),
  });
  console.log(JSON.stringify(await b2cSignIn(request)));
  await demo.close();
}
