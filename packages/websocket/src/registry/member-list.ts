// A service's open connections, in the order they opened: what its heartbeat, its listener's
// stop, broadcasts and `registry.list()` read. An array of references in opening order, not a
// Set: a Set's entry costs an idle connection about 50 bytes of hash table (JavaScriptCore and
// V8 alike), an array's slot 8. A connection is found by its opening number (binary search),
// and a closed one leaves its number in its slot until a compaction, so the search still
// works and nothing moves under a reader. Iterating sees what a Set's iterator would: members
// added meanwhile, not those deleted meanwhile.

/** What the list keeps in order: an opening number, increasing, unique in the process. */
export interface OpenedInOrder {
  readonly openedAs: number;
}

/** Reading a member list (the registry's, the heartbeat's, a listener's view). */
export interface ReadonlyMemberList<T extends OpenedInOrder> extends Iterable<T> {
  readonly size: number;
  values(): IterableIterator<T>;
}

/** Compact once at least this many slots are left by closed members (and more than are open). */
const COMPACT_AFTER = 32;

export class MemberList<T extends OpenedInOrder> implements ReadonlyMemberList<T> {
  /** Members by opening number; a closed member's slot holds its number until the next compaction. */
  private slots: (T | number)[] = [];
  private open = 0;

  get size(): number {
    return this.open;
  }

  /** Adds a member opened after every member added before it. */
  add(member: T): void {
    this.slots.push(member);
    this.open++;
  }

  /** Takes `member` out; false when it was not in the list. */
  delete(member: T): boolean {
    const { slots } = this;
    const at = this.firstFrom(member.openedAs);
    if (at === slots.length || slots[at] !== member) return false;
    slots[at] = member.openedAs;
    this.open--;
    const left = slots.length - this.open;
    if (left >= COMPACT_AFTER && left > this.open) this.compact();
    return true;
  }

  values(): IterableIterator<T> {
    return this[Symbol.iterator]();
  }

  *[Symbol.iterator](): IterableIterator<T> {
    let slots = this.slots;
    let at = 0;
    let last = 0;
    for (;;) {
      // Compacted since the last step: go on in the new array after the last member seen.
      if (slots !== this.slots) {
        slots = this.slots;
        at = this.firstFrom(last + 1);
      }
      if (at >= slots.length) return;
      const slot = slots[at++]!;
      if (typeof slot === 'number') continue;
      last = slot.openedAs;
      yield slot;
    }
  }

  /** The first slot whose opening number is `openedAs` or later. */
  private firstFrom(openedAs: number): number {
    const { slots } = this;
    let low = 0;
    let high = slots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const slot = slots[middle]!;
      if ((typeof slot === 'number' ? slot : slot.openedAs) < openedAs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** A new array of the open members (an iteration under way goes on in it: see the iterator). */
  private compact(): void {
    const open: T[] = [];
    for (const slot of this.slots) if (typeof slot !== 'number') open.push(slot);
    this.slots = open;
  }
}
