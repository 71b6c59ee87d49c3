import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LegacyIdpError } from '../core/errors.js';
import type { HashContext, HashLimits, SchemeVerdict } from './types.js';

/** Work shipped to a worker: only plain data crosses the thread boundary. */
export type WorkerJob =
  | { kind: 'verify'; scheme: string; password: string; hash: string; context: HashContext; limits: HashLimits }
  | { kind: 'hash'; scheme: string; password: string; options: Readonly<Record<string, unknown>>; limits: HashLimits };

// A verdict (true, false, 'disabled') or a new hash string.
export type WorkerResult = boolean | string;

export type WorkerReply = { id: number; result: WorkerResult } | { id: number; error: { code?: string; message: string } };

export interface WorkerPool {
  run(job: WorkerJob & { kind: 'verify' }): Promise<SchemeVerdict>;
  run(job: WorkerJob & { kind: 'hash' }): Promise<string>;
  close(): Promise<void>;
}

/**
 * Finds the worker entry next to the running code: dist/hashes/worker.js in the package (from the ESM
 * build, also used by the CJS build), or src/hashes/worker.ts when running from source under tsx/vitest.
 */
function workerSource(): { file: string; fromSource: boolean } {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (here.endsWith('.ts')) return { file: join(dir, 'worker.ts'), fromSource: true };
  for (const candidate of [join(dir, 'worker.js'), join(dir, 'hashes', 'worker.js'), join(dir, '..', 'hashes', 'worker.js')]) {
    if (existsSync(candidate)) return { file: candidate, fromSource: false };
  }
  throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `hash worker entry not found near ${dir}`);
}

function spawn(): Worker {
  const { file, fromSource } = workerSource();
  // Workers inherit the parent's execArgv; --input-type (a host started with `node --input-type=module -e`)
  // is refused for a file entry, so it is dropped.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  if (!fromSource) return new Worker(file, { execArgv });
  // Source mode (tests): load tsx's loader inside the worker, then the TypeScript entry.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * Fixed-size pool of worker threads for pure-JavaScript hashing. Workers start on first use and are
 * unref'ed while idle, so an idle pool never keeps the process alive. The caller bounds concurrency
 * (the ComputeGate), so each job finds an idle worker.
 */
export function createWorkerPool(size: number): WorkerPool {
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  const pending = new Map<number, { resolve: (v: WorkerResult) => void; reject: (e: Error) => void; worker: Worker }>();
  let nextId = 1;

  function failAll(worker: Worker, error: Error): void {
    for (const [id, entry] of pending) {
      if (entry.worker === worker) {
        pending.delete(id);
        entry.reject(error);
      }
    }
  }

  function create(): Worker {
    const worker = spawn();
    all.add(worker);
    worker.on('message', (reply: WorkerReply) => {
      const entry = pending.get(reply.id);
      if (!entry) return;
      pending.delete(reply.id);
      worker.unref();
      idle.push(worker);
      if ('error' in reply) {
        const code = reply.error.code;
        entry.reject(
          code !== undefined && code.startsWith('ERR_LEGACY_IDP_')
            ? new LegacyIdpError(code as 'ERR_LEGACY_IDP_HASH_MALFORMED', reply.error.message)
            : new LegacyIdpError('ERR_LEGACY_IDP_HASH_MALFORMED', reply.error.message),
        );
      } else entry.resolve(reply.result);
    });
    const drop = (error: Error): void => {
      all.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      failAll(worker, error);
    };
    worker.on('error', (error) => {
      drop(error);
    });
    worker.on('exit', (code) => {
      drop(new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `hash worker exited with code ${code}`));
    });
    return worker;
  }

  function run(job: WorkerJob): Promise<WorkerResult> {
    const worker = idle.pop() ?? (all.size < size ? create() : undefined);
    if (!worker) return Promise.reject(new LegacyIdpError('ERR_LEGACY_IDP_HASH_BUSY', 'all hash workers are busy'));
    worker.ref();
    const id = nextId++;
    return new Promise<WorkerResult>((resolve, reject) => {
      pending.set(id, { resolve, reject, worker });
      try {
        worker.postMessage({ id, job });
      } catch {
        // Nothing was sent (a function or symbol in the context or options cannot be cloned): the worker is
        // still free. The DataCloneError quotes the value, which may be a secret, so it is not passed on.
        pending.delete(id);
        worker.unref();
        idle.push(worker);
        reject(new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${job.scheme}: ${job.kind === 'verify' ? 'context' : 'options'} must be plain data (values a worker thread can receive)`));
      }
    });
  }

  return {
    run: run as WorkerPool['run'],
    async close() {
      const workers = [...all];
      all.clear();
      idle.length = 0;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
