// The one broadcast of a load run: a text frame carrying when it was sent, on a clock every
// process of the machine reads alike, so each receiver can tell how long it took to arrive.

const PREFIX = '{"load":"broadcast","sentAt":';

/** A wall clock with sub-millisecond steps, comparable between processes of one machine. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** The broadcast's text for a send at `sentAt` (wall-clock milliseconds). */
export function broadcastText(sentAt: number): string {
  return `${PREFIX}${sentAt}}`;
}

/** When the broadcast in `text` was sent, or undefined when `text` is not the broadcast. */
export function sentAtOf(text: string): number | undefined {
  if (!text.startsWith(PREFIX) || !text.endsWith('}')) return undefined;
  const sentAt = Number(text.slice(PREFIX.length, -1));
  return Number.isFinite(sentAt) ? sentAt : undefined;
}
