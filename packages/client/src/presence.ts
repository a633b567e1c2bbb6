// Presence, for clients of a service with `presenceEvents: true`: the server sends
// `$presence_state` (everyone in a room, when this connection joins it) and `$presence_diff`
// (who joined or left since), which `client.on` hands over; `PresenceList` folds them into who
// is in the room now. Wire format: docs/cluster.md.
import type { DuetClient } from './client';
import { ClientArgumentError } from './errors';
import { Listeners } from './listeners';
import { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiff, type PresenceEntry, type PresenceMeta, type PresenceState } from '@duet/contract';

export { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiff, type PresenceEntry, type PresenceMeta, type PresenceState } from '@duet/contract';

/**
 * Who is in one room now, kept from the server's presence events: a state replaces the list,
 * a diff changes it. Stop it with `stop()`.
 *
 * @example
 * const lobby = new PresenceList(client, 'lobby');
 * lobby.onChange((entries) => render(entries.map((entry) => entry.key)));
 */
export class PresenceList {
  /** key → connection id → meta, in the order keys and connections arrived. */
  readonly #entries = new Map<string, Map<string, PresenceMeta>>();
  readonly #listeners = new Listeners<[readonly PresenceEntry[]]>();
  readonly #unsubscribe: (() => void)[];

  constructor(
    client: DuetClient<any>,
    readonly room: string,
  ) {
    if (typeof room !== 'string') throw new ClientArgumentError('PresenceList takes a room name.');
    this.#unsubscribe = [
      client.on(PRESENCE_STATE, (state) => {
        if (state.room !== room) return;
        this.#entries.clear();
        this.#add(state.presences);
        this.#changed();
      }),
      client.on(PRESENCE_DIFF, (diff) => {
        if (diff.room !== room) return;
        this.#remove(diff.leaves);
        this.#add(diff.joins);
        this.#changed();
      }),
    ];
  }

  /** Everyone in the room, by key, each with the metas of its connections. */
  get list(): PresenceEntry[] {
    return Array.from(this.#entries, ([key, metas]) => ({ key, metas: [...metas.values()] }));
  }

  /** Calls `listener` with the new list after each state or diff; returns the unsubscribe function. */
  onChange(listener: (entries: readonly PresenceEntry[]) => void): () => void {
    if (typeof listener !== 'function') throw new ClientArgumentError('The onChange listener must be a function.');
    return this.#listeners.add('', listener);
  }

  /** Stops listening to the client. */
  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }

  #add(entries: readonly PresenceEntry[]): void {
    for (const { key, metas } of entries) {
      let byConnection = this.#entries.get(key);
      if (byConnection === undefined) this.#entries.set(key, (byConnection = new Map()));
      for (const meta of metas) byConnection.set(meta.connectionId, meta);
    }
  }

  #remove(entries: readonly PresenceEntry[]): void {
    for (const { key, metas } of entries) {
      const byConnection = this.#entries.get(key);
      if (byConnection === undefined) continue;
      for (const meta of metas) byConnection.delete(meta.connectionId);
      if (byConnection.size === 0) this.#entries.delete(key);
    }
  }

  #changed(): void {
    this.#listeners.emit('', this.list);
  }
}
