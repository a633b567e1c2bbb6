// The requests of one client that wait for their replies, by id, and the ids of those that timed
// out, so that a late reply is dropped rather than taken for an event.
import { type AnyContract, ERROR_TYPE, type StandardIssue, replyValue } from '@duet/contract';
import { RemoteError, RequestTimeoutError } from './errors';

interface PendingRequest {
  readonly name: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** How many timed-out request ids are remembered to drop their late replies. */
const MAX_EXPIRED_IDS = 1024;

export class PendingRequests {
  private lastId = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly expired = new Set<number>();

  /** Ids are integers, one client's own. */
  nextId(): number {
    return ++this.lastId;
  }

  has(id: number | undefined): boolean {
    return id !== undefined && this.pending.has(id);
  }

  /**
   * Waits for the reply to request `id`; past `timeoutSeconds` the request fails with
   * `RequestTimeoutError`, after `onTimeout` (which takes it off the offline queue).
   */
  add(id: number, name: string, resolve: (value: unknown) => void, reject: (error: Error) => void, timeoutSeconds: number, onTimeout: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(id);
      this.expire(id);
      onTimeout();
      reject(new RequestTimeoutError(name, timeoutSeconds));
    }, timeoutSeconds * 1000);
    this.pending.set(id, { name, resolve, reject, timer });
  }

  /** Forgets request `id` without settling it (it could not be written). */
  forget(id: number): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
  }

  /** A message carrying request id `id`: true when it was the reply (or a late one, dropped). */
  reply(id: number, message: Record<string, unknown>, contract: AnyContract): boolean {
    const pending = this.pending.get(id);
    if (pending === undefined) return this.expired.delete(id);
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (message[contract.dispatcherKey] === ERROR_TYPE) pending.reject(remoteError(pending.name, message));
    else pending.resolve(replyValue(contract, message));
    return true;
  }

  /** Fails every waiting request with `errorFor(name)`, but those in `keep`. */
  failAll(errorFor: (name: string) => Error, keep?: ReadonlySet<number | undefined>): void {
    for (const [id, pending] of this.pending) {
      if (keep?.has(id)) continue;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(errorFor(pending.name));
    }
  }

  private expire(id: number): void {
    this.expired.add(id);
    // Bounded: a server that never answers must not grow this; the oldest is forgotten first.
    if (this.expired.size > MAX_EXPIRED_IDS) this.expired.delete(this.expired.values().next().value!);
  }
}

function remoteError(request: string, reply: Record<string, unknown>): RemoteError {
  const message = typeof reply.message === 'string' ? reply.message : `The server refused the '${request}' request.`;
  const issues = Array.isArray(reply.issues) ? (reply.issues as StandardIssue[]) : [];
  return new RemoteError(request, message, issues, typeof reply.code === 'string' ? reply.code : undefined, reply);
}
