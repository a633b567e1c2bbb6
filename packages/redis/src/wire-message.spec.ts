import { decodeWireMessage } from './wire-message';

describe('decodeWireMessage', () => {
  it('reads a text or a binary broadcast with its sequence number', () => {
    expect(decodeWireMessage('{"origin":"n","seq":3,"rooms":["r"],"except":["c"],"text":"hi"}')).toEqual({
      origin: 'n',
      seq: 3,
      rooms: ['r'],
      except: ['c'],
      text: 'hi',
    });
    expect(decodeWireMessage('{"origin":"n","seq":1,"servicePath":"/ws","binary":"AQI="}')).toMatchObject({ binary: 'AQI=' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['not an object', '42'],
    ['no origin', '{"seq":1,"text":"x"}'],
    ['no sequence number', '{"origin":"n","text":"x"}'],
    ['a negative failed count', '{"origin":"n","seq":1,"failed":-1,"text":"x"}'],
    ['a sequence number below 1', '{"origin":"n","seq":0,"text":"x"}'],
    ['neither text nor binary', '{"origin":"n","seq":1}'],
    ['both text and binary', '{"origin":"n","seq":1,"text":"x","binary":"eA=="}'],
    ['rooms that are not strings', '{"origin":"n","seq":1,"rooms":[7],"text":"x"}'],
    ['rooms that are not an array', '{"origin":"n","seq":1,"rooms":"r","text":"x"}'],
    ['a filter that is not a string', '{"origin":"n","seq":1,"filter":{},"text":"x"}'],
    ['binary that is not a string', '{"origin":"n","seq":1,"text":"x","binary":1}'],
  ])('refuses %s', (_what, raw) => {
    expect(decodeWireMessage(raw)).toBeUndefined();
  });
});
