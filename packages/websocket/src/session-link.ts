// One socket under a resumable session (session.ts): the session's current socket passes its
// events on; a socket the session has moved past (after a resume) is ignored, whatever it says.
import type { ProtocolError } from './errors';
import type { Session } from './session';
import type { Transport, TransportHandler } from './transport/transport';

/** One socket of the session: its events count only while it is the session's current one. */
export class SocketLink implements TransportHandler {
  constructor(
    private readonly session: Session,
    readonly transport: Transport,
  ) {}

  transportMessage(data: Buffer, isBinary: boolean): void {
    if (this.session.link === this) this.session.received(data, isBinary);
  }

  transportText(text: string): void {
    // The session reads its own frames ($ack) as bytes: an engine's string (Bun) is encoded once.
    if (this.session.link === this) this.session.received(Buffer.from(text), false);
  }

  transportPing(data: Buffer): void {
    if (this.session.link === this) this.session.host.transportPing(data);
  }

  transportPong(data: Buffer): void {
    if (this.session.link === this) this.session.host.transportPong(data);
  }

  transportActivity(): void {
    if (this.session.link === this) this.session.host.transportActivity();
  }

  transportError(error: ProtocolError): void {
    if (this.session.link === this) this.session.host.transportError(error);
  }

  transportClose(code: number, reason: string): void {
    if (this.session.link === this) this.session.dropped(code, reason);
  }
}
