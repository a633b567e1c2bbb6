// What monitoring sees of a running app: connections opening and closing, messages in and
// out, handler durations, errors, refused upgrades, and the resumable sessions' drops, resumes,
// refusals and losses. Observers are bound in the container under OBSERVER (metrics, traffic
// logs, your own); with none bound, the runtime skips every hook behind one `undefined` check.
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../caller';
import type { FrameData, MessageKind } from '../frames';
import type { ResumeRefusal } from '../registry/registry-stats';

/** Which connection an event belongs to. One object per connection, made only when observed. */
export interface ConnectionInfo {
  readonly caller: Caller;
  /** The service class name. */
  readonly service: string;
  /** The service's path pattern (`/chat/:room`). */
  readonly path: string;
}

/** What kind of frame a slow-consumer policy dropped. */
export type DroppedKind = MessageKind | 'ping' | 'pong';

/** Every hook is optional; an observer that throws is logged and never breaks a connection. */
export interface WebSocketObserver {
  connectionOpened?(connection: ConnectionInfo): void;
  connectionClosed?(connection: ConnectionInfo, statusCode: number, reason: string): void;
  messageReceived?(connection: ConnectionInfo, kind: MessageKind, data: Buffer): void;
  messageSent?(connection: ConnectionInfo, kind: MessageKind, data: FrameData): void;
  /** The slow-consumer policy dropped a frame for this connection instead of sending it. */
  messageDropped?(connection: ConnectionInfo, kind: DroppedKind): void;
  /** A handler finished: `handler` is the event (`open`, `text`, `message`…), `failed` if it threw. */
  handlerFinished?(connection: ConnectionInfo, handler: string, durationMs: number, failed: boolean): void;
  /** An error reached a connection: `kind` is its `code` (or its name). */
  errorOccurred?(connection: ConnectionInfo, kind: string, error: unknown): void;
  /** An upgrade was answered with an HTTP error; `headers` are the request's (for a `traceparent`). */
  upgradeRefused?(path: string, status: number, headers: IncomingHttpHeaders): void;
  /**
   * The socket under a resumable session dropped and the session waits for a resume (the
   * service's `@OnDisconnect` runs next). Either `sessionResumed` or `connectionClosed` follows.
   */
  sessionDisconnected?(connection: ConnectionInfo, statusCode: number, reason: string): void;
  /** A resumable session took a new socket. */
  sessionResumed?(connection: ConnectionInfo): void;
  /**
   * A resumable session ended while its client was away: its `window` passed (`expired`), or a
   * write overflowed its buffer (`overflowed`). `connectionClosed` follows.
   */
  sessionLost?(connection: ConnectionInfo, outcome: SessionLoss): void;
  /**
   * A client asked to resume a session of `service` (the class name) and was refused: it gets a
   * fresh session, whose `connectionOpened` follows.
   */
  resumeRefused?(service: string, reason: ResumeRefusal): void;
}

/** How a resumable session can end while its client is away. */
export type SessionLoss = 'expired' | 'overflowed';

/** The container token for observers; bind several with `container.bind(OBSERVER).toConstantValue(…)`. */
export const OBSERVER = Symbol.for('@duet/websocket:observer');

/** The handler names observers see, by `HandlerEvent` index. */
export const HANDLER_NAMES: readonly string[] = [
  'open',
  'text',
  'binary',
  'ping',
  'pong',
  'idleTimeout',
  'close',
  'error',
  'upgrade',
  'message',
];

/** Fans hooks out to several observers; one that throws is reported and the others still run. */
export function combineObservers(
  observers: readonly WebSocketObserver[],
  onFailure: (error: unknown) => void,
): WebSocketObserver | undefined {
  if (observers.length === 0) return undefined;
  const each =
    <K extends keyof WebSocketObserver>(hook: K) =>
    (...args: Parameters<NonNullable<WebSocketObserver[K]>>) => {
      for (const observer of observers) {
        const fn = observer[hook] as ((...a: unknown[]) => void) | undefined;
        if (fn === undefined) continue;
        try {
          fn.apply(observer, args);
        } catch (error) {
          onFailure(error);
        }
      }
    };
  return {
    connectionOpened: each('connectionOpened'),
    connectionClosed: each('connectionClosed'),
    messageReceived: each('messageReceived'),
    messageSent: each('messageSent'),
    messageDropped: each('messageDropped'),
    handlerFinished: each('handlerFinished'),
    errorOccurred: each('errorOccurred'),
    upgradeRefused: each('upgradeRefused'),
    sessionDisconnected: each('sessionDisconnected'),
    sessionResumed: each('sessionResumed'),
    sessionLost: each('sessionLost'),
    resumeRefused: each('resumeRefused'),
  };
}

/** The kind of an error for `errorOccurred`: its `code`, else its class name. */
export function errorKind(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : typeof error;
}
