// The errors of the waits: each names what was awaited and shows the last messages that were
// read and skipped, so a failing test says what it saw instead of only "timed out".
import { DuetError } from '@duet/websocket';

/** A received message: text as a string, binary as a Buffer. */
export type ReceivedMessage = string | Buffer;

/** How many skipped messages an error keeps for its message. */
const KEPT = 3;
/** Characters of each kept message shown. */
const PREVIEW = 80;

/**
 * A wait ran out of time: `waitFor` saw no matching message, `waitForClose` no close,
 * `eventually` no true condition.
 */
export class WaitTimeoutError extends DuetError {
  readonly code = 'DUET_ERR_WAIT_TIMEOUT';

  constructor(
    /** What was awaited, e.g. `a message matching (m) => m === 'ready'`. */
    readonly awaited: string,
    readonly timeoutMs: number,
    /** Messages read and skipped while waiting. */
    readonly skippedCount = 0,
    /** The last few of them (at most 3). */
    readonly lastSkipped: readonly ReceivedMessage[] = [],
  ) {
    super(`Timed out after ${timeoutMs} ms waiting for ${awaited}${describeSkipped(skippedCount, lastSkipped)}.`);
  }
}

/** The connection closed before `waitFor` saw a matching message. */
export class ClosedWhileWaitingError extends DuetError {
  readonly code = 'DUET_ERR_CLOSED_WHILE_WAITING';

  constructor(
    readonly awaited: string,
    /** The close code, when the close was seen. */
    readonly closeCode: number | undefined,
    readonly reason: string,
    readonly skippedCount = 0,
    readonly lastSkipped: readonly ReceivedMessage[] = [],
  ) {
    super(
      `The connection closed (${closeCode ?? 'no code'}${reason ? `: ${reason}` : ''}) while waiting for ` +
        `${awaited}${describeSkipped(skippedCount, lastSkipped)}.`,
    );
  }
}

/** Counts skipped messages and keeps the last few, for the errors above. */
export class SkippedMessages {
  count = 0;
  readonly last: ReceivedMessage[] = [];

  add(message: ReceivedMessage): void {
    this.count++;
    this.last.push(message);
    if (this.last.length > KEPT) this.last.shift();
  }
}

function describeSkipped(count: number, last: readonly ReceivedMessage[]): string {
  if (count === 0) return '; no message arrived';
  const shown = last.map(preview).join(', ');
  return `; skipped ${count} message${count === 1 ? '' : 's'}${count > last.length ? ', the last' : ':'} ${shown}`;
}

function preview(message: ReceivedMessage): string {
  if (typeof message !== 'string') {
    const hex = message.subarray(0, PREVIEW / 2).toString('hex');
    return `<binary ${message.length} bytes ${hex}${message.length > PREVIEW / 2 ? '…' : ''}>`;
  }
  return JSON.stringify(message.length > PREVIEW ? `${message.slice(0, PREVIEW)}…` : message);
}
