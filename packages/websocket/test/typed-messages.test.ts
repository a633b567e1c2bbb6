import { z } from 'zod';
import {
  Caller,
  MessageValidationError,
  OnBinary,
  OnError,
  OnMessage,
  OnText,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, eventually, pause, startServices } from './helpers';

afterEach(cleanup);

const errors: unknown[] = [];
beforeEach(() => {
  errors.length = 0;
});

const Subscribe = z.object({
  type: z.literal('subscribe'),
  pair: z.string().regex(/^[A-Z]+\/[A-Z]+$/, 'pair must look like XBT/USD'),
  depth: z.number().int().positive().default(10),
});

@WebSocketService({ path: '/typed' })
class TypedService {
  @OnMessage('subscribe', { schema: Subscribe })
  onSubscribe(_caller: Caller, message: z.infer<typeof Subscribe>) {
    return { type: 'subscribed', pair: message.pair, depth: message.depth };
  }

  @OnMessage('ping')
  async onPing(_caller: Caller, message: { type: 'ping'; n: number }) {
    await pause(5);
    return { type: 'pong', n: message.n };
  }

  @OnMessage()
  onAnything(_caller: Caller, message: unknown) {
    return { type: 'generic', got: Buffer.isBuffer(message) ? `bytes:${message.length}` : message };
  }

  @OnError()
  onError(_caller: Caller, error: unknown) {
    errors.push(error);
  }
}

describe('@OnMessage: binding and dispatch', () => {
  it('dispatches JSON by its type field, validates with the schema and passes the parsed value with defaults', async () => {
    const { url } = await startServices([TypedService]);
    const client = await TestClient.connect(url('/typed'));
    client.send(JSON.stringify({ type: 'subscribe', pair: 'XBT/USD' }));
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'subscribed', pair: 'XBT/USD', depth: 10 });
    client.send(JSON.stringify({ type: 'ping', n: 7 }));
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'pong', n: 7 });
  });

  it('falls back to the generic handler: unknown types, other JSON, non-JSON text as a string, binary as a Buffer', async () => {
    const { url } = await startServices([TypedService]);
    const client = await TestClient.connect(url('/typed'));
    client.send(JSON.stringify({ type: 'unknown', x: 1 }));
    client.send('[1,2,3]');
    client.send('not json at all');
    client.send(Buffer.from([1, 2, 3, 4]));
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'generic', got: { type: 'unknown', x: 1 } });
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'generic', got: [1, 2, 3] });
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'generic', got: 'not json at all' });
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'generic', got: 'bytes:4' });
  });

  it("answers a schema failure with the validator's own issues, tells @OnError, and stays open", async () => {
    const { url } = await startServices([TypedService]);
    const client = await TestClient.connect(url('/typed'));
    client.send(JSON.stringify({ type: 'subscribe', pair: 'btc-usd', depth: -1 }));
    const reply = JSON.parse(await client.nextText());
    expect(reply.type).toBe('error');
    expect(reply.message).toBe("The 'subscribe' message is not valid.");
    expect(reply.issues).toEqual(
      expect.arrayContaining([
        { message: 'pair must look like XBT/USD', path: ['pair'] },
        expect.objectContaining({ path: ['depth'] }),
      ]),
    );
    await eventually(() => errors.length === 1, 2000, '@OnError');
    expect(errors[0]).toBeInstanceOf(MessageValidationError);
    expect((errors[0] as MessageValidationError).kind).toBe('schema');
    client.send(JSON.stringify({ type: 'subscribe', pair: 'ETH/EUR', depth: 2 }));
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'subscribed', pair: 'ETH/EUR', depth: 2 });
  });
});

describe('@OnText beside @OnMessage', () => {
  @WebSocketService({ path: '/both' })
  class BothService {
    @OnText() onText(_caller: Caller, text: string) {
      return `text:${text}`;
    }
    @OnMessage() onMessage(_caller: Caller, message: unknown) {
      return `message:${Buffer.isBuffer(message) ? 'bytes' : typeof message}`;
    }
  }

  it('lets @OnText win for text frames while @OnMessage still gets binary ones', async () => {
    const { url } = await startServices([BothService]);
    const client = await TestClient.connect(url('/both'));
    client.send('{"type":"x"}');
    expect(await client.nextText()).toBe('text:{"type":"x"}');
    client.send(Buffer.from([1]));
    expect(await client.nextText()).toBe('message:bytes');
  });
});

describe('unmatched and invalid messages', () => {
  const service = (path: string, options: object) => {
    @WebSocketService({ path, ...options })
    class Strict {
      @OnMessage('known') onKnown() {
        return { type: 'ok' };
      }
      @OnBinary() onBinary() {}
      @OnError() onError(_caller: Caller, error: unknown) {
        errors.push(error);
      }
    }
    return Strict;
  };

  it("ignores an unmatched message by default ('ignore') and keeps going", async () => {
    const { url } = await startServices([service('/ignore', {})]);
    const client = await TestClient.connect(url('/ignore'));
    client.send('{"type":"nope"}');
    client.send('{"type":"known"}');
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'ok' });
    expect(errors).toEqual([]);
  });

  it("answers an unmatched message with an error under 'error'", async () => {
    const { url } = await startServices([service('/error', { onUnmatched: 'error' })]);
    const client = await TestClient.connect(url('/error'));
    client.send('{"type":"nope"}');
    expect(JSON.parse(await client.nextText())).toEqual({
      type: 'error',
      message: "No handler for a message whose 'type' is 'nope'.",
      issues: [{ message: "Unknown type: 'nope'", path: ['type'] }],
    });
    await eventually(() => errors.length === 1, 2000, '@OnError');
    expect((errors[0] as MessageValidationError).kind).toBe('unmatched');
  });

  it("closes with 1008 on an unmatched message under 'close'", async () => {
    const { url } = await startServices([service('/close', { onUnmatched: 'close' })]);
    const client = await TestClient.connect(url('/close'));
    client.send('{"type":"nope"}');
    expect((await client.waitClosed()).code).toBe(1008);
  });

  it('answers text that is not JSON with an error when there is no generic handler', async () => {
    const { url } = await startServices([service('/json-only', {})]);
    const client = await TestClient.connect(url('/json-only'));
    client.send('{broken');
    const reply = JSON.parse(await client.nextText());
    expect(reply).toMatchObject({ type: 'error', message: 'The message is not valid JSON.' });
    expect((errors[0] as MessageValidationError).kind).toBe('invalid-json');
  });

  it("closes with 1007 for invalid JSON under onInvalidMessage 'close'", async () => {
    const { url } = await startServices([service('/strict', { onInvalidMessage: 'close' })]);
    const client = await TestClient.connect(url('/strict'));
    client.send('{broken');
    expect((await client.waitClosed()).code).toBe(1007);
  });

  it('uses a custom errorReply shape', async () => {
    const { url } = await startServices([
      service('/custom', {
        onUnmatched: 'error',
        errorReply: (error: MessageValidationError) => ({ event: 'problem', detail: error.issues.map((i) => i.message) }),
      }),
    ]);
    const client = await TestClient.connect(url('/custom'));
    client.send('{"type":"zzz"}');
    expect(JSON.parse(await client.nextText())).toEqual({ event: 'problem', detail: ["Unknown type: 'zzz'"] });
  });
});

describe('dispatcherStreamId and streamed replies', () => {
  const finished: string[] = [];

  @WebSocketService({ path: '/feed', dispatcherStreamId: 'id' })
  class FeedService {
    @OnMessage('subscribe')
    onSubscribe(_caller: Caller, message: { id: string; every: number }) {
      return (async function* ticks() {
        try {
          for (let n = 1; ; n++) {
            await pause(message.every);
            yield { type: 'tick', n };
          }
        } finally {
          finished.push(message.id);
        }
      })();
    }

    @OnMessage('unsubscribe')
    onUnsubscribe(caller: Caller, message: { id: string; target: string }) {
      return { type: 'unsubscribed', stopped: caller.stopStream(message.target) };
    }

    @OnMessage('echo')
    onEcho(_caller: Caller, message: { value: unknown }) {
      return message.value;
    }
  }

  beforeEach(() => {
    finished.length = 0;
  });

  it('correlates replies by id: objects get the id, other values come as { id, data }', async () => {
    const { url } = await startServices([FeedService]);
    const client = await TestClient.connect(url('/feed'));
    client.send(JSON.stringify({ type: 'echo', id: 'a', value: { x: 1 } }));
    client.send(JSON.stringify({ type: 'echo', id: 'b', value: 'plain' }));
    client.send(JSON.stringify({ type: 'echo', value: 'no id' }));
    expect(JSON.parse(await client.nextText())).toEqual({ x: 1, id: 'a' });
    expect(JSON.parse(await client.nextText())).toEqual({ id: 'b', data: 'plain' });
    expect(await client.nextText()).toBe('no id'); // a string without an id is a plain text frame
  });

  it('runs two streams alongside later messages, each item carrying its stream id, and stops one on request', async () => {
    const { url } = await startServices([FeedService]);
    const client = await TestClient.connect(url('/feed'));
    client.send(JSON.stringify({ type: 'subscribe', id: 'fast', every: 5 }));
    client.send(JSON.stringify({ type: 'subscribe', id: 'slow', every: 15 }));
    await client.until(() => client.messages.some((m) => JSON.parse(m.data as string).id === 'slow'), 2000, 'slow ticks');
    client.send(JSON.stringify({ type: 'unsubscribe', id: 'u1', target: 'fast' }));
    await client.until(
      () => client.messages.some((m) => JSON.parse(m.data as string).type === 'unsubscribed'),
      2000,
      'the unsubscribe reply',
    );
    const all = client.messages.map((m) => JSON.parse(m.data as string));
    expect(all.find((m) => m.type === 'unsubscribed')).toEqual({ type: 'unsubscribed', stopped: true, id: 'u1' });
    const fastTicks = all.filter((m) => m.id === 'fast').map((m) => m.n);
    expect(fastTicks).toEqual(fastTicks.map((_, i) => i + 1)); // in order, none lost
    await eventually(() => finished.includes('fast'), 2000, "the fast stream's finally");
    const fastCount = client.messages.filter((m) => JSON.parse(m.data as string).id === 'fast').length;
    await pause(60);
    expect(client.messages.filter((m) => JSON.parse(m.data as string).id === 'fast').length).toBe(fastCount);
    expect(finished).not.toContain('slow');
  });

  it("stops a stream when the client closes mid-stream, and the generator's finally runs", async () => {
    const { url } = await startServices([FeedService]);
    const client = await TestClient.connect(url('/feed'));
    client.send(JSON.stringify({ type: 'subscribe', id: 's1', every: 5 }));
    await client.next();
    client.socket.close();
    await eventually(() => finished.includes('s1'), 2000, "the stream's finally");
  });
});

// Compile-time: with a schema, the handler's message type must match what the schema produces.
export class TypeCheckedService {
  // @ts-expect-error the schema gives { type: 'subscribe'; pair: string; depth: number }, not a number
  @OnMessage('subscribe', { schema: Subscribe }) wrong(_caller: Caller, message: number) {
    return message;
  }
}
