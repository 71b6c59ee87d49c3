/**
 * The getter of `name` on `object` or its prototype chain; undefined for a data property or none. The tests of
 * per-call objects (a call's `signal`) compare it between two calls: a getter made per call keeps each call's
 * objects alive past V8's minor GCs (`withSignalOf` in src/core/deadline.ts says why), one shared getter does not.
 */
export function getterOf(object: object, name: string): (() => unknown) | undefined {
  for (let current: object | null = object; current !== null; current = Object.getPrototypeOf(current) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(current, name);
    if (descriptor !== undefined) return descriptor.get;
  }
  return undefined;
}
