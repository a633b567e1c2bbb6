// Traffic logging for debugging: every connection's open, close and messages in and out,
// at debug level through the app's Logger, payloads cut to `maxPayload` characters.
import type { Logger } from '../logger';
import type { FrameData, MessageKind } from '../frames';
import type { ConnectionInfo, WebSocketObserver } from './observer';

export interface TrafficLogOptions {
  /** Characters of a payload shown (default 200); binary payloads are shown as hex. */
  maxPayload?: number;
}

export class TrafficLogger implements WebSocketObserver {
  private readonly maxPayload: number;

  constructor(
    private readonly logger: Logger,
    options: TrafficLogOptions = {},
  ) {
    this.maxPayload = options.maxPayload ?? 200;
  }

  connectionOpened(connection: ConnectionInfo): void {
    this.logger.debug('connection opened', {
      ...fields(connection),
      remoteAddress: connection.caller.request.remoteAddress,
    });
  }

  connectionClosed(connection: ConnectionInfo, statusCode: number, reason: string): void {
    this.logger.debug('connection closed', { ...fields(connection), statusCode, reason });
  }

  messageReceived(connection: ConnectionInfo, kind: MessageKind, data: Buffer): void {
    this.logger.debug('message in', { ...fields(connection), kind, bytes: data.byteLength, payload: this.show(kind, data) });
  }

  messageSent(connection: ConnectionInfo, kind: MessageKind, data: FrameData): void {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    this.logger.debug('message out', { ...fields(connection), kind, bytes, payload: this.show(kind, data) });
  }

  private show(kind: MessageKind, data: FrameData): string {
    const text =
      typeof data === 'string'
        ? data
        : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString(kind === 'text' ? 'utf8' : 'hex');
    return text.length > this.maxPayload ? `${text.slice(0, this.maxPayload)}… (${text.length} chars)` : text;
  }
}

function fields(connection: ConnectionInfo): Record<string, unknown> {
  return { connectionId: connection.caller.getConnectionId(), service: connection.service, path: connection.path };
}
