// Fuzz cases: a few valid frames (whole or fragmented messages, pings, pongs, closes), then
// mutations of them (flipped bits, lying lengths, bad masks, random opcodes and reserved bits,
// broken fragmentation, invalid UTF-8, bad close frames, cut or padded streams), cut into TCP
// writes at random points. Everything is drawn from one seeded `Random`: a seed is a case.
import type { Random } from './prng';

/** A frame before encoding; mutations edit these fields. */
export interface GenFrame {
  fin: boolean;
  /** RSV1..RSV3 as three bits (4, 2, 1). */
  rsv: number;
  opcode: number;
  payload: Buffer;
  /** The masking key, or false for an unmasked frame. */
  mask: Buffer | false;
  /** When set, the payload is masked with this key, not the one in the header. */
  maskedWith?: Buffer;
  /** 0: the shortest length encoding; 16 or 64: that form even for a short payload. */
  lengthForm: 0 | 16 | 64;
  /** The length written in the header, when it differs from the payload's. */
  declaredLength?: bigint;
}

export interface FuzzCase {
  /** Every byte the case sends after the handshake. */
  readonly bytes: Buffer;
  /** `bytes` cut into TCP writes. */
  readonly writes: readonly Buffer[];
  /** Whether to yield to the event loop after each write, so the pieces arrive apart. */
  readonly pauses: readonly boolean[];
  /** What was generated and how it was mutated, for a person replaying a failure. */
  readonly steps: readonly string[];
}

const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;
const CONTINUATION = 0x0;

/** Byte sequences that are not UTF-8: overlong, a surrogate, past U+10FFFF, a stray byte, cut short. */
const INVALID_UTF8 = [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xe2, 0x82]];
/** Close codes a peer must not send (RFC 6455 §7.4). */
const INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535];
const HUGE_LENGTHS = [2n ** 63n, 2n ** 64n - 1n, 2n ** 53n, 2n ** 32n];

export function generateCase(rng: Random, maxFrameSize: number): FuzzCase {
  const steps: string[] = [];
  const frames: GenFrame[] = [];
  const items = rng.between(1, 5);
  for (let i = 0; i < items; i++) addValidItem(rng, frames, steps, maxFrameSize);

  const mutations = rng.chance(0.1) ? 0 : rng.between(1, 3);
  const byteMutations: ((bytes: Buffer) => Buffer)[] = [];
  for (let i = 0; i < mutations; i++) {
    const mutation = rng.pick(MUTATIONS);
    if (mutation.onBytes !== undefined) {
      const onBytes = mutation.onBytes;
      byteMutations.push((bytes) => onBytes(rng, bytes, steps));
    } else {
      mutation.onFrames!(rng, frames, steps);
    }
  }
  let bytes: Buffer = Buffer.concat(frames.map(encodeFrame));
  for (const mutate of byteMutations) bytes = mutate(bytes);
  // Most cases end with a goodbye, so that a case the server accepts ends at once (unless a
  // mutation left the server waiting for more payload: then the idle timeout ends it).
  if (rng.chance(0.75)) {
    const code = rng.pick([1000, 1001, 3000 + rng.int(2000), undefined]);
    frames.length = 0;
    addClose(rng, frames, code);
    bytes = Buffer.concat([bytes, encodeFrame(frames[0])]);
    steps.push(`close ${code ?? '(no code)'}`);
  }
  const { writes, pauses } = cut(rng, bytes);
  steps.push(`${writes.length} TCP write(s): ${writes.map((w) => w.length).join(', ')} B`);
  return { bytes, writes, pauses, steps };
}

/** Encodes a frame as told, lies included. */
export function encodeFrame(frame: GenFrame): Buffer {
  const declared = frame.declaredLength ?? BigInt(frame.payload.length);
  let form: 7 | 16 | 64 = declared <= 125n ? 7 : declared <= 0xffffn ? 16 : 64;
  if (frame.lengthForm === 16 && declared <= 0xffffn) form = 16;
  if (frame.lengthForm === 64) form = 64;
  const first = (frame.fin ? 0x80 : 0) | ((frame.rsv & 7) << 4) | (frame.opcode & 0x0f);
  const maskBit = frame.mask === false ? 0 : 0x80;
  let header: Buffer;
  if (form === 7) {
    header = Buffer.from([first, maskBit | Number(declared)]);
  } else if (form === 16) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(declared), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(declared, 2);
  }
  if (frame.mask === false) return Buffer.concat([header, frame.payload]);
  const key = frame.maskedWith ?? frame.mask;
  const masked = Buffer.allocUnsafe(frame.payload.length);
  for (let i = 0; i < masked.length; i++) masked[i] = frame.payload[i] ^ key[i & 3];
  return Buffer.concat([header, frame.mask, masked]);
}

function frameOf(rng: Random, opcode: number, payload: Buffer, fin = true): GenFrame {
  return { fin, rsv: 0, opcode, payload, mask: rng.bytes(4), lengthForm: 0 };
}

function addValidItem(rng: Random, frames: GenFrame[], steps: string[], maxFrameSize: number): void {
  const kind = rng.int(10);
  if (kind < 7) {
    const text = kind < 4;
    const size = payloadSize(rng, maxFrameSize);
    const payload = text ? utf8Text(rng, size) : rng.bytes(size);
    const pieces = rng.chance(0.3) ? rng.between(2, 5) : 1;
    const withPing = pieces > 1 && rng.chance(0.4);
    let at = 0;
    for (let i = 0; i < pieces; i++) {
      const end = i === pieces - 1 ? payload.length : rng.between(at, payload.length);
      frames.push(frameOf(rng, i === 0 ? (text ? TEXT : BINARY) : CONTINUATION, payload.subarray(at, end), i === pieces - 1));
      if (withPing && i < pieces - 1) frames.push(frameOf(rng, PING, rng.bytes(rng.int(20))));
      at = end;
    }
    steps.push(`${text ? 'text' : 'binary'} ${payload.length} B${pieces > 1 ? ` in ${pieces} fragments${withPing ? ', pings between' : ''}` : ''}`);
  } else if (kind < 9) {
    const opcode = kind === 7 ? PING : PONG;
    frames.push(frameOf(rng, opcode, rng.bytes(rng.int(126))));
    steps.push(`${opcode === PING ? 'ping' : 'pong'} ${frames[frames.length - 1].payload.length} B`);
  } else {
    const code = rng.pick([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000 + rng.int(2000)]);
    addClose(rng, frames, code);
    steps.push(`close ${code} mid-sequence`);
  }
}

function addClose(rng: Random, frames: GenFrame[], code: number | undefined): void {
  if (code === undefined) {
    frames.push(frameOf(rng, CLOSE, Buffer.alloc(0)));
    return;
  }
  const status = Buffer.alloc(2);
  status.writeUInt16BE(code, 0);
  frames.push(frameOf(rng, CLOSE, Buffer.concat([status, utf8Text(rng, rng.int(40))]))); // at most 43 bytes of reason
}

/** Mostly small; sometimes medium; sometimes right around the service's limit. */
function payloadSize(rng: Random, maxFrameSize: number): number {
  const roll = rng.int(100);
  if (roll < 70) return rng.int(126);
  if (roll < 90) return rng.between(126, 1000);
  if (roll < 97) return rng.between(1000, 20000);
  return rng.between(maxFrameSize - 64, maxFrameSize + 64);
}

/** Valid UTF-8 of about `size` bytes: ASCII and 2-, 3- and 4-byte characters, encoded here. */
function utf8Text(rng: Random, size: number): Buffer {
  const out = Buffer.allocUnsafe(size + 3);
  let at = 0;
  while (at < size) {
    const roll = rng.int(10);
    if (roll < 6) {
      out[at++] = rng.between(0x20, 0x7e);
    } else if (roll < 8) {
      const c = rng.between(0x80, 0x7ff);
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else if (roll < 9) {
      const c = rng.chance(0.5) ? rng.between(0x800, 0xd7ff) : rng.between(0xe000, 0xfffd); // no surrogates
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    } else {
      const c = rng.between(0x10000, 0x10ffff);
      out[at++] = 0xf0 | (c >> 18);
      out[at++] = 0x80 | ((c >> 12) & 0x3f);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, at);
}

function cut(rng: Random, bytes: Buffer): { writes: Buffer[]; pauses: boolean[] } {
  const count = bytes.length < 2 ? 1 : rng.between(1, Math.min(6, bytes.length));
  const points = new Set<number>();
  while (points.size < count - 1) points.add(rng.between(1, bytes.length - 1));
  const sorted = [0, ...[...points].sort((a, b) => a - b), bytes.length];
  const writes: Buffer[] = [];
  const pauses: boolean[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    writes.push(bytes.subarray(sorted[i], sorted[i + 1]));
    pauses.push(rng.chance(0.3));
  }
  return { writes, pauses };
}

interface Mutation {
  readonly onFrames?: (rng: Random, frames: GenFrame[], steps: string[]) => void;
  readonly onBytes?: (rng: Random, bytes: Buffer, steps: string[]) => Buffer;
}

/** A frame to mutate; when there is none, a small binary one is made. */
function target(rng: Random, frames: GenFrame[]): [GenFrame, number] {
  if (frames.length === 0) frames.push(frameOf(rng, BINARY, rng.bytes(8)));
  const index = rng.int(frames.length);
  return [frames[index], index];
}

function insert(rng: Random, frames: GenFrame[], frame: GenFrame): number {
  const at = rng.int(frames.length + 1);
  frames.splice(at, 0, frame);
  return at;
}

const MUTATIONS: readonly Mutation[] = [
  {
    onFrames(rng, frames, steps) {
      const [frame, i] = target(rng, frames);
      frame.opcode = rng.int(16);
      steps.push(`frame ${i}: opcode ${frame.opcode}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const [frame, i] = target(rng, frames);
      frame.rsv = rng.between(1, 7);
      steps.push(`frame ${i}: reserved bits ${frame.rsv.toString(2).padStart(3, '0')}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const [frame, i] = target(rng, frames);
      const roll = rng.int(3);
      if (roll === 0) frame.mask = false;
      else if (roll === 1) frame.mask = Buffer.alloc(4);
      else frame.maskedWith = rng.bytes(4);
      steps.push(`frame ${i}: ${['unmasked', 'all-zero mask', 'masked with another key'][roll]}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const [frame, i] = target(rng, frames);
      const real = BigInt(frame.payload.length);
      const lie = rng.chance(0.5) ? rng.pick(HUGE_LENGTHS) : real + BigInt(rng.pick([-3, -2, -1, 1, 2, 3, 100, 70000]));
      frame.declaredLength = lie < 0n ? 0n : lie;
      steps.push(`frame ${i}: declares ${frame.declaredLength} B, carries ${real} B`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const [frame, i] = target(rng, frames);
      frame.lengthForm = rng.pick([16, 64] as const);
      steps.push(`frame ${i}: ${frame.lengthForm}-bit length form`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const control = frameOf(rng, rng.pick([PING, PONG, CLOSE]), rng.bytes(rng.int(126)), false);
      steps.push(`fragmented control frame (opcode ${control.opcode}) at ${insert(rng, frames, control)}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const ping = frameOf(rng, PING, rng.bytes(rng.between(126, 300)));
      steps.push(`ping of ${ping.payload.length} B at ${insert(rng, frames, ping)}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const orphan = frameOf(rng, CONTINUATION, rng.bytes(rng.int(40)), rng.chance(0.5));
      steps.push(`continuation without a start at ${insert(rng, frames, orphan)}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const at = rng.int(frames.length + 1);
      frames.splice(at, 0, frameOf(rng, TEXT, Buffer.from('unfinished '), false), frameOf(rng, BINARY, rng.bytes(10)));
      steps.push(`a new message inside a fragmented one at ${at}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const bad = Buffer.from(rng.pick(INVALID_UTF8));
      const text = Buffer.concat([utf8Text(rng, rng.int(20)), bad, utf8Text(rng, rng.int(20))]);
      steps.push(`text with invalid UTF-8 ${bad.toString('hex')} at ${insert(rng, frames, frameOf(rng, TEXT, text))}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      const roll = rng.int(4);
      let payload: Buffer;
      if (roll === 0) payload = Buffer.from([0x03]);
      else if (roll === 1) payload = Buffer.from(u16(rng.pick(INVALID_CLOSE_CODES)));
      else if (roll === 2) payload = Buffer.concat([Buffer.from(u16(1000)), Buffer.from(rng.pick(INVALID_UTF8))]);
      else payload = Buffer.concat([Buffer.from(u16(1000)), Buffer.alloc(124, 0x72)]);
      const what = ['1-byte payload', `code ${payload.length >= 2 ? payload.readUInt16BE(0) : ''}`, 'invalid UTF-8 reason', '126-byte payload'][roll];
      steps.push(`bad close frame (${what}) at ${insert(rng, frames, frameOf(rng, CLOSE, payload))}`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      if (frames.length < 2) return;
      const a = rng.int(frames.length);
      const b = rng.int(frames.length);
      [frames[a], frames[b]] = [frames[b], frames[a]];
      steps.push(`frames ${a} and ${b} swapped`);
    },
  },
  {
    onFrames(rng, frames, steps) {
      if (frames.length === 0) return;
      const at = rng.int(frames.length);
      frames.splice(at, 1);
      steps.push(`frame ${at} left out`);
    },
  },
  {
    onBytes(rng, bytes, steps) {
      if (bytes.length === 0) return bytes;
      const flipped = Buffer.from(bytes);
      const bits: number[] = [];
      for (let n = rng.between(1, 4); n > 0; n--) {
        // Half of the flips land in the first 16 bytes, where the first frame's header is.
        const byte = rng.chance(0.5) ? rng.int(Math.min(16, flipped.length)) : rng.int(flipped.length);
        const bit = rng.int(8);
        flipped[byte] ^= 1 << bit;
        bits.push(byte * 8 + bit);
      }
      steps.push(`bits flipped: ${bits.join(', ')}`);
      return flipped;
    },
  },
  {
    onBytes(rng, bytes, steps) {
      const at = rng.int(bytes.length + 1);
      steps.push(`stream cut at byte ${at} of ${bytes.length}`);
      return bytes.subarray(0, at);
    },
  },
  {
    onBytes(rng, bytes, steps) {
      const junk = rng.bytes(rng.between(1, 64));
      const at = rng.chance(0.5) ? bytes.length : rng.int(bytes.length + 1);
      steps.push(`${junk.length} random bytes inserted at ${at}`);
      return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
    },
  },
];

function u16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}
