// A broadcast target: a room, a service, or every connection, optionally but one. The
// message is framed once (header and payload in one Buffer) and the same bytes are handed to
// every socket; each socket's slow-consumer limit applies, and the other nodes of the
// backplane get it too.
import type { Caller } from '../caller';
import { type EncodedFrame, encodeFrame } from '../frame-writer';
import { bytesOf } from '../replies';
import type { BackplaneMessage } from './backplane';

/** What a broadcast did on this process. */
export interface BroadcastResult {
  /** Connections the frame was handed to. */
  readonly sent: number;
  /** Connections skipped by their slow-consumer policy (dropped or closed). */
  readonly skipped: number;
}

/** A connection as a broadcast sees it. */
export interface BroadcastMember {
  readonly caller: Caller;
  /** Writes a frame encoded once for all under the connection's slow-consumer policy; true when handed to its socket. */
  writeBroadcast(encoded: EncodedFrame): boolean;
}

/** The registry side of a broadcast: who is targeted, and where other nodes are. */
export interface BroadcastHost {
  readonly nodeId: string;
  targets(room: string | undefined, servicePath: string | undefined): Iterable<BroadcastMember>;
  publish(message: BackplaneMessage): void;
}

export class BroadcastTarget {
  /** @internal Made by `ConnectionRegistry.to()` / `broadcast()`. */
  constructor(
    private readonly host: BroadcastHost,
    private readonly room: string | undefined,
    private readonly servicePath: string | undefined,
    private readonly excluded: Caller | undefined = undefined,
  ) {}

  /** The same target without `caller` (typically the sender). */
  except(caller: Caller): BroadcastTarget {
    return new BroadcastTarget(this.host, this.room, this.servicePath, caller);
  }

  writeTextMessage(text: string): Promise<BroadcastResult> {
    return Promise.resolve(this.send(Buffer.from(text), false, text));
  }

  writeBinaryMessage(data: Buffer | Uint8Array | ArrayBuffer): Promise<BroadcastResult> {
    return Promise.resolve(this.send(bytesOf(data), true, undefined));
  }

  /** A string as text, bytes as binary, anything else as JSON text. */
  writeMessage(value: unknown): Promise<BroadcastResult> {
    if (typeof value === 'string') return this.writeTextMessage(value);
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) return this.writeBinaryMessage(value);
    const json = JSON.stringify(value);
    if (json === undefined) return Promise.reject(new TypeError(`a ${typeof value} has no JSON form to broadcast`));
    return this.writeTextMessage(json);
  }

  /** @internal Delivers on this process only: used for messages from other nodes. */
  deliverLocally(data: Buffer, binary: boolean, exceptId: string | undefined): BroadcastResult {
    const encoded = encodeFrame(data, binary);
    let sent = 0;
    let skipped = 0;
    for (const member of this.host.targets(this.room, this.servicePath)) {
      if (member.caller === this.excluded || (exceptId !== undefined && member.caller.getConnectionId() === exceptId)) {
        continue;
      }
      if (member.writeBroadcast(encoded)) sent++;
      else skipped++;
    }
    return { sent, skipped };
  }

  private send(data: Buffer, binary: boolean, text: string | undefined): BroadcastResult {
    const result = this.deliverLocally(data, binary, undefined);
    this.host.publish({
      origin: this.host.nodeId,
      room: this.room,
      servicePath: this.servicePath,
      except: this.excluded?.getConnectionId(),
      ...(binary ? { binary: data.toString('base64') } : { text }),
    });
    return result;
  }
}
