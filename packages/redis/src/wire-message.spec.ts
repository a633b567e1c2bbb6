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
    expect(decodeWireMessage('{"type":"broadcast","origin":"n","seq":1,"text":"x"}')).toMatchObject({ text: 'x' });
  });

  it('reads a signal, a request, an answer and a left notice, whatever JSON their bodies hold', () => {
    expect(decodeWireMessage('{"type":"signal","origin":"n","seq":2,"failed":1,"kind":"presence","body":{"a":[1]}}')).toEqual({
      type: 'signal',
      origin: 'n',
      seq: 2,
      failed: 1,
      kind: 'presence',
      body: { a: [1] },
    });
    expect(decodeWireMessage('{"type":"request","origin":"n","id":7,"kind":"members","body":"room"}')).toMatchObject({ id: 7, kind: 'members' });
    expect(decodeWireMessage('{"type":"request","origin":"n","id":7,"kind":"count"}')).toMatchObject({ kind: 'count' });
    expect(decodeWireMessage('{"type":"answer","origin":"m","to":"n","id":7,"body":null}')).toMatchObject({ to: 'n', body: null });
    expect(decodeWireMessage('{"type":"answer","origin":"m","to":"n","id":7,"failed":true}')).toMatchObject({ failed: true });
    expect(decodeWireMessage('{"type":"left","origin":"m"}')).toEqual({ type: 'left', origin: 'm' });
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
    ['an array', '[{"origin":"n","seq":1,"text":"x"}]'],
    ['an unknown type', '{"type":"gossip","origin":"n"}'],
    ['a left notice with no origin', '{"type":"left"}'],
    ['a left notice whose origin is not a string', '{"type":"left","origin":5}'],
    ['a signal with no kind', '{"type":"signal","origin":"n","seq":1,"body":1}'],
    ['a signal with no sequence number', '{"type":"signal","origin":"n","kind":"k"}'],
    ['a request with no id', '{"type":"request","origin":"n","kind":"k"}'],
    ['a request whose id is a string', '{"type":"request","origin":"n","id":"1","kind":"k"}'],
    ['a request whose kind is not a string', '{"type":"request","origin":"n","id":1,"kind":3}'],
    ['an answer with no addressee', '{"type":"answer","origin":"m","id":1,"body":1}'],
    ['an answer whose id is below 1', '{"type":"answer","origin":"m","to":"n","id":0}'],
    ['an answer whose failed flag is not true', '{"type":"answer","origin":"m","to":"n","id":1,"failed":"yes"}'],
  ])('refuses %s', (_what, raw) => {
    expect(decodeWireMessage(raw)).toBeUndefined();
  });
});
