import { z } from 'zod';
import { ContractError, defineContract, encodeMessage, isProtocolMessage, replyValue } from './index';

const Say = z.object({ text: z.string() });

describe('defineContract', () => {
  it('fills the default keys and freezes what it returns', () => {
    const contract = defineContract({ path: '/chat', requests: { say: { message: Say, reply: z.object({ at: z.number() }) } } });
    expect(contract.dispatcherKey).toBe('type');
    expect(contract.correlationKey).toBe('id');
    expect(contract.messages).toEqual({});
    expect(Object.isFrozen(contract)).toBe(true);
    expect(Object.isFrozen(contract.requests)).toBe(true);
  });

  it.each([
    ['path', { path: 'chat' }],
    ['correlationKey', { path: '/c', dispatcherKey: 'kind', correlationKey: 'kind' }],
    ['dispatcherKey', { path: '/c', dispatcherKey: '' }],
    ['requests.say.reply', { path: '/c', requests: { say: { message: Say } } }],
    ['events.said', { path: '/c', events: { said: { parse() {} } } }],
    ['events.$ping', { path: '/c', events: { $ping: Say } }],
    ['messages.error', { path: '/c', messages: { error: { message: Say } } }],
    ['messages.say', { path: '/c', requests: { say: { message: Say, reply: Say } }, messages: { say: { message: Say } } }],
  ])('refuses a bad %s with a ContractError naming it', (field, definition) => {
    let caught: unknown;
    try {
      defineContract(definition as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ContractError);
    expect(caught).toMatchObject({ code: 'DUET_ERR_CONTRACT', field, name: 'ContractError' });
  });
});

describe('the wire format', () => {
  const keys = { dispatcherKey: 'type', correlationKey: 'id' };

  it('writes the keys first and never lets a field override them', () => {
    const message = encodeMessage(keys, 'say', { text: 'hi', type: 'forged', id: 99 }, 7);
    expect(JSON.stringify(message)).toBe('{"type":"say","id":7,"text":"hi"}');
    expect(encodeMessage(keys, 'say', 'not an object')).toBeUndefined();
  });

  it('reads a reply without its id and unwraps { id, data }', () => {
    expect(replyValue(keys, { id: 7, type: 'said', at: 1 })).toEqual({ type: 'said', at: 1 });
    expect(replyValue(keys, { id: 7, data: 42 })).toBe(42);
  });

  it("treats '$…' names as protocol messages", () => {
    expect(isProtocolMessage(keys, { type: '$keepalive' })).toBe(true);
    expect(isProtocolMessage(keys, { type: 'said' })).toBe(false);
  });
});
