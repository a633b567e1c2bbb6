// The fuzzer's judge and generator, checked on hand-made cases: a judge that passed everything
// would make the fuzz run meaningless.
import { Opcode, closePayload, encodeFrame as clientFrame, serverFrame } from '../conformance/raw-client';
import { FrameParser } from '../conformance/raw-client';
import { closeCodesSent, judge } from './case-outcome';
import { generateCase } from './frame-generator';
import { Random, caseSeed } from './prng';

const serverClose = (code: number) => serverFrame(Opcode.Close, closePayload(code));
const framesOf = (bytes: Buffer) => new FrameParser().push(bytes);

describe('judge', () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011])('accepts a close with %i', (code) => {
    expect(judge(Buffer.alloc(0), { frames: framesOf(serverClose(code)), parseError: undefined, ended: true })).toEqual({
      ok: true,
      outcome: `close ${code}`,
    });
  });

  it.each([1004, 1005, 1006, 1012, 1013, 1015, 2000, 3000, 4999])('refuses a close with %i the client never sent', (code) => {
    expect(judge(Buffer.alloc(0), { frames: framesOf(serverClose(code)), parseError: undefined, ended: true }).ok).toBe(false);
  });

  it("accepts the echo of the client's own close code", () => {
    const sent = clientFrame({ opcode: Opcode.Close, payload: closePayload(4321) });
    expect(judge(sent, { frames: framesOf(serverClose(4321)), parseError: undefined, ended: true }).ok).toBe(true);
  });

  it('accepts a TCP close without a close frame, and refuses a connection that never ended', () => {
    expect(judge(Buffer.alloc(0), { frames: [], parseError: undefined, ended: true }).ok).toBe(true);
    expect(judge(Buffer.alloc(0), { frames: [], parseError: undefined, ended: false }).ok).toBe(false);
  });

  it('refuses a masked server frame, a frame after the close, and bytes that are not frames', () => {
    const masked = framesOf(clientFrame({ opcode: Opcode.Text, payload: 'x' }));
    expect(judge(Buffer.alloc(0), { frames: masked, parseError: undefined, ended: true }).ok).toBe(false);
    const late = framesOf(Buffer.concat([serverClose(1000), serverFrame(Opcode.Text, 'late')]));
    expect(judge(Buffer.alloc(0), { frames: late, parseError: undefined, ended: true }).ok).toBe(false);
    expect(judge(Buffer.alloc(0), { frames: [], parseError: 'junk', ended: true }).ok).toBe(false);
  });
});

describe('closeCodesSent', () => {
  it('finds the codes of whole close frames and stops at the first frame that does not fit', () => {
    const bytes = Buffer.concat([
      clientFrame({ opcode: Opcode.Text, payload: 'hello' }),
      clientFrame({ opcode: Opcode.Close, payload: closePayload(3001) }),
      clientFrame({ opcode: Opcode.Close, payload: Buffer.alloc(0) }),
      clientFrame({ opcode: Opcode.Binary, declaredLength: 500, payload: Buffer.alloc(10) }),
      clientFrame({ opcode: Opcode.Close, payload: closePayload(4002) }),
    ]);
    expect(closeCodesSent(bytes)).toEqual(new Set([3001, undefined]));
  });
});

describe('generateCase', () => {
  it('makes the same bytes from the same seed and different bytes from another', () => {
    const a = generateCase(new Random(caseSeed(7, 42)), 65536);
    const b = generateCase(new Random(caseSeed(7, 42)), 65536);
    const c = generateCase(new Random(caseSeed(7, 43)), 65536);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.steps).toEqual(b.steps);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    expect(Buffer.concat(a.writes).equals(a.bytes)).toBe(true);
  });

  it('mutates most cases and leaves some valid', () => {
    const mutated = Array.from({ length: 500 }, (_, i) => generateCase(new Random(caseSeed(1, i)), 65536)).filter((fuzzCase) =>
      fuzzCase.steps.some((step) => /frame \d|bits|cut|random bytes|invalid|swapped|left out|inside|control|ping of|continuation/.test(step)),
    ).length;
    expect(mutated).toBeGreaterThan(350);
    expect(mutated).toBeLessThan(500);
  });
});
