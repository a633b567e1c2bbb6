// Presence: who is in a room across the cluster, in the manner of Phoenix Presence. Each node
// keeps the entries it tracks itself and a replica of every other node's, fed by their
// 'presence' signals (one per change) and by their whole state, which replaces that node's
// replica wholesale: their 'presence-state' answers, asked for at start and after this node's
// backplane reconnects, and their 'presence-state' signals, sent when theirs reconnects. A node that leaves the cluster takes its entries
// with it: every node drops that replica and tells its own listeners the leaves, so each
// listener hears each leave once. All of this runs on track, untrack and close only — never
// per message.
import { InvalidArgumentError } from '../errors';
import { type PresenceDiff, type PresenceEntry, type PresenceMeta, isPlainObject } from '@duet/contract';
import type { Logger } from '../logger';

export type { PresenceDiff, PresenceEntry, PresenceMeta } from '@duet/contract';

export type PresenceListener = (diff: PresenceDiff) => void;

/** The signal kind of presence changes, and the request kind of a node's whole state. */
export const PRESENCE_SIGNAL = 'presence';
export const PRESENCE_STATE_REQUEST = 'presence-state';
/** The signal kind of a node's whole state, sent unasked when its backplane reconnects. */
export const PRESENCE_STATE_SIGNAL = 'presence-state';

/** One tracked connection in one room, as it is kept and as it travels. */
interface Tracked {
  readonly key: string;
  readonly meta: PresenceMeta;
}

/** connection id → its entry, in one room. */
type RoomEntries = Map<string, Tracked>;
/** room → its entries, of one node. */
type NodeEntries = Map<string, RoomEntries>;

/** What presence needs of the registry. */
export interface PresenceHost {
  readonly nodeId: string;
  readonly logger: Logger;
  /** Sends a signal to every other node. */
  signal(kind: string, body: unknown): void;
  /** Tells a diff to the room's members on this node whose service has `presenceEvents`. */
  tellMembers(diff: PresenceDiff): void;
}

/**
 * The meta as tracked: a JSON copy of the user's plain object, with `connectionId` and `node`.
 * InvalidArgumentError for anything else.
 */
export function presenceMeta(meta: unknown, connectionId: string, node: string): PresenceMeta | InvalidArgumentError {
  if (meta !== undefined && !isPlainObject(meta)) return new InvalidArgumentError(`track: meta must be a plain object, got ${meta === null ? 'null' : typeof meta}`);
  let copy: Record<string, unknown>;
  try {
    copy = meta === undefined ? {} : (JSON.parse(JSON.stringify(meta)) as Record<string, unknown>);
  } catch {
    return new InvalidArgumentError('track: meta has no JSON form (a cycle, a BigInt?); it travels to every node');
  }
  return Object.freeze({ ...copy, connectionId, node });
}

export class Presence {
  private readonly own: NodeEntries = new Map();
  private readonly replicas = new Map<string, NodeEntries>();
  private readonly listeners = new Map<string, Set<PresenceListener>>();

  constructor(private readonly host: PresenceHost) {}

  /** Tracks (or re-tracks, replacing the meta: a leave and a join) a connection of this node. */
  track(room: string, key: string, meta: PresenceMeta): void {
    const entries = entriesOf(this.own, room, true)!;
    const previous = entries.get(meta.connectionId);
    const tracked: Tracked = { key, meta };
    entries.set(meta.connectionId, tracked);
    this.changed(room, [tracked], previous === undefined ? [] : [previous]);
  }

  /** Stops tracking a connection of this node in `room`; nothing when it was not tracked. */
  untrack(room: string, connectionId: string): void {
    const entries = this.own.get(room);
    const previous = entries?.get(connectionId);
    if (previous === undefined) return;
    entries!.delete(connectionId);
    if (entries!.size === 0) this.own.delete(room);
    this.changed(room, [], [previous]);
  }

  /** A connection of this node closed: its leaves, in each of `rooms` it was tracked in. */
  closed(connectionId: string, rooms: Iterable<string>): void {
    if (this.own.size === 0) return;
    for (const room of rooms) this.untrack(room, connectionId);
  }

  isTracked(room: string, connectionId: string): boolean {
    return this.own.get(room)?.has(connectionId) === true;
  }

  /** Everyone in `room` over the cluster, grouped by key. */
  list(room: string): PresenceEntry[] {
    const tracked: Tracked[] = [];
    for (const entries of this.nodes()) {
      const inRoom = entries.get(room);
      if (inRoom !== undefined) tracked.push(...inRoom.values());
    }
    return group(tracked);
  }

  /** Calls `listener` with every diff of `room`; returns what removes it. */
  listen(room: string, listener: PresenceListener): () => void {
    let listeners = this.listeners.get(room);
    if (listeners === undefined) this.listeners.set(room, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(room) === listeners) this.listeners.delete(room);
    };
  }

  /** This node's own entries, as a 'presence-state' answer. */
  snapshot(): unknown {
    return Array.from(this.own, ([room, entries]) => ({ room, entries: [...entries.values()] }));
  }

  /** Another node's 'presence' signal. */
  signalled(node: string, body: unknown): void {
    if (!isPlainObject(body) || typeof body.room !== 'string') return;
    const room = body.room;
    const replica = this.replicaOf(node);
    const left: Tracked[] = [];
    const joined: Tracked[] = [];
    for (const leave of trackedList(body.leaves)) {
      const entries = replica.get(room);
      const previous = entries?.get(leave.meta.connectionId);
      if (previous === undefined) continue;
      entries!.delete(leave.meta.connectionId);
      if (entries!.size === 0) replica.delete(room);
      left.push(previous);
    }
    for (const join of trackedList(body.joins)) {
      entriesOf(replica, room, true)!.set(join.meta.connectionId, join);
      joined.push(join);
    }
    this.tellLocally(room, joined, left);
  }

  /** Another node's whole state (its 'presence-state' answer): replaces its replica; the differences are told. */
  replaced(node: string, body: unknown): void {
    const next: NodeEntries = new Map();
    if (Array.isArray(body)) {
      for (const part of body) {
        if (!isPlainObject(part) || typeof part.room !== 'string') continue;
        for (const tracked of trackedList(part.entries)) entriesOf(next, part.room, true)!.set(tracked.meta.connectionId, tracked);
      }
    }
    const previous = this.replicas.get(node) ?? new Map<string, RoomEntries>();
    this.replicas.set(node, next);
    for (const room of new Set([...previous.keys(), ...next.keys()])) {
      const before = previous.get(room);
      const after = next.get(room);
      const joined = [...(after?.values() ?? [])].filter((tracked) => !sameEntry(before?.get(tracked.meta.connectionId), tracked));
      const left = [...(before?.values() ?? [])].filter((tracked) => !sameEntry(after?.get(tracked.meta.connectionId), tracked));
      this.tellLocally(room, joined, left);
    }
  }

  /** Nodes that left the cluster: their entries leave, told here (every node tells its own listeners). */
  nodesLeft(nodes: readonly string[]): void {
    for (const node of nodes) {
      const replica = this.replicas.get(node);
      if (replica === undefined) continue;
      this.replicas.delete(node);
      for (const [room, entries] of replica) this.tellLocally(room, [], [...entries.values()]);
    }
  }

  private *nodes(): IterableIterator<NodeEntries> {
    yield this.own;
    yield* this.replicas.values();
  }

  private replicaOf(node: string): NodeEntries {
    let replica = this.replicas.get(node);
    if (replica === undefined) this.replicas.set(node, (replica = new Map()));
    return replica;
  }

  /** A change of this node's own entries: told here, and signalled to the others. */
  private changed(room: string, joined: Tracked[], left: Tracked[]): void {
    this.host.signal(PRESENCE_SIGNAL, { room, joins: joined, leaves: left });
    this.tellLocally(room, joined, left);
  }

  private tellLocally(room: string, joined: Tracked[], left: Tracked[]): void {
    if (joined.length === 0 && left.length === 0) return;
    const diff: PresenceDiff = { room, joins: group(joined), leaves: group(left) };
    const listeners = this.listeners.get(room);
    if (listeners !== undefined) {
      for (const listener of [...listeners]) {
        try {
          listener(diff);
        } catch (error) {
          this.host.logger.error('an onPresence listener threw', { room, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    this.host.tellMembers(diff);
  }
}

function entriesOf(node: NodeEntries, room: string, create: boolean): RoomEntries | undefined {
  let entries = node.get(room);
  if (entries === undefined && create) node.set(room, (entries = new Map()));
  return entries;
}

/** Entries grouped by key, in the order keys first appear. */
function group(tracked: readonly Tracked[]): PresenceEntry[] {
  const byKey = new Map<string, PresenceMeta[]>();
  for (const { key, meta } of tracked) {
    const metas = byKey.get(key);
    if (metas === undefined) byKey.set(key, [meta]);
    else metas.push(meta);
  }
  return Array.from(byKey, ([key, metas]) => ({ key, metas }));
}

function sameEntry(a: Tracked | undefined, b: Tracked): boolean {
  return a !== undefined && a.key === b.key && JSON.stringify(a.meta) === JSON.stringify(b.meta);
}

/** The well-formed entries of a list that came from another node. */
function trackedList(value: unknown): Tracked[] {
  if (!Array.isArray(value)) return [];
  const list: Tracked[] = [];
  for (const item of value) {
    if (!isPlainObject(item) || typeof item.key !== 'string' || !isPlainObject(item.meta)) continue;
    const meta = item.meta as Record<string, unknown>;
    if (typeof meta.connectionId !== 'string' || typeof meta.node !== 'string') continue;
    list.push({ key: item.key, meta: Object.freeze(meta) as PresenceMeta });
  }
  return list;
}
