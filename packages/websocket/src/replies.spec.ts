import { ReplyEncodingError } from './errors';
import { toFrameData, toPongData } from './replies';

describe('toFrameData', () => {
  it('keeps strings and bytes as they are', () => {
    const bytes = Buffer.from([1, 2]);
    expect(toFrameData('text')).toBe('text');
    expect(toFrameData(bytes)).toBe(bytes);
  });

  it('encodes other values as JSON', () => {
    expect(toFrameData({ a: 1 })).toBe('{"a":1}');
    expect(toFrameData(null)).toBe('null');
    expect(toFrameData(false)).toBe('false');
  });

  it('throws a ReplyEncodingError for values without a JSON form', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toFrameData(cyclic)).toThrow(ReplyEncodingError);
    expect(() => toFrameData(() => 1)).toThrow(ReplyEncodingError);
    expect(() => toFrameData(10n)).toThrow(ReplyEncodingError);
  });
});

describe('toPongData', () => {
  it('accepts bytes and strings only', () => {
    expect(toPongData('p')).toBe('p');
    expect(() => toPongData({})).toThrow(ReplyEncodingError);
  });
});
