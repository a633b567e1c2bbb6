// ws's receiver events of a socket taken by Duet directly (pings, pongs and errors, without
// listeners of ws's own re-emitting them on every socket), and the link from a ws socket (or its
// TCP stream) to its transport that every shared listener follows: no closure per connection.
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { CloseCode } from '../close-codes';
import type { TransportHandler } from './transport';

/** The key, on a ws socket and on its TCP stream, of the transport they belong to. */
export const kTransport = Symbol('duet.transport');
/** A ws socket (or stream) linked to its transport. */
type Linked = { [kTransport]: { readonly events: TransportHandler } };

/** ws's own listeners on its receivers (one function each for every socket), and its key from a receiver to its socket. */
interface WsReceiverListeners {
  readonly error: (this: Socket, error: Error) => void;
  readonly ping: (this: Socket, data: Buffer) => void;
  readonly pong: (this: Socket, data: Buffer) => void;
  readonly socketKey: symbol;
}
let wsReceiver: WsReceiverListeners | undefined;

/**
 * Takes ws's receiver events of one socket directly, in place of ws's own listeners: pings and
 * pongs go straight to the connection (ws's would only re-emit them on the socket: its automatic
 * pong is off), and errors pass `treatTooManyFragmentsAsTooBig` before ws's own listener, which
 * closes with the code the error carries. Swapping listeners rather than adding some keeps
 * each idle connection free of listener arrays and of two more events on its socket (~100
 * bytes). False, leaving everything as it was, when the receiver is not shaped as expected.
 */
export function takeReceiverEvents(receiver: Socket, socket: WebSocket): boolean {
  // Counted, not listed: this runs at every handshake, and a listing is an array each time.
  if (receiver.listenerCount('error') !== 1 || receiver.listenerCount('ping') !== 1 || receiver.listenerCount('pong') !== 1) return false;
  const record = receiver as unknown as Record<symbol, unknown>;
  if (wsReceiver === undefined) {
    const socketKey = Object.getOwnPropertySymbols(receiver).find((key) => record[key] === socket);
    if (socketKey === undefined) return false;
    const [error] = receiver.rawListeners('error');
    const [ping] = receiver.rawListeners('ping');
    const [pong] = receiver.rawListeners('pong');
    wsReceiver = { error, ping, pong, socketKey } as WsReceiverListeners;
  } else if (record[wsReceiver.socketKey] !== socket) {
    return false;
  }
  // Each swap is whole or not at all; after a partial one the caller's fallback listeners
  // serve what was left to ws (the fragments rewrite is harmless twice).
  return (
    swapListener(receiver, 'error', wsReceiver.error, onReceiverError) &&
    swapListener(receiver, 'ping', wsReceiver.ping, onReceiverPing) &&
    swapListener(receiver, 'pong', wsReceiver.pong, onReceiverPong)
  );
}

/** Replaces ws's own `theirs` with `ours`; false, changing nothing, when `theirs` is not the listener there. */
function swapListener<A>(receiver: Socket, event: string, theirs: (this: Socket, arg: A) => void, ours: (this: Socket, arg: A) => void): boolean {
  receiver.removeListener(event, theirs as (...args: unknown[]) => void);
  if (receiver.listenerCount(event) !== 0) return false;
  receiver.on(event, ours as (...args: unknown[]) => void);
  return true;
}

function socketOf(receiver: Socket): Linked {
  return (receiver as unknown as Record<symbol, Linked>)[wsReceiver!.socketKey];
}

function onReceiverError(this: Socket, error: Error): void {
  treatTooManyFragmentsAsTooBig(error);
  wsReceiver!.error.call(this, error);
}

function onReceiverPing(this: Socket, data: Buffer): void {
  socketOf(this)[kTransport].events.transportPing(data);
}

function onReceiverPong(this: Socket, data: Buffer): void {
  socketOf(this)[kTransport].events.transportPong(data);
}

/**
 * A message in more fragments than `maxFragments` allows is a message too big for this
 * service (1009), as one over `maxFrameSize` is; ws reports it as a policy violation (1008).
 * Rewritten on the error before ws reads it to close the connection.
 */
export function treatTooManyFragmentsAsTooBig(error: Error & { code?: string }): void {
  if (error.code !== 'WS_ERR_TOO_MANY_BUFFERED_PARTS' || !error.message.includes('fragments')) return;
  for (const symbol of Object.getOwnPropertySymbols(error)) {
    const record = error as unknown as Record<symbol, unknown>;
    if (record[symbol] === CloseCode.PolicyViolation) record[symbol] = CloseCode.MessageTooBig;
  }
}
