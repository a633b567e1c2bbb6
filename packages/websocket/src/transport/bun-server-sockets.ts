// What the sockets of one `Bun.serve` server share (bun-transport.ts is one socket): Bun's
// handlers, one set for the whole server, that reach each socket's `BunTransport` through its
// `data`; the server's topics, which carry rooms and service broadcasts (one `server.publish`
// per server and topic); and the limits every socket of one service shares, made once by its
// engine so that a socket holds one reference instead of copies.
import type { BunPerMessageDeflate, BunServer, BunWebSocketHandler } from './bun-types';
import type { BunTransport } from './bun-transport';
import type { EncodedFrame } from './frame-encoding';
import type { TopicServer, TopicSocket } from './transport';

/** A broadcast's text, decoded once for every socket it goes to. */
const textOfFrame = new WeakMap<EncodedFrame, string>();

/** A broadcast as Bun sends it: a string for text (Bun sends text only from a string), bytes for binary. */
export function bunDataOf(frame: EncodedFrame): string | Uint8Array {
  if (frame.binary) return frame.payload;
  let text = textOfFrame.get(frame);
  if (text === undefined) textOfFrame.set(frame, (text = frame.payload.toString()));
  return text;
}

/** The topics of one `Bun.serve` server: a room or a service is one topic per server. */
export class BunTopics implements TopicServer {
  /** Set once the listener's server is up (no socket exists before). */
  server!: BunServer;

  publish(topic: string, frame: EncodedFrame, except: TopicSocket | undefined): boolean {
    // Bun leaves the publishing socket out itself: one excepted member costs nothing more.
    const status =
      except === undefined ? this.server.publish(topic, bunDataOf(frame)) : (except as BunTransport).publishFrom(topic, bunDataOf(frame));
    // -1: some subscriber holds data the kernel has not taken (Bun answers so at once, and for as
    // long as any subscriber still holds some, whatever left it there).
    return status === -1;
  }
}

/** What every socket of one service shares on a Bun server: made once by its engine. */
export interface BunSocketOptions {
  /** The service's maxFrameSize (the server may allow more for another service). */
  readonly maxPayload: number;
  /**
   * The service's compression threshold, or -1 without compression: then every send leaves
   * as before, with no flag. Bun compresses only a send that asks for it, and only where the
   * extension was agreed.
   */
  readonly threshold: number;
  readonly topics: BunTopics;
}

/** Bun's handlers for every socket of one server, with the limits of its busiest service. */
export function bunSocketHandlers(maxPayloadLength: number, perMessageDeflate: BunPerMessageDeflate | false): BunWebSocketHandler<BunTransport> {
  return {
    open: (socket) => socket.data.opened(socket),
    message: (socket, message) => socket.data.received(message),
    ping: (socket, data) => socket.data.pinged(data),
    pong: (socket, data) => socket.data.ponged(data),
    drain: (socket) => socket.data.drained(),
    close: (socket, code, reason) => socket.data.closed(code, reason),
    maxPayloadLength,
    // Duet's own idle timer and heartbeat run these (idleTimeout, pingInterval), as on ws.
    idleTimeout: 0,
    sendPings: false,
    // Never dropped by Bun: the slow-consumer policy (maxBufferedBytes) decides before a write.
    backpressureLimit: 2 ** 31 - 1,
    closeOnBackpressureLimit: false,
    // Per server on Bun: services without compression have the client's offer taken out (bun-listener.ts).
    perMessageDeflate,
    publishToSelf: false,
  };
}
