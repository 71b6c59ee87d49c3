/**
 * The lockout policy in front of a team's own login route, without the Authenticator: Fastify 5.
 *
 *   LOCKOUT_ADMIN_TOKEN=change-me npx tsx examples/lockout-fastify.ts
 *   curl -si localhost:3000/login -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 *   curl -si 'localhost:3000/admin/lockout?account=alice' -H 'authorization: Bearer change-me'
 *   curl -si localhost:3000/admin/unlock -H 'authorization: Bearer change-me' -H 'content-type: application/json' -d '{"account":"alice"}'
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyPluginCallback, type FastifyReply, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
import { isLegacyIdpError, normalizeUsername } from 'legacy-idp';
import { createLockoutPolicy, type ConfiguredLockoutPolicy, type LockoutSubject, type LockoutTicket } from 'legacy-idp/lockout';

// --- The team's own password check -----------------------------------------------------------------------

/** True for a known user with this password; false for a wrong password and for an unknown user alike. */
type PasswordCheck = (account: string, password: string) => Promise<boolean>;

const scryptKey = (password: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, 32, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });

const demoSalt = randomBytes(16);
const demoUser = { account: 'alice', key: await scryptKey('Wonderland-2024', demoSalt) };

/**
 * This is where your legacy check goes: an LDAP bind, a SQL lookup plus a hash verification
 * (legacy-idp/hashes), a call to the old system's API. It throws when the check cannot be made (store down),
 * which is not the user's fault and must not count as a wrong password.
 */
const checkPassword: PasswordCheck = async (account, password) => {
  // An unknown name pays for the same hash as a known one, so response times do not reveal which names exist.
  const candidate = await scryptKey(password, demoSalt);
  const matches = timingSafeEqual(candidate, demoUser.key);
  return account === demoUser.account && matches;
};

// --- The reusable lockout hook -----------------------------------------------------------------------------

// One body per answer, whatever the reason: the client must not learn whether the name exists.
const invalidCredentials = { error: 'invalid_credentials', message: 'Wrong username or password.' };
const tooManyAttempts = { error: 'too_many_attempts', message: 'Too many sign-in attempts. Try again later.' };
const unavailable = { error: 'temporarily_unavailable', message: 'Sign-in is temporarily unavailable. Try again later.' };
const badRequest = { error: 'invalid_request', message: 'Expected a JSON body with a username and a password.' };

interface LoginBody {
  username: string;
  password: string;
}

// Fastify checks the shape before any hook runs; what a schema cannot say (after normalization) is checked below.
const loginSchema = {
  body: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      username: { type: 'string', minLength: 1, maxLength: 256 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
} as const;

// The policy joins keys with NUL and trusts the caller to keep control characters out of usernames.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/u;

declare module 'fastify' {
  interface FastifyRequest {
    /** The normalized account, set by the lockout hook once the password was right. */
    signedInAccount: string | null;
  }
}

/** Settling after the answer is known: a store failure here is logged, it cannot change the answer any more. */
function settle(request: FastifyRequest, ticket: LockoutTicket, outcome: 'success' | 'failure' | 'cancel'): Promise<void> {
  return ticket[outcome]().catch((error: unknown) => {
    request.log.error({ err: error }, 'lockout: could not record the attempt');
  });
}

/**
 * A preHandler that reserves the attempt before the password is checked and settles it afterwards. It answers
 * 400, 401, 429 and 503 itself; on a right password it sets `request.signedInAccount` and lets the route
 * handler run, which issues the session or token.
 */
function lockoutLogin(policy: ConfiguredLockoutPolicy, check: PasswordCheck): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { username, password } = request.body as LoginBody;
    // Trim and lower-case (plus NFC), the same key whatever the user typed, so " Alice" and "alice" share a counter.
    const account = normalizeUsername(username);
    if (account.length === 0 || controlCharacters.test(account)) return reply.code(400).send(badRequest);
    // request.ip is the TCP peer unless `trustProxy` is set: behind a load balancer set it to the proxies you
    // run (a hop count or their addresses), never `true`, which believes any X-Forwarded-For a client sends.
    // Behind Azure AD B2C or Entra External ID the peer is Microsoft's service, not the user: there the user's
    // IP arrives as a claim in the body (B2C: {Context:IPAddress}), and keying on request.ip would put every
    // user of the tenant behind one IP counter.
    const clientIp = request.ip;

    let decision;
    try {
      decision = await policy.begin(
        { account, clientIp },
        // Given up front, a retyped wrong password is recognized at reservation and does not count again.
        { attemptDigest: policy.digestAttempt(account, password) },
      );
    } catch (error) {
      // Fail closed: without the store nothing limits guesses, so no password is checked.
      if (isLegacyIdpError(error, 'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE')) {
        request.log.error({ err: error }, 'lockout: store unavailable, refusing sign-ins');
        return reply.code(503).send(unavailable);
      }
      throw error;
    }
    if (!decision.allowed) {
      return reply.code(429).header('retry-after', String(decision.retryAfter)).send(tooManyAttempts);
    }

    let passwordIsRight: boolean;
    try {
      passwordIsRight = await check(account, password);
    } catch (error) {
      // The check could not be made: the attempt is taken back rather than held against the user.
      await settle(request, decision.ticket, 'cancel');
      request.log.error({ err: error }, 'login: the password check failed');
      return reply.code(503).send(unavailable);
    }
    if (!passwordIsRight) {
      await settle(request, decision.ticket, 'failure');
      return reply.code(401).send(invalidCredentials);
    }
    await settle(request, decision.ticket, 'success');
    request.signedInAccount = account;
  };
}

// --- Admin routes ------------------------------------------------------------------------------------------

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Bearer token from LOCKOUT_ADMIN_TOKEN. Unset means the admin routes are off, not open. Digests are compared
 * so that the comparison takes the same time whatever the length of the guess.
 */
function requireAdmin(token: string | undefined): preHandlerAsyncHookHandler {
  const expected = token === undefined || token === '' ? undefined : sha256(token);
  return async (request, reply) => {
    if (!expected) return reply.code(403).send({ error: 'forbidden', message: 'The admin API is turned off.' });
    const presented = /^Bearer (\S+)$/u.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'A bearer token is required.' });
    }
    if (!timingSafeEqual(sha256(presented), expected)) return reply.code(403).send({ error: 'forbidden', message: 'The token is not valid.' });
  };
}

/** `{ account }`, `{ clientIp }` or both, from a query string or a JSON body. */
function readSubject(source: unknown): LockoutSubject | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { account, clientIp } = source as Record<string, unknown>;
  const ip = typeof clientIp === 'string' && clientIp !== '' ? clientIp : undefined;
  if (typeof account === 'string' && account.trim() !== '') {
    // The same normalization as at sign-in, or "Alice" would be looked up under a key nobody counts.
    const normalized = normalizeUsername(account);
    return ip === undefined ? { account: normalized } : { account: normalized, clientIp: ip };
  }
  return ip === undefined ? undefined : { clientIp: ip };
}

// An encapsulated plugin: the admin hook guards these routes and no others.
function adminRoutes(policy: ConfiguredLockoutPolicy): FastifyPluginCallback {
  return (admin, _options, done) => {
    admin.addHook('preHandler', requireAdmin(process.env.LOCKOUT_ADMIN_TOKEN));
    admin.get('/lockout', async (request, reply) => {
      const subject = readSubject(request.query);
      if (!subject) return reply.code(400).send({ error: 'invalid_request', message: 'Give ?account= or ?clientIp=.' });
      return { subject, status: await policy.status(subject) };
    });
    admin.post('/unlock', async (request, reply) => {
      const subject = readSubject(request.body);
      if (!subject) return reply.code(400).send({ error: 'invalid_request', message: 'Give { "account" } or { "clientIp" }.' });
      return { subject, unlocked: await policy.unlock(subject) };
    });
    done();
  };
}

// --- The app -----------------------------------------------------------------------------------------------

// One instance, so the default memory store is enough. With several, pass `store: redisLockoutStore(...)`
// (legacy-idp/lockout/redis) and the same LOCKOUT_SECRET on each.
const policy = createLockoutPolicy({ secret: process.env.LOCKOUT_SECRET });

// Fastify's logger would print a line per request; the operator log is left to the hooks' error calls.
const app = Fastify({ logger: { level: 'warn' }, bodyLimit: 8 * 1024 });
app.decorateRequest('signedInAccount', null);

// Fastify's default error body quotes validation and parser messages; a fixed body cannot leak the request.
// Set before the routes are registered, so that the admin plugin's context inherits it.
app.setErrorHandler((error, request, reply) => {
  if (isLegacyIdpError(error, 'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE')) return reply.code(503).send(unavailable);
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return reply.code(status).send(badRequest);
  request.log.error({ err: error }, 'unexpected error');
  return reply.code(500).send({ error: 'server_error', message: 'Something went wrong.' });
});

app.post<{ Body: LoginBody }>('/login', { schema: loginSchema, preHandler: lockoutLogin(policy, checkPassword) }, (request) => ({
  // Issue your session cookie or token here.
  username: request.signedInAccount,
}));
await app.register(adminRoutes(policy), { prefix: '/admin' });
app.addHook('onClose', () => policy.close());

// Fastify binds to localhost unless told otherwise; in a container set HOST=0.0.0.0.
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? 'localhost' });
const address = app.server.address();
console.log(`listening on ${typeof address === 'object' && address !== null ? address.port : String(address)}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close();
  });
}
