// legacy-idp/jit: what every JIT protocol shares (the endpoint pipeline, caller authentication, messages), the
// generic JSON protocol, the node:http server and host glue. The B2C and Entra protocols have their own
// subpaths: legacy-idp/jit/b2c, legacy-idp/jit/entra.
export { answerResponse, createJitEndpoint, describeIssue, jitCallHandler, jitErrorStatus, jsonAnswer, jsonResponse } from './endpoint.js';
export type { JitAnswer, JitCall, JitCallContext, JitCallHandler, JitConnectionInfo, JitEndpointOptions, JitErrorKind, JitHandler, JitProtocol, JitRequestHead, JitResult } from './endpoint.js';
export { callerAuthSchema, createCallerAuth, entraBearer, entraCustomExtensionCallerId, prepareCallerAuth } from './caller-auth.js';
export type { ApiKeyOptions, BasicOptions, BearerOptions, CallerAuthenticator, CallerAuthOptions, CallerCheck, CallerIdentity, ClientCertificateOptions, EntraBearerOptions } from './caller-auth.js';
export { defaultMessages, messageKeys, messagesFor, messagesSchema } from './messages.js';
export type { MessageKey, Messages, MessagesOptions } from './messages.js';
export { genericHandler, genericHandlerSchema } from './generic.js';
export type { GenericHandlerOptions } from './generic.js';
export { startJitServer } from './server.js';
export type { JitServer, JitServerOptions, JitServerStop, JitServerTls } from './server.js';
export { answerNodeRequest, connectionInfo, requestFromNode, toNodeListener, writeNodeAnswer, writeNodeResponse } from './hosts/node.js';
export type { NodeHostOptions } from './hosts/node.js';
export type { TrustProxy } from './hosts/shared.js';
export { clientGoneSignal } from './hosts/node.js';
// Framework and serverless adapters: typed structurally, so none of them loads its framework (src/jit/hosts).
export { expressJitRoute } from './hosts/express.js';
export type { ExpressJitRoute, ExpressJitRouteOptions, ExpressRequestLike } from './hosts/express.js';
export { fastifyJitPlugin } from './hosts/fastify.js';
export type { FastifyJitPluginOptions, FastifyReplyLike, FastifyRequestLike, FastifyScopeLike } from './hosts/fastify.js';
export { honoJitRoute } from './hosts/hono.js';
export type { HonoContextLike, HonoJitRouteOptions } from './hosts/hono.js';
export { azureFunctionsJitHandler } from './hosts/azure-functions.js';
export type { AzureCookie, AzureFunctionsJitOptions, AzureHttpRequestLike, AzureHttpResponseInit } from './hosts/azure-functions.js';
export { lambdaJitHandler } from './hosts/lambda.js';
export type { LambdaHttpEventLike, LambdaHttpResult, LambdaJitOptions } from './hosts/lambda.js';
