// The cluster requests a node has sent and not settled: whom each waits for (the live nodes
// when it was published), the answers in so far, and its deadline. A request settles when every
// node it waits for has answered or left, or at `commandTimeout` without the silent ones (each
// counted in `unanswered`). It also says which nodes have answered a request still open: their
// later signals are held back until it settles (see ordered-inbox.ts).
import type { ClusterAnswer } from '@duet/websocket';
import { RedisBackplaneError } from './errors';

interface Pending {
  readonly kind: string;
  /** Answers in arrival order, by node. */
  readonly answers: Map<string, unknown>;
  /** Nodes that said they had no answer. */
  readonly failed: Set<string>;
  /** Unknown until Redis has said which nodes were live when the request was published. */
  waiting: Set<string> | undefined;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (answers: ClusterAnswer[]) => void;
  readonly reject: (error: Error) => void;
}

/** @internal */
export class PendingRequests {
  /** Answers left out since start: a live node that did not answer in time, or had none to give. */
  unanswered = 0;
  private readonly open = new Map<number, Pending>();
  /** How many open requests each node has answered. */
  private readonly answeredBy = new Map<string, number>();
  private lastId = 0;

  constructor(
    private readonly self: string,
    private readonly timeoutMs: number,
    private readonly max: number,
    /** Called after a request has settled and its promise is resolved or rejected, with the nodes that answered it. */
    private readonly onSettled: (answered: Iterable<string>) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Whether `node` has answered a request that is still open. */
  holds(node: string): boolean {
    return this.answeredBy.has(node);
  }

  /** Opens a request; throws `RedisBackplaneError` when `max` are open already. */
  begin(kind: string): { id: number; answers: Promise<ClusterAnswer[]> } {
    if (this.open.size >= this.max) {
      throw new RedisBackplaneError(
        `RedisBackplane: cluster request '${kind}' refused: ${this.max} requests are waiting for answers already (maxPendingRequests)`,
      );
    }
    const id = ++this.lastId;
    const answers = new Promise<ClusterAnswer[]>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(id), this.timeoutMs);
      this.open.set(id, { kind, answers: new Map(), failed: new Set(), waiting: undefined, timer, resolve, reject });
    });
    return { id, answers };
  }

  /** Redis published request `id` when `live` were the live nodes: wait for those that have not answered yet. */
  publishedTo(id: number, live: readonly string[]): void {
    const request = this.open.get(id);
    if (request === undefined) return;
    request.waiting = new Set(live.filter((node) => node !== this.self && !request.answers.has(node) && !request.failed.has(node)));
    this.settleIfComplete(id, request);
  }

  /** `node` answered request `id` (`failed`: it had no answer to give). Late and repeated answers are ignored. */
  answer(id: number, node: string, body: unknown, failed: boolean): void {
    const request = this.open.get(id);
    if (request === undefined || node === this.self || request.answers.has(node) || request.failed.has(node)) return;
    if (failed) {
      request.failed.add(node);
      this.unanswered++;
    } else {
      request.answers.set(node, body);
      this.answeredBy.set(node, (this.answeredBy.get(node) ?? 0) + 1);
    }
    request.waiting?.delete(node);
    this.settleIfComplete(id, request);
  }

  /** `node` left the cluster: no open request waits for it any longer. */
  nodeLeft(node: string): void {
    for (const [id, request] of this.open) {
      if (request.waiting?.delete(node)) this.settleIfComplete(id, request);
    }
  }

  /** Fails request `id` (Redis could not publish it). */
  fail(id: number, error: Error): void {
    const request = this.open.get(id);
    if (request !== undefined) this.settle(id, request, error);
  }

  /** Fails every open request (the subscription that brings answers is gone, or the backplane stops). */
  failAll(error: (kind: string) => Error): void {
    for (const [id, request] of this.open) this.settle(id, request, error(request.kind));
  }

  private settleIfComplete(id: number, request: Pending): void {
    if (request.waiting !== undefined && request.waiting.size === 0) this.settle(id, request);
  }

  private expire(id: number): void {
    const request = this.open.get(id);
    if (request === undefined) return;
    if (request.waiting === undefined) {
      this.settle(id, request, new Error(`Redis did not publish the request within commandTimeout (${this.timeoutMs} ms)`));
      return;
    }
    this.unanswered += request.waiting.size;
    this.settle(id, request);
  }

  private settle(id: number, request: Pending, error?: Error): void {
    this.open.delete(id);
    clearTimeout(request.timer);
    for (const node of request.answers.keys()) {
      const count = this.answeredBy.get(node)! - 1;
      if (count === 0) this.answeredBy.delete(node);
      else this.answeredBy.set(node, count);
    }
    if (error !== undefined) request.reject(error);
    else request.resolve(Array.from(request.answers, ([node, body]) => ({ node, body })));
    this.onSettled(request.answers.keys());
  }
}
