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
    return new MemberListIterator(this);
  }

  [Symbol.iterator](): IterableIterator<T> {
    return new MemberListIterator(this);
  }

  /** @internal The slots as they are now (a compaction replaces the array): for the iterator. */
  get currentSlots(): readonly (T | number)[] {
    return this.slots;
  }

  /** @internal The first slot whose opening number is `openedAs` or later (`delete`, the iterator). */
  firstFrom(openedAs: number): number {
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

/**
 * Reads a list's members in order. A class, not a generator: a broadcast reads every member
 * through it, and a generator's resume and result objects cost it measurably on thousands of
 * members. After a compaction it goes on from the member after the last it returned.
 */
class MemberListIterator<T extends OpenedInOrder> implements IterableIterator<T> {
  private slots: readonly (T | number)[];
  private at = 0;
  private last = 0;

  constructor(private readonly list: MemberList<T>) {
    this.slots = list.currentSlots;
  }

  next(): IteratorResult<T> {
    const list = this.list;
    if (this.slots !== list.currentSlots) {
      this.slots = list.currentSlots;
      this.at = list.firstFrom(this.last + 1);
    }
    const slots = this.slots;
    while (this.at < slots.length) {
      const slot = slots[this.at++]!;
      if (typeof slot === 'number') continue;
      this.last = slot.openedAs;
      return { value: slot, done: false };
    }
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }
}
