// The events of one connection that wait while its handler runs, oldest first. They are kept
// as triples (event, first argument, second argument) in one flat array, so queueing a message
// allocates no object for it.
import type { HandlerEvent } from './metadata';

// Taken slots are compacted away once this many have piled up at the front.
const COMPACT_AT = 3 * 1024;

export class PendingEvents {
  /** The arguments of the event `shift()` returned last. */
  first: unknown;
  second: unknown;
  private readonly slots: unknown[] = [];
  private head = 0;
  private size = 0;

  get count(): number {
    return this.size;
  }

  push(event: HandlerEvent, first: unknown, second: unknown): void {
    this.slots.push(event, first, second);
    this.size++;
  }

  /** Takes the oldest event (there must be one); its arguments are then in `first` and `second`. */
  shift(): HandlerEvent {
    const slots = this.slots;
    const at = this.head;
    const event = slots[at] as HandlerEvent;
    this.first = slots[at + 1];
    this.second = slots[at + 2];
    slots[at] = slots[at + 1] = slots[at + 2] = undefined;
    this.size--;
    if (this.size === 0) {
      this.head = 0;
      slots.length = 0;
    } else if ((this.head = at + 3) >= COMPACT_AT) {
      slots.splice(0, this.head);
      this.head = 0;
    }
    return event;
  }

  /** Whether the oldest event (there must be one) is one `matches` picks. */
  nextIsMessage(matches: (event: HandlerEvent) => boolean): boolean {
    return matches(this.slots[this.head] as HandlerEvent);
  }

  /** Removes the events `matches` picks (keeping the order of the rest); returns how many. */
  discard(matches: (event: HandlerEvent) => boolean): number {
    const kept: unknown[] = [];
    const slots = this.slots;
    for (let at = this.head; at < slots.length; at += 3) {
      if (!matches(slots[at] as HandlerEvent)) kept.push(slots[at], slots[at + 1], slots[at + 2]);
    }
    const removed = this.size - kept.length / 3;
    this.slots.length = 0;
    this.slots.push(...kept);
    this.head = 0;
    this.size = kept.length / 3;
    return removed;
  }

  /** Forgets the arguments handed out by the last `shift()` (they may be large messages). */
  release(): void {
    this.first = this.second = undefined;
  }
}
