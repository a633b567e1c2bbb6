// This node as its backplane sees it: where the other nodes' traffic lands — their broadcasts,
// requests, signals and departures, and the backplane's news that it is connected again — and
// which part of the registry each goes to. Built once at start; nothing here allocates per
// message beyond the broadcast target a delivery needs.
import type { Logger } from '../logger';
import type { BackplaneMessage, BackplaneNode, ClusterAnswer, ClusterRequest, ClusterSignal } from './backplane';
import { type BroadcastHost, BroadcastTarget } from './broadcast';
import { answerMembership } from './cluster-view';
import { PRESENCE_SIGNAL, PRESENCE_STATE_REQUEST, PRESENCE_STATE_SIGNAL, type Presence } from './presence';
import { OPERATE_REQUEST, operateLocally, readOperation } from './remote-operations';

/** What the node needs of the registry: its connections, and ways to ask and tell the other nodes. */
export interface RegistryNodeHost extends BroadcastHost {
  readonly logger: Logger;
  request(kind: string, body: unknown): Promise<ClusterAnswer[]>;
  signal(kind: string, body: unknown): void;
}

/** @internal Handed to `Backplane.start` by the registry. */
export class RegistryNode implements BackplaneNode {
  constructor(
    private readonly host: RegistryNodeHost,
    private readonly presence: Presence,
  ) {}

  /** Another node's broadcast: the message is its own target (rooms, service, exceptions, filter). */
  deliver(message: BackplaneMessage): void {
    if (message.origin === this.host.nodeId || message.rooms?.length === 0) return;
    const binary = message.binary !== undefined;
    const data = binary ? Buffer.from(message.binary!, 'base64') : Buffer.from(message.text ?? '');
    new BroadcastTarget(this.host, message).deliverLocally(data, binary);
  }

  /** Another node's request: this node's answer, a JSON value (undefined for a kind it does not know). */
  answer(request: ClusterRequest): unknown {
    if (request.kind === PRESENCE_STATE_REQUEST) return this.presence.snapshot();
    if (request.kind === OPERATE_REQUEST) {
      const operation = readOperation(request.body);
      return operation === undefined ? 0 : operateLocally(this.host, operation);
    }
    return answerMembership(this.host, request.kind, request.body);
  }

  signal(signal: ClusterSignal): void {
    if (signal.kind === PRESENCE_SIGNAL) this.presence.signalled(signal.origin, signal.body);
    else if (signal.kind === PRESENCE_STATE_SIGNAL) this.presence.replaced(signal.origin, signal.body);
  }

  nodesLeft(nodes: readonly string[]): void {
    this.presence.nodesLeft(nodes);
  }

  /**
   * The backplane is connected again after an outage. Signals may have been lost both ways:
   * this node's own (refused while it was cut off) and the others' (sent while it was not
   * listening). So it tells the others its whole presence, which replaces their replica of it,
   * and asks for theirs, as at start. Each replaced replica's differences are told as ordinary
   * diffs (to `onPresence` listeners and `presenceEvents` members), one per room: what changed
   * while the two were apart.
   */
  reconnected(): void {
    this.host.signal(PRESENCE_STATE_SIGNAL, this.presence.snapshot());
    void this.syncPresence('after the backplane reconnected');
  }

  /**
   * Asks every other node for its presence state and replaces its replica with the answer. A
   * node that cannot be asked is logged, never thrown: presence then fills in from its next
   * changes. The replica of a live node that did not answer is kept until it leaves.
   */
  async syncPresence(when: string): Promise<void> {
    let answers: ClusterAnswer[];
    try {
      answers = await this.host.request(PRESENCE_STATE_REQUEST, null);
    } catch (error) {
      this.host.logger.warn(`presence: the other nodes' presence could not be asked for ${when}; it fills in from their next changes`, {
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    for (const answer of answers) this.presence.replaced(answer.node, answer.body);
  }
}
