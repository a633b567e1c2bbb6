// Whether a handler's, a schema's or a hook's result is a promise to wait for: any thenable, an
// object or a function with a `then` method, as `await` sees it.
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}
