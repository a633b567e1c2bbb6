import { type MessageRoute, messageRouter } from './dispatcher';
import { MessageRouting, Routed } from './router';
import type { StandardSchemaV1 } from './standard-schema';

const say = (): string => 'say';
const generic = (): string => 'generic';

/** A schema that accepts objects with a string `text`. */
const textSchema: StandardSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'spec',
    validate: (value: unknown) =>
      typeof (value as { text?: unknown }).text === 'string'
        ? { value }
        : { issues: [{ message: 'text must be a string', path: ['text'] }] },
  },
} as StandardSchemaV1;

function route(key: string | undefined, handler: MessageRoute['handler'], schema?: StandardSchemaV1): MessageRoute {
  return { key, method: key ?? 'any', handler, schema, jsonSchema: undefined, replyJsonSchema: undefined, replySchema: undefined, summary: undefined, onError: undefined };
}

function routing(options: { typed?: MessageRoute[]; generic?: MessageRoute; streamId?: string }): MessageRouting {
  const router = messageRouter({
    dispatcherKey: 'type',
    streamId: options.streamId,
    typed: new Map((options.typed ?? []).map((entry) => [entry.key!, entry])),
    generic: options.generic,
  });
  return new MessageRouting(router);
}

describe('the message router', () => {
  it('routes a message by its dispatcher key to its handler, with the parsed message', () => {
    const subject = routing({ typed: [route('say', say)] });
    expect(subject.route('{"type":"say","text":"hi"}')).toBe(Routed.Call);
    expect(subject.handler).toBe(say);
    expect(subject.value).toEqual({ type: 'say', text: 'hi' });
  });

  it('asks for validation first when the route has a schema, then calls or reports the issues', () => {
    const subject = routing({ typed: [route('say', say, textSchema)] });
    expect(subject.route('{"type":"say","text":"hi"}')).toBe(Routed.Validate);
    expect(subject.validated({ value: { type: 'say', text: 'hi' } })).toBe(Routed.Call);
    expect(subject.handler).toBe(say);
    expect(subject.route('{"type":"say","text":7}')).toBe(Routed.Validate);
    expect(subject.validated({ issues: [{ message: 'text must be a string', path: ['text'] }] })).toBe(Routed.Invalid);
    expect(subject.error).toMatchObject({ kind: 'schema', closeCode: 1008 });
    expect(subject.validating).toBeUndefined();
  });

  it('reports text that is not JSON as invalid (1007), unless a generic handler takes the raw text', () => {
    const strict = routing({ typed: [route('say', say)] });
    expect(strict.route('not json')).toBe(Routed.Invalid);
    expect(strict.error).toMatchObject({ kind: 'invalid-json', closeCode: 1007 });
    const lenient = routing({ typed: [route('say', say)], generic: route(undefined, generic) });
    expect(lenient.route('not json')).toBe(Routed.Call);
    expect([lenient.handler, lenient.value]).toEqual([generic, 'not json']);
  });

  it('reports a key no handler takes as unmatched, keeping the key', () => {
    const subject = routing({ typed: [route('say', say)] });
    expect(subject.route('{"type":"shout"}')).toBe(Routed.Unmatched);
    expect(subject.unmatchedKey).toBe('shout');
    expect(subject.route('[1,2]')).toBe(Routed.Unmatched);
    expect(subject.unmatchedKey).toBeUndefined();
  });

  it('hands binary messages to the generic handler as they are', () => {
    const subject = routing({ generic: route(undefined, generic) });
    const bytes = Buffer.from([1, 2, 3]);
    expect(subject.route(bytes)).toBe(Routed.Call);
    expect(subject.value).toBe(bytes);
  });

  it('reads the reply id of each message afresh, and puts it on an object reply or around any other', () => {
    const subject = routing({ typed: [route('say', say)], streamId: 'reqid' });
    subject.route('{"type":"say","reqid":7}');
    expect(subject.replyId).toBe(7);
    expect(subject.withReplyId({ ok: true }, subject.replyId)).toEqual({ ok: true, reqid: 7 });
    expect(subject.withReplyId('done', subject.replyId)).toEqual({ reqid: 7, data: 'done' });
    subject.route('{"type":"say"}');
    expect(subject.replyId).toBeUndefined();
  });
});
