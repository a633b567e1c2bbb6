// What a node receives over Redis, all on its one subscriber connection: decoded; broadcasts
// and signals numbered per origin (a repeat is dropped, a gap counted as missed); signals and
// left notices handed over in order behind the answers their node sent before them
// (ordered-inbox.ts); another node's request answered at once. What the registry throws is
// logged here, never thrown into ioredis.
import type { BackplaneNode, Logger } from '@duet/websocket';
import type { NodeLiveness } from './node-liveness';
import { OrderedInbox } from './ordered-inbox';
import type { OutboundMessages } from './outbound-messages';
import type { PendingRequests } from './pending-requests';
import { SequenceTracker } from './sequence-tracker';
import { type WireAnswer, type WireRequest, decodeWireMessage } from './wire-message';

/** @internal */
export class InboundMessages {
  readonly inbox: OrderedInbox;
  /** Set at start, right after this (they report to the inbox and to `nodesLeft`). */
  requests: PendingRequests | undefined;
  liveness: NodeLiveness | undefined;
  private readonly sequences = new SequenceTracker();
  /** Set when the backplane stops: requests are no longer answered. */
  private stopped = false;

  constructor(
    private readonly nodeId: string,
    private readonly node: BackplaneNode,
    private readonly outbound: OutboundMessages,
    private readonly logger: Logger,
  ) {
    this.inbox = new OrderedInbox((origin) => this.requests!.holds(origin), this.handOver);
  }

  /** Broadcasts and signals other nodes published that never arrived here. */
  get missed(): number {
    return this.sequences.missed;
  }

  /** One message from the subscriber connection, on `channel`. */
  receive(channel: string, raw: string): void {
    const message = decodeWireMessage(raw);
    if (message === undefined) {
      this.logger.warn('Redis backplane ignored a malformed message on its channel', { channel });
      return;
    }
    if (message.origin === this.nodeId) return; // its own, echoed by the shared channel
    switch (message.type) {
      case undefined:
      case 'broadcast': {
        if (!this.sequences.accept(message.origin, message.seq, message.failed)) return;
        const { seq: _seq, failed: _failed, type: _type, ...broadcast } = message;
        try {
          this.node.deliver(broadcast);
        } catch (error) {
          this.logger.error('Redis backplane could not deliver a message locally', { error: (error as Error).message });
        }
        return;
      }
      case 'signal': {
        if (!this.sequences.accept(message.origin, message.seq, message.failed)) return;
        this.liveness!.heardFrom(message.origin);
        const signal = { origin: message.origin, kind: message.kind, body: message.body };
        this.inbox.push(message.origin, () => this.node.signal(signal));
        return;
      }
      case 'request':
        return this.answer(message);
      case 'answer':
        if (message.to !== this.nodeId) return;
        this.liveness!.heardFrom(message.origin);
        this.requests!.answer(message.id, message.origin, message.body, message.failed === true);
        return;
      case 'left':
        return this.liveness!.left(message.origin);
    }
  }

  /** Nodes that left: no request waits for them, and the registry hears of it after what they sent before. */
  nodesLeft(nodes: readonly string[]): void {
    for (const node of nodes) {
      this.requests?.nodeLeft(node);
      this.sequences.forget(node);
      this.inbox.push(node, () => this.node.nodesLeft([node]));
    }
  }

  /** Forgets the numbering of origins not heard from since `before` (ms since the epoch). */
  forgetSilent(before: number): void {
    this.sequences.forgetSilent(before);
  }

  /** The backplane stops: nothing more is answered, and what is held is dropped. */
  stop(): void {
    this.stopped = true;
    this.inbox.clear();
  }

  /** Hands a message to the registry; what it throws is logged, never thrown into ioredis. */
  private readonly handOver = (hand: () => void): void => {
    try {
      hand();
    } catch (error) {
      this.logger.error('Redis backplane could not hand a message from another node to the registry', { error: (error as Error).message });
    }
  };

  /**
   * Answers another node's request at once, on its channel: the registry's answer is computed
   * and published in the same turn, so whatever this node signals later is published after it.
   */
  private answer(request: WireRequest): void {
    if (this.stopped) return; // its left notice is on the way: the asker does not wait for it
    const reply = { type: 'answer', origin: this.nodeId, to: request.origin, id: request.id } as const;
    let payload: string;
    try {
      const body = this.node.answer({ origin: request.origin, kind: request.kind, body: request.body });
      payload = JSON.stringify({ ...reply, body } satisfies WireAnswer);
    } catch (error) {
      this.logger.error('Redis backplane could not answer a cluster request; the asker counts it as unanswered', {
        kind: request.kind,
        error: (error as Error).message,
      });
      payload = JSON.stringify({ ...reply, failed: true } satisfies WireAnswer);
    }
    this.outbound.answer(request.origin, payload);
  }
}
