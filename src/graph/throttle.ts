/**
 * Throttling signals Graph puts on its answers (reference §3.5), handed to the caller's pacer. A bulk run
 * that slows down when `x-ms-throttle-limit-percentage` appears (sent once more than 80% of a quota is
 * used) gets fewer 429s than one that only reacts to them.
 */

export interface ThrottleInfo {
  /** HTTP status of the answer (of the batch item, for items). */
  status: number;
  method: string;
  /** Request path without the query string. */
  path: string;
  /** The batch item's id, when the answer is one item of a `$batch`. */
  batchItemId?: string;
  /** `x-ms-throttle-limit-percentage`: share of the quota used, 0.8 to 1.8 per the docs. */
  limitPercentage?: number;
  /** `x-ms-resource-unit`: resource units this request cost. */
  resourceUnits?: number;
  /** `Retry-After` in seconds (throttled answers). */
  retryAfterSeconds?: number;
  /** `x-ms-throttle-scope`: `<Scope>/<Limit>/<AppId>/<TenantId>` (throttled answers). */
  scope?: string;
  /** `x-ms-throttle-information`: `WriteLimitExceeded`, `ResourceUnitLimitExceeded`, `CPULimitExceeded`. */
  information?: string;
}

export type HeaderGetter = (name: string) => string | undefined;

const numberOf = (text: string | undefined): number | undefined => {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
};

/**
 * The throttling fields of an answer, or undefined when it has none (most answers, which then cost the
 * caller nothing). `retryAfterSeconds` is parsed by the caller, who knows the clock.
 */
export function readThrottleInfo(
  get: HeaderGetter,
  base: { status: number; method: string; path: string; batchItemId?: string; retryAfterSeconds?: number },
): ThrottleInfo | undefined {
  const limitPercentage = numberOf(get('x-ms-throttle-limit-percentage'));
  const resourceUnits = numberOf(get('x-ms-resource-unit'));
  const scope = get('x-ms-throttle-scope');
  const information = get('x-ms-throttle-information');
  if (limitPercentage === undefined && resourceUnits === undefined && scope === undefined && information === undefined && base.status !== 429) {
    return undefined;
  }
  return {
    ...base,
    ...(limitPercentage === undefined ? {} : { limitPercentage }),
    ...(resourceUnits === undefined ? {} : { resourceUnits }),
    ...(scope === undefined ? {} : { scope }),
    ...(information === undefined ? {} : { information }),
  };
}
