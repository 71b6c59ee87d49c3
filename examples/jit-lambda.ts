/**
 * The JIT endpoints as AWS Lambda functions behind an API Gateway HTTP API (payload format 2.0) or a function
 * URL: Azure AD B2C's sign-in (claims mode) and the generic JSON protocol, on the bundled demo users. This file
 * cannot start Lambda: it exports the two handlers, and when run directly it calls the B2C one once with an
 * event shaped like the documented 2.0 payload and prints the result it got back.
 *
 *   JIT_API_KEY=change-me-to-16-chars-or-more npx tsx examples/jit-lambda.ts
 *
 * Deployed (bundled with esbuild, handler `jit-lambda.handler` for POST /api/b2c/signin and
 * `jit-lambda.verifyHandler` for POST /api/verify, payload format 2.0, JIT_API_KEY in the function's environment):
 *
 *   curl -si https://<api-id>.execute-api.<region>.amazonaws.com/api/b2c/signin -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"signInName":"alice","password":"Wonderland-2024"}'
 *   curl -si https://<api-id>.execute-api.<region>.amazonaws.com/api/verify -H "x-api-key: $JIT_API_KEY" -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 */
import { lambdaJitHandler } from 'legacy-idp/jit';
import { isMainModule, startJitDemo } from './jit-demo.js';

// Top-level await runs once per cold start: the export file is read then, not on each call.
const demo = await startJitDemo();

export const handler = lambdaJitHandler(demo.b2cSignIn);
export const verifyHandler = lambdaJitHandler(demo.verify);

if (isMainModule(import.meta.url)) {
  const body = JSON.stringify({ signInName: 'alice', password: 'Wonderland-2024' });
  // The whole event as API Gateway sends it; the adapter reads the parts its LambdaHttpEventLike type names.
  const event = {
    version: '2.0',
    routeKey: 'POST /api/b2c/signin',
    rawPath: '/api/b2c/signin',
    rawQueryString: '',
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-api-key': demo.apiKey,
      'x-forwarded-for': '203.0.113.7',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      http: { method: 'POST', path: '/api/b2c/signin', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: 'POST /api/b2c/signin',
      stage: '$default',
      time: '12/Mar/2026:19:03:58 +0000',
      timeEpoch: 1_773_342_238_000,
    },
    body,
    isBase64Encoded: false,
  };
  console.log(JSON.stringify(await handler(event)));
  await demo.close();
}
