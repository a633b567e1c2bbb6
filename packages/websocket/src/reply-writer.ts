// Writes what a connection's handlers give back: a reply (with its reply id), the pong of
// `@OnPing`, and each item of a reply stream. A value without a frame form is the handler's
// failure, which the handler runner (handler-runner.ts) acts on. One per connection.
import type { ConnectionReport } from './connection-report';
import type { StreamSink } from './messages/reply-streams';
import type { MessageRouting } from './messages/router';
import { HandlerEvent } from './metadata';
import { toFrameData, toPongData } from './replies';
import type { RunnerHost } from './runner-host';

/** What the writer tells its runner when a value cannot be sent. */
export interface ReplyFailures {
  replyFailed(event: HandlerEvent, error: unknown): void;
  streamFailed(error: unknown): void;
}

export class ReplyWriter implements StreamSink {
  constructor(
    private readonly host: RunnerHost,
    private readonly report: ConnectionReport,
    private readonly routing: MessageRouting | undefined,
    private readonly failures: ReplyFailures,
  ) {}

  reply(event: HandlerEvent, value: unknown): void {
    let data;
    try {
      data = toFrameData(value);
    } catch (error) {
      this.failures.replyFailed(event, error);
      return;
    }
    if (!this.host.outbound.reply(data)) this.notSent();
  }

  /** A reply the connection closed before: logged, as a handler may return after the close. */
  notSent(): void {
    this.report.logger.debug('reply not sent: the connection closed before the handler returned', this.report.fields(this.host.caller));
  }

  replyPong(value: unknown): void {
    let data;
    try {
      data = toPongData(value);
    } catch (error) {
      this.failures.replyFailed(HandlerEvent.Ping, error);
      return;
    }
    this.host.outbound.writeControl(HandlerEvent.Pong, data);
  }

  /** With `dispatcherStreamId`, a reply to a message that carried an id carries it too. */
  withReplyId(value: unknown, id: unknown): unknown {
    return id === undefined ? value : this.routing!.withReplyId(value, id);
  }

  sendStreamItem(item: unknown, id: unknown): boolean | Promise<void> {
    if (!this.host.transport.isOpen) return false;
    let data;
    try {
      data = toFrameData(this.withReplyId(item, id));
    } catch (error) {
      this.failures.streamFailed(error);
      return false;
    }
    return this.host.outbound.writeStreamItem(data);
  }

  streamFailed(error: unknown): void {
    this.failures.streamFailed(error);
  }
}
