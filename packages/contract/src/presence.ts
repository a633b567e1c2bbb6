// Presence on the wire: the shapes a service with `presenceEvents: true` sends and @duet/client
// reads, declared once for both ends (docs/cluster.md).

/** The event with everyone in a room, sent to a connection when it joins the room. */
export const PRESENCE_STATE = '$presence_state';
/** The event with who joined and who left a room since. */
export const PRESENCE_DIFF = '$presence_diff';

/** One connection's presence: the meta it was tracked with, plus where it is. */
export interface PresenceMeta {
  readonly connectionId: string;
  /** The node (process) the connection is on. */
  readonly node: string;
  readonly [field: string]: unknown;
}

/** One key (the principal's `name`, else the connection id) with a meta per tracked connection (tab). */
export interface PresenceEntry {
  readonly key: string;
  readonly metas: readonly PresenceMeta[];
}

/** `$presence_state`: everyone in `room`. */
export interface PresenceState {
  readonly room: string;
  readonly presences: readonly PresenceEntry[];
}

/** `$presence_diff`: only the metas that joined and left `room`. */
export interface PresenceDiff {
  readonly room: string;
  readonly joins: readonly PresenceEntry[];
  readonly leaves: readonly PresenceEntry[];
}
