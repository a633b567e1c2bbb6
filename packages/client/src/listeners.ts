// A client's listeners, by name: its events (`on`) and its state changes (`onStateChange`). A
// listener that throws does not keep the others from running; its error is thrown again in a
// microtask, reported as an EventTarget reports it, not lost.
export class Listeners<A extends unknown[]> {
  private readonly byName = new Map<string, Set<(...args: A) => void>>();

  /** Adds `listener` under `name`; returns what removes it. */
  add(name: string, listener: (...args: A) => void): () => void {
    let listeners = this.byName.get(name);
    if (listeners === undefined) this.byName.set(name, (listeners = new Set()));
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }

  /** Calls every listener of `name` with `args` (those added meanwhile wait for the next call). */
  emit(name: string, ...args: A): void {
    const listeners = this.byName.get(name);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
