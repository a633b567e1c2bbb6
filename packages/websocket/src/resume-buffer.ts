// The messages a resumable session has sent (or holds back) that its client has not yet
// acknowledged, oldest first. Messages are numbered by their place in the session (the first is
// 1), so no number travels on the wire: the client acknowledges "the first n" and asks to resume
// "after n". Parallel arrays with a moving head: one push per message, no object per message.
import type { FrameData } from './replies';
import type { EncodedFrame } from './transport/frame-encoding';

/** How a buffered frame is written again: as data, as received text bytes, or as a pre-framed broadcast. */
export const FrameKind = { Data: 0, TextBytes: 1, Encoded: 2 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export type BufferedFrame = FrameData | EncodedFrame;

// Compacting moves every remaining entry: done only once the dead head is large and is at
// least half of the array, so each entry is moved a bounded number of times.
const COMPACT_AT = 1024;

export class ResumeBuffer {
  /** The number of the last message the client acknowledged. */
  acked = 0;
  /** Bytes of every frame held. */
  bytes = 0;
  /** Frames from the head already written to the current transport, and their bytes. */
  written = 0;
  writtenBytes = 0;
  private frames: (BufferedFrame | undefined)[] = [];
  private kinds: FrameKind[] = [];
  private sizes: number[] = [];
  private head = 0;

  /** Frames held (not acknowledged). */
  get count(): number {
    return this.frames.length - this.head;
  }

  /** The number of the last message of the session. */
  get last(): number {
    return this.acked + this.count;
  }

  push(frame: BufferedFrame, kind: FrameKind, size: number): void {
    this.frames.push(frame);
    this.kinds.push(kind);
    this.sizes.push(size);
    this.bytes += size;
  }

  /** Over `maxMessages` or `maxBytes` in all. */
  exceeds(maxMessages: number, maxBytes: number): boolean {
    return this.count > maxMessages || this.bytes > maxBytes;
  }

  /**
   * Forgets the messages up to number `n`, which the client has. False (and nothing changes)
   * when `n` is before the last acknowledgement or past the last message: not an honest count.
   */
  acknowledge(n: number): boolean {
    if (!Number.isSafeInteger(n) || n < this.acked || n > this.last) return false;
    while (this.acked < n) {
      const at = this.head;
      const size = this.sizes[at]!;
      this.bytes -= size;
      if (this.written > 0) {
        this.written--;
        this.writtenBytes -= size;
      }
      this.frames[at] = undefined;
      this.head++;
      this.acked++;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.frames.length) this.compact();
    return true;
  }

  /**
   * Whether the next unwritten frame may go out: the frames in flight stay within the bounds,
   * except that a single frame larger than `maxBytes` still goes when nothing else is in flight.
   */
  nextFits(maxMessages: number, maxBytes: number): boolean {
    const next = this.written;
    if (next >= this.count) return false;
    if (next === 0) return true;
    return next < maxMessages && this.writtenBytes + this.sizes[this.head + next]! <= maxBytes;
  }

  /** The next unwritten frame; call `markWritten` once it went out. */
  nextFrame(): BufferedFrame {
    return this.frames[this.head + this.written]!;
  }

  nextKind(): FrameKind {
    return this.kinds[this.head + this.written]!;
  }

  markWritten(): void {
    this.writtenBytes += this.sizes[this.head + this.written]!;
    this.written++;
  }

  /** Bytes held back, not yet written to the transport. */
  get heldBytes(): number {
    return this.bytes - this.writtenBytes;
  }

  /** A new transport: nothing held has been written to it yet. */
  rewind(): void {
    this.written = 0;
    this.writtenBytes = 0;
  }

  /** Lets every frame go (the session ended). */
  clear(): void {
    this.frames = [];
    this.kinds = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = this.written = this.writtenBytes = 0;
  }

  private compact(): void {
    this.frames = this.frames.slice(this.head);
    this.kinds = this.kinds.slice(this.head);
    this.sizes = this.sizes.slice(this.head);
    this.head = 0;
  }
}
