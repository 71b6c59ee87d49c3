/**
 * The lockout policy in front of a team's own login route, without the Authenticator: Express 5.
 *
 *   LOCKOUT_ADMIN_TOKEN=change-me npx tsx examples/lockout-express.ts
 *   curl -si localhost:3000/login -H 'content-type: application/json' -d '{"username":"alice","password":"Wonderland-2024"}'
 *   curl -si 'localhost:3000/admin/lockout?account=alice' -H 'authorization: Bearer change-me'
 *   curl -si localhost:3000/admin/unlock -H 'authorization: Bearer change-me' -H 'content-type: application/json' -d '{"account":"alice"}'
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
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

// --- The reusable lockout helper ---------------------------------------------------------------------------

// One body per answer, whatever the reason: the client must not learn whether the name exists.
const invalidCredentials = { error: 'invalid_credentials', message: 'Wrong username or password.' };
const tooManyAttempts = { error: 'too_many_attempts', message: 'Too many sign-in attempts. Try again later.' };
const unavailable = { error: 'temporarily_unavailable', message: 'Sign-in is temporarily unavailable. Try again later.' };
const badRequest = { error: 'invalid_request', message: 'Expected a JSON body with a username and a password.' };

const maxUsernameLength = 256;
const maxPasswordLength = 1024;
// The policy joins keys with NUL and trusts the caller to keep control characters out of usernames.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/u;

function readCredentials(body: unknown): { account: string; password: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { username, password } = body as Record<string, unknown>;
  // A JSON body can carry `{ "$ne": null }` where a string belongs; only strings go any further.
  if (typeof username !== 'string' || typeof password !== 'string') return undefined;
  // Trim and lower-case (plus NFC), the same key whatever the user typed, so " Alice" and "alice" share a counter.
  const account = normalizeUsername(username);
  if (account.length === 0 || account.length > maxUsernameLength || controlCharacters.test(account)) return undefined;
  if (password.length === 0 || password.length > maxPasswordLength) return undefined;
  return { account, password };
}

/** Settling after the answer is known: a store failure here is logged, it cannot change the answer any more. */
function settle(ticket: LockoutTicket, outcome: 'success' | 'failure' | 'cancel'): Promise<void> {
  return ticket[outcome]().catch((error: unknown) => {
    console.error('lockout: could not record the attempt', error);
  });
}

/**
 * Reserves the attempt before the password is checked and settles it afterwards. Answers 400, 401, 429 and
 * 503 itself; on a right password it puts the account in `res.locals.account` and hands over to the next
 * handler, which issues the session or token.
 */
function lockoutLogin(policy: ConfiguredLockoutPolicy, check: PasswordCheck): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const credentials = readCredentials(req.body);
    if (!credentials) {
      res.status(400).json(badRequest);
      return;
    }
    const { account, password } = credentials;
    // req.ip is the TCP peer unless `trust proxy` is set: behind a load balancer set it to the proxies you run
    // (a hop count or their addresses), never `true`, which believes any X-Forwarded-For a client sends. Behind
    // Azure AD B2C or Entra External ID the peer is Microsoft's service, not the user: there the user's IP
    // arrives as a claim in the body (B2C: {Context:IPAddress}), and keying on req.ip would put every user of
    // the tenant behind one IP counter.
    const clientIp = req.ip;

    let decision;
    try {
      decision = await policy.begin(clientIp === undefined ? { account } : { account, clientIp }, {
        // Given up front, a retyped wrong password is recognized at reservation and does not count again.
        attemptDigest: policy.digestAttempt(account, password),
      });
    } catch (error) {
      // Fail closed: without the store nothing limits guesses, so no password is checked.
      if (isLegacyIdpError(error, 'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE')) {
        console.error('lockout: store unavailable, refusing sign-ins', error);
        res.status(503).json(unavailable);
        return;
      }
      next(error);
      return;
    }
    if (!decision.allowed) {
      res.status(429).set('Retry-After', String(decision.retryAfter)).json(tooManyAttempts);
      return;
    }

    let passwordIsRight: boolean;
    try {
      passwordIsRight = await check(account, password);
    } catch (error) {
      // The check could not be made: the attempt is taken back rather than held against the user.
      await settle(decision.ticket, 'cancel');
      console.error('login: the password check failed', error);
      res.status(503).json(unavailable);
      return;
    }
    if (!passwordIsRight) {
      await settle(decision.ticket, 'failure');
      res.status(401).json(invalidCredentials);
      return;
    }
    await settle(decision.ticket, 'success');
    res.locals.account = account;
    next();
  };
}

// --- Admin routes ------------------------------------------------------------------------------------------

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Bearer token from LOCKOUT_ADMIN_TOKEN. Unset means the admin routes are off, not open. Digests are compared
 * so that the comparison takes the same time whatever the length of the guess.
 */
function requireAdmin(token: string | undefined): RequestHandler {
  const expected = token === undefined || token === '' ? undefined : sha256(token);
  return (req, res, next) => {
    if (!expected) {
      res.status(403).json({ error: 'forbidden', message: 'The admin API is turned off.' });
      return;
    }
    const presented = /^Bearer (\S+)$/u.exec(req.get('authorization') ?? '')?.[1];
    if (presented === undefined) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', message: 'A bearer token is required.' });
      return;
    }
    if (!timingSafeEqual(sha256(presented), expected)) {
      res.status(403).json({ error: 'forbidden', message: 'The token is not valid.' });
      return;
    }
    next();
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

function adminRoutes(policy: ConfiguredLockoutPolicy): express.Router {
  const router = express.Router();
  router.use(requireAdmin(process.env.LOCKOUT_ADMIN_TOKEN));
  router.get('/lockout', async (req, res) => {
    const subject = readSubject(req.query);
    if (!subject) {
      res.status(400).json({ error: 'invalid_request', message: 'Give ?account= or ?clientIp=.' });
      return;
    }
    res.json({ subject, status: await policy.status(subject) });
  });
  router.post('/unlock', async (req, res) => {
    const subject = readSubject(req.body);
    if (!subject) {
      res.status(400).json({ error: 'invalid_request', message: 'Give { "account" } or { "clientIp" }.' });
      return;
    }
    res.json({ subject, unlocked: await policy.unlock(subject) });
  });
  return router;
}

// --- The app -----------------------------------------------------------------------------------------------

// One instance, so the default memory store is enough. With several, pass `store: redisLockoutStore(...)`
// (legacy-idp/lockout/redis) and the same LOCKOUT_SECRET on each.
const policy = createLockoutPolicy({ secret: process.env.LOCKOUT_SECRET });

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '8kb' }));

app.post('/login', lockoutLogin(policy, checkPassword), (_req, res) => {
  // Issue your session cookie or token here.
  const { account } = res.locals as { account: string };
  res.json({ username: account });
});
app.use('/admin', adminRoutes(policy));

// Express's own error page can quote the request (a JSON syntax error quotes the body, password included)
// and, outside production, the stack: answer with a fixed body instead.
const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  if (isLegacyIdpError(error, 'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE')) {
    res.status(503).json(unavailable);
    return;
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json(badRequest);
    return;
  }
  console.error('unexpected error', error);
  res.status(500).json({ error: 'server_error', message: 'Something went wrong.' });
};
app.use(errorHandler);

const server = app.listen(Number(process.env.PORT ?? 3000), (error) => {
  if (error) throw error;
  console.log(`listening on ${(server.address() as AddressInfo).port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void policy.close();
  });
}
