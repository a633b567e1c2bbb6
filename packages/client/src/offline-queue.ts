// The client's offline queue: what the application sends while the client is not open, kept
// in order up to `offlineQueue` messages and sent as the client opens. A request leaves it when
// it times out, so a request given up on is never sent.
import { OfflineQueueFullError } from './errors';

interface QueuedMessage {
  readonly name: string;
  readonly text: string;
  /** A request's id: when its request is no longer pending (timed out), it is not sent. */
  readonly id: number | undefined;
}

export class OfflineQueue {
  #queued: QueuedMessage[] = [];

  constructor(private readonly limit: number) {}

  /** Queues an encoded message; throws OfflineQueueFullError when `offlineQueue` wait already. */
  push(name: string, text: string, id: number | undefined): void {
    if (this.#queued.length >= this.limit) throw new OfflineQueueFullError(this.limit, name);
    this.#queued.push({ name, text, id });
  }

  /** Takes request `id` off the queue (it timed out). */
  remove(id: number): void {
    this.#queued = this.#queued.filter((queued) => queued.id !== id);
  }

  /** Empties the queue and returns what it held, in order. */
  take(): readonly QueuedMessage[] {
    const queued = this.#queued;
    this.#queued = [];
    return queued;
  }

  /** The ids of the requests waiting here (not on the wire yet). */
  requestIds(): Set<number | undefined> {
    return new Set(this.#queued.map((queued) => queued.id));
  }

  /** Empties the queue for good; returns how many messages (requests aside) were never sent. */
  drop(): number {
    const unsent = this.#queued.filter((queued) => queued.id === undefined).length;
    this.#queued = [];
    return unsent;
  }
}
