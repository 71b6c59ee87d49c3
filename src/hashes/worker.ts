/**
 * Worker-thread entry for pure-JavaScript hash schemes. Receives { id, job }, runs the built-in scheme
 * directly (inner verifications too), and answers { id, verdict } or { id, error: { code, message } }.
 */
import { parentPort } from 'node:worker_threads';
import { builtinSchemes } from './builtin.js';
import { runSchemeVerify } from './registry.js';
import type { HashContext, HashLimits, HashScheme } from './types.js';
import type { WorkerJob, WorkerReply } from './worker-pool.js';

const byId = new Map<string, HashScheme>(builtinSchemes.map((scheme) => [scheme.id, scheme]));

function lookup(hash: string, id: string | undefined): HashScheme {
  const scheme = id !== undefined && id !== 'auto' ? byId.get(id) : builtinSchemes.find((s) => s.identify?.(hash) === true);
  if (!scheme) throw Object.assign(new Error('unknown inner hash scheme'), { code: 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME' });
  return scheme;
}

function verifyInnerWith(limits: HashLimits) {
  const inner = async (password: string, hash: string, id?: string, context?: HashContext): Promise<boolean> =>
    (await runSchemeVerify(lookup(hash, id), password, hash, context ?? {}, limits, inner)) === true;
  return inner;
}

parentPort?.on('message', ({ id, job }: { id: number; job: WorkerJob }) => {
  const reply = (message: WorkerReply): void => {
    parentPort?.postMessage(message);
  };
  (async () => {
    if (job.kind === 'hash') {
      const scheme = byId.get(job.scheme);
      const make = scheme?.hash?.bind(scheme);
      if (!make) throw Object.assign(new Error(`${job.scheme} cannot create new hashes`), { code: 'ERR_LEGACY_IDP_HASH_UNSUPPORTED' });
      reply({ id, result: await make(job.password, job.options, job.limits) });
      return;
    }
    const scheme = lookup(job.hash, job.scheme);
    reply({ id, result: await runSchemeVerify(scheme, job.password, job.hash, job.context, job.limits, verifyInnerWith(job.limits)) });
  })().catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : 'hash worker failed';
    reply({ id, error: typeof code === 'string' ? { code, message } : { message } });
  });
});
