// `registry.cluster`: membership over every live process of the backplane. Each question is a
// backplane request answered by every other node; this node answers for itself, and the
// answers are merged. The local questions (`registry.membersOf`, `count`, `get`) stay
// synchronous and see this process only.
import { InvalidArgumentError } from '../errors';
import type { ClusterAnswer } from './backplane';
import type { SelectionHost } from './target-selection';

/** A member of a room somewhere in the cluster. */
export interface ClusterMember {
  readonly connectionId: string;
  /** The node (process) the connection is on: its registry's `nodeId`. */
  readonly node: string;
  /** The authenticated principal's `name`, when the connection has one. */
  readonly principal?: string;
}

/** The request kinds of membership questions. */
export const MEMBERS_REQUEST = 'members';
export const COUNT_REQUEST = 'count';
export const HAS_REQUEST = 'has';

/** What the cluster view needs of the registry. */
export interface ClusterHost extends SelectionHost {
  readonly nodeId: string;
  /** The answers of every other live node. */
  request(kind: string, body: unknown): Promise<ClusterAnswer[]>;
  /** Open connections over every node (the backplane's count). */
  clusterCount(): Promise<number>;
}

/** Membership over the whole cluster; every method rejects with the backplane's error when it cannot ask. */
export class ClusterView {
  /** @internal Made by the registry. */
  constructor(private readonly host: ClusterHost) {}

  /** The members of `room` on every live node. */
  async membersOf(room: string): Promise<ClusterMember[]> {
    checkName('membersOf', 'room', room);
    const members = localMembers(this.host, room).map((member) => ({ ...member, node: this.host.nodeId }));
    for (const answer of await this.host.request(MEMBERS_REQUEST, { room })) {
      if (!Array.isArray(answer.body)) continue;
      for (const member of answer.body as unknown[]) {
        const { connectionId, principal } = (member ?? {}) as { connectionId?: unknown; principal?: unknown };
        if (typeof connectionId !== 'string') continue;
        members.push(typeof principal === 'string' ? { connectionId, node: answer.node, principal } : { connectionId, node: answer.node });
      }
    }
    return members;
  }

  /** The members of `room` on every live node; without a room, every open connection (`registry.clusterCount()`). */
  async count(room?: string): Promise<number> {
    if (room === undefined) return this.host.clusterCount();
    checkName('count', 'room', room);
    let total = this.host.roomMembers(room).size;
    for (const answer of await this.host.request(COUNT_REQUEST, { room })) {
      if (typeof answer.body === 'number') total += answer.body;
    }
    return total;
  }

  /** Whether a connection of that id is open on some live node (`registry.get` looks here only). */
  async has(connectionId: string): Promise<boolean> {
    checkName('has', 'connectionId', connectionId);
    if (this.host.member(connectionId) !== undefined) return true;
    const answers = await this.host.request(HAS_REQUEST, { connectionId });
    return answers.some((answer) => answer.body === true);
  }
}

/** This node's answer to a membership request; undefined for another kind. */
export function answerMembership(host: SelectionHost, kind: string, body: unknown): unknown {
  const { room, connectionId } = (body ?? {}) as { room?: unknown; connectionId?: unknown };
  if (kind === MEMBERS_REQUEST) return typeof room === 'string' ? localMembers(host, room) : [];
  if (kind === COUNT_REQUEST) return typeof room === 'string' ? host.roomMembers(room).size : 0;
  if (kind === HAS_REQUEST) return typeof connectionId === 'string' && host.member(connectionId) !== undefined;
  return undefined;
}

function localMembers(host: SelectionHost, room: string): { connectionId: string; principal?: string }[] {
  return Array.from(host.roomMembers(room), ({ caller }) => {
    const principal = caller.principal?.name;
    return principal === undefined ? { connectionId: caller.getConnectionId() } : { connectionId: caller.getConnectionId(), principal };
  });
}

/** Checks a name argument, throwing InvalidArgumentError (the async methods turn it into a rejection). */
export function checkName(method: string, what: string, value: unknown): void {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${method} takes a ${what} string, got ${typeof value}`);
}
