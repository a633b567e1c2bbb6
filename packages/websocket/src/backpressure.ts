// The slow-consumer policy: every connection may have at most `maxBufferedBytes` waiting to
// be written. A write that would go past it is dropped, closes the connection with 1013, or
// (direct Caller writes under 'wait') resolves only once the socket has flushed it.
import type WebSocket from 'ws';
import type { FrameData } from './replies';

export type SlowConsumerPolicy = 'drop' | 'close' | 'wait';

/** What became of a write. `Closed`: the connection is not open, or is being closed as a slow consumer. */
export const WriteOutcome = { Sent: 0, Dropped: 1, Closed: 2 } as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

/**
 * Writes `data` to `socket` if its backlog allows. Nothing is measured when the backlog is
 * empty (the common case): a single message larger than the limit still goes out to a
 * reader that keeps up; the limit bounds what piles up for one that does not.
 */
export function exceedsBacklog(socket: WebSocket, data: FrameData, maxBufferedBytes: number): boolean {
  const buffered = socket.bufferedAmount;
  if (buffered === 0) return false;
  if (typeof data !== 'string') return buffered + data.byteLength > maxBufferedBytes;
  // A UTF-16 code unit is at most 3 bytes of UTF-8: when even that bound fits, skip the exact
  // count, which would scan the whole string on every write to a socket with a backlog.
  if (buffered + 3 * data.length <= maxBufferedBytes) return false;
  return buffered + Buffer.byteLength(data) > maxBufferedBytes;
}

/** Sends and resolves once everything queued before it, and it, has reached the kernel. */
export function sendAndWaitForFlush(socket: WebSocket, data: FrameData): Promise<boolean> {
  return new Promise((resolve) => socket.send(data, (error) => resolve(error === undefined || error === null)));
}
