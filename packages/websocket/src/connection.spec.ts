import 'reflect-metadata';
import type { Caller } from './caller';
import { Connection } from './connection';
import { ConnectionReport } from './connection-report';
import type { Logger } from './logger';
import { HANDLER_EVENT_COUNT, HandlerEvent } from './metadata';
import { ConnectionRegistry } from './registry/connection-registry';
import { MemberList } from './registry/member-list';
import type { CompiledService, Handler } from './compiled-service';
import { type MessageRouter, messageRouter } from './messages/dispatcher';
import type { StandardSchemaV1 } from './messages/standard-schema';
import { type WebSocketServiceConfig, resolveServiceConfig } from './service-config';
import { MemoryTransport } from './transport/memory-transport';
import type { UpgradeRequest } from './upgrade-request';

const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };

function tableFor(
  handlers: Partial<Record<HandlerEvent, Handler>>,
  config: Partial<WebSocketServiceConfig> = {},
  router?: MessageRouter,
): CompiledService {
  const slots: (Handler | undefined)[] = new Array(HANDLER_EVENT_COUNT).fill(undefined);
  for (const [event, handler] of Object.entries(handlers)) slots[Number(event)] = handler;
  return {
    serviceClass: class SpecService {},
    serviceName: 'SpecService',
    config: resolveServiceConfig('SpecService', { path: '/spec', ...config }),
    handlers: slots,
    supportedSubProtocols: new Set(),
    upgradeHandler: undefined,
    router,
    originPolicy: undefined,
    textEvent: router !== undefined ? HandlerEvent.Message : slots[HandlerEvent.Text] !== undefined ? HandlerEvent.Text : undefined,
    binaryEvent: slots[HandlerEvent.Binary] !== undefined ? HandlerEvent.Binary : undefined,
  };
}

function open(table: CompiledService): { transport: MemoryTransport; connection: Connection } {
  const transport = new MemoryTransport();
  const request = { remoteAddress: '127.0.0.1' } as unknown as UpgradeRequest;
  const report = new ConnectionReport(table, logger, undefined);
  const options = { table, report, registry: new ConnectionRegistry(), members: new MemberList<Connection>(), serviceTopic: 'service:/', tokens: undefined };
  return { transport, connection: new Connection(transport, options, {}, request) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A promise per call, settled by the spec. */
function controlled() {
  const calls: { text: string; resolve: (value: string) => void }[] = [];
  const handler: Handler = (_caller, text) => new Promise<string>((resolve) => calls.push({ text: text as string, resolve }));
  return { calls, handler };
}

beforeEach(() => {
  warnings.length = 0;
});

describe('a connection', () => {
  it('runs its handlers one at a time in arrival order: messages behind an async handler wait, then each is answered in turn', async () => {
    const { calls, handler } = controlled();
    const { transport } = open(tableFor({ [HandlerEvent.Text]: handler }));
    transport.receiveText('a');
    transport.receiveText('b');
    transport.receiveText('c');
    expect(calls.map((call) => call.text)).toEqual(['a']);
    calls[0].resolve('A');
    await settle();
    expect(calls.map((call) => call.text)).toEqual(['a', 'b']);
    calls[1].resolve('B');
    await settle();
    calls[2].resolve('C');
    await settle();
    expect(transport.texts).toEqual(['A', 'B', 'C']);
  });

  it('runs @OnClose exactly once, past a handler that never settles, and skips the messages waiting behind it', async () => {
    const closes: number[] = [];
    const texts: string[] = [];
    const table = tableFor({
      [HandlerEvent.Text]: (_caller, text) => {
        texts.push(text as string);
        return new Promise(() => {});
      },
      [HandlerEvent.Close]: (_caller, code) => void closes.push(code as number),
    });
    const { transport, connection } = open(table);
    transport.receiveText('stuck');
    transport.receiveText('waiting');
    transport.peerCloses(4000, 'bye');
    await settle();
    expect(closes).toEqual([4000]);
    expect(texts).toEqual(['stuck']);
    await expect(connection.whenFinished()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('gives a thrown error to @OnError, then closes with 1011', () => {
    const errors: unknown[] = [];
    const table = tableFor({
      [HandlerEvent.Text]: () => {
        throw new Error('boom');
      },
      [HandlerEvent.Error]: (_caller, error) => void errors.push(error),
    });
    const { transport } = open(table);
    transport.receiveText('x');
    expect((errors[0] as Error).message).toBe('boom');
    expect(transport.sent.at(-1)).toMatchObject({ kind: 'close', code: 1011 });
  });

  it('closes with 1003 on a text message when the service has no @OnText', () => {
    const { transport } = open(tableFor({ [HandlerEvent.Binary]: () => undefined }));
    transport.receiveText('x');
    expect(transport.sent.at(-1)).toMatchObject({ kind: 'close', code: 1003 });
  });

  it('holds further messages while its reader is behind, and handles them once the reader catches up', async () => {
    const texts: string[] = [];
    const table = tableFor(
      {
        [HandlerEvent.Text]: (_caller, text) => {
          texts.push(text as string);
          return 'r'.repeat(3000);
        },
      },
      { maxBufferedBytes: 4096 },
    );
    const { transport } = open(table);
    transport.accepting = false;
    transport.receiveText('first');
    transport.receiveText('second');
    expect(texts).toEqual(['first']);
    expect(transport.paused).toBe(true);
    transport.drain();
    await settle();
    expect(texts).toEqual(['first', 'second']);
  });

  it("resolves a Caller write the 'drop' policy dropped to undefined, so a handler returning it sends nothing more", async () => {
    const outcomes: unknown[] = [];
    const table = tableFor(
      {
        [HandlerEvent.Text]: (handed) => {
          const caller = handed as Caller;
          void caller.writeTextMessage('a'.repeat(3000));
          const dropped = caller.writeTextMessage('b'.repeat(3000));
          void dropped.then((outcome: unknown) => outcomes.push(outcome));
          return dropped;
        },
      },
      { maxBufferedBytes: 4096, slowConsumerPolicy: 'drop' },
    );
    const { transport } = open(table);
    transport.accepting = false;
    transport.receiveText('go');
    await settle();
    expect(outcomes).toEqual([undefined]);
    expect(transport.texts).toEqual(['a'.repeat(3000)]);
    transport.peerCloses(1000, '');
  });

  it("inboundOverflow 'close': closes with 1013 when more than maxPendingMessages wait behind a busy handler", () => {
    const { handler } = controlled();
    const { transport } = open(tableFor({ [HandlerEvent.Text]: handler }, { maxPendingMessages: 2, inboundOverflow: 'close' }));
    for (let i = 0; i < 4; i++) transport.receiveText(String(i));
    expect(transport.sent.at(-1)).toMatchObject({ kind: 'close', code: 1013 });
  });

  it("inboundOverflow 'pause' (default): stops reading at maxPendingMessages and reads again once half were handled", async () => {
    const { calls, handler } = controlled();
    const settleNext = () => calls.shift()!.resolve('');
    const { transport } = open(tableFor({ [HandlerEvent.Text]: handler }, { maxPendingMessages: 4 }));
    for (let i = 0; i < 5; i++) transport.receiveText(String(i)); // one runs, four wait
    expect(transport.paused).toBe(true);
    transport.receiveText('5'); // read before the pause took effect: kept, not refused
    expect(transport.sent).toEqual([]);
    for (let i = 0; i < 2; i++) {
      settleNext();
      await settle();
    }
    expect(transport.paused).toBe(true); // three wait: more than half
    settleNext();
    await settle();
    expect(transport.paused).toBe(false); // two wait
    expect(transport.sent.filter((frame) => frame.kind === 'close')).toEqual([]);
    transport.peerCloses(1000, '');
  });

  it('answers a ping with a pong carrying its data when the service has no @OnPing', () => {
    const { transport } = open(tableFor({}));
    transport.receivePing(Buffer.from('hi'));
    expect(transport.sent).toEqual([{ kind: 'pong', data: Buffer.from('hi') }]);
  });

  it('@OnMessage: validates asynchronously in order, answers with the reply id, and gives a bad message the error reply', async () => {
    const { transport } = open(tableFor({}, { onUnmatched: 'error' }, chatRouter()));
    transport.receiveText('{"type":"say","text":"hi","id":1}');
    transport.receiveText('{"type":"say","text":7,"id":2}');
    transport.receiveText('{"type":"shout","id":3}');
    await settle();
    await settle();
    const replies = transport.texts.map((text) => JSON.parse(text));
    expect(replies[0]).toEqual({ said: 'hi', id: 1 });
    expect(replies[1]).toMatchObject({ type: 'error', id: 2 });
    expect(replies[2]).toMatchObject({ type: 'error', id: 3 });
    expect(replies).toHaveLength(3);
  });

  it('streams the items of a handler that returns an async iterable, each with the reply id, and nothing once the connection closed', async () => {
    let release: () => void = () => {};
    const router = chatRouter(async function* (_caller: unknown, message: unknown) {
      yield 'one';
      yield 'two';
      await new Promise<void>((resolve) => (release = resolve));
      yield 'three';
      void message;
    });
    const { transport } = open(tableFor({}, {}, router));
    transport.receiveText('{"type":"say","text":"go","id":9}');
    await settle();
    expect(transport.texts.map((text) => JSON.parse(text))).toEqual([
      { id: 9, data: 'one' },
      { id: 9, data: 'two' },
    ]);
    transport.peerCloses(1000, '');
    release();
    await settle();
    expect(transport.texts).toHaveLength(2);
  });
});

/** `type: 'say'` messages with a string `text`, validated asynchronously; the reply id is `id`. */
function chatRouter(handler: Handler = (_caller, message) => ({ said: (message as { text: string }).text })): MessageRouter {
  const schema = {
    '~standard': {
      version: 1,
      vendor: 'spec',
      validate: async (value: unknown) =>
        typeof (value as { text?: unknown }).text === 'string' ? { value } : { issues: [{ message: 'text must be a string', path: ['text'] }] },
    },
  } as StandardSchemaV1;
  const say = { key: 'say', method: 'say', handler, schema, jsonSchema: undefined, replyJsonSchema: undefined, replySchema: undefined, summary: undefined, onError: undefined };
  return messageRouter({ dispatcherKey: 'type', streamId: 'id', typed: new Map([['say', say]]), generic: undefined });
}
