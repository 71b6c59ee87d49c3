/**
 * What the host adapters share. Not an adapter itself: each file in this folder imports at most this and the
 * node:http glue (node.ts), never another adapter.
 */

/**
 * What a framework's error path receives when a handler rejects. The endpoint's own handlers never reject (they
 * answer the protocol's 500); a custom handler may, and its message can quote the request (JSON.parse quotes
 * the body, password included). Frameworks print the message in their default error answer (Express outside
 * production, Fastify always), so the message here is fixed and the original stays in `cause`, in-process.
 */
export function handlerFailure(cause: unknown): Error {
  return new Error('legacy-idp: the JIT handler failed (the original error is in `cause`)', { cause });
}

/** The answer of the serverless adapters when a handler rejects: the same fixed body the node:http glue sends. */
export const serverErrorBody = '{"error":"server_error"}';

/**
 * A Response's headers as one object, one value per name, Set-Cookie left out: a custom handler may set several
 * cookies, and no single value can carry them (joined with commas they would split inside an Expires date). Each
 * adapter passes `headers.getSetCookie()` on in its platform's own form, one cookie each.
 */
export function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') record[name] = value;
  });
  return record;
}

/** The error's class name and nothing else, for a log line: its message may hold what the request held. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

const textTypes = /^(?:application\/(?:[\w.+-]*\+)?json|text\/)/iu;

/** Whether a content type is text (JSON or text/*): the serverless adapters pass such a body on as a string. */
export function isTextType(contentType: string | null): boolean {
  return textTypes.test(contentType ?? '');
}
