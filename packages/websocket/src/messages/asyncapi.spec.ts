import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OnBinary, OnMessage, OnText, WebSocketService } from '../decorators';
import { InvalidArgumentError, ServiceConfigError } from '../errors';
import type { ServiceClass } from '../module';
import { type AsyncApiDocument, generateAsyncApi, isWebSocketService, toYaml } from './asyncapi';
import type { StandardSchemaV1 } from './standard-schema';

jest.mock('@valibot/to-json-schema', () => ({ toJsonSchema: (schema: { json: object }) => schema.json }), { virtual: true });

const parser = new Parser();

/** The document (JSON, or YAML text) must pass the AsyncAPI parser without an error diagnostic. */
async function expectValid(document: AsyncApiDocument | string): Promise<void> {
  const diagnostics = await parser.validate(typeof document === 'string' ? document : JSON.stringify(document));
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Error);
  expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
}

const generate = (...services: ServiceClass[]) => generateAsyncApi(services, { title: 'Test', version: '1.0.0' });

const Subscribe = z.object({
  type: z.literal('subscribe'),
  id: z.string(),
  pair: z.string().regex(/^[A-Z]+\/[A-Z]+$/),
  depth: z.number().int().default(10),
});
const Quote = z.object({ type: z.literal('quote'), pair: z.string(), price: z.number() });

@WebSocketService({ path: '/quotes/:market', subProtocols: ['quotes.v2', 'quotes.v1'], dispatcherStreamId: 'id' })
class QuoteService {
  @OnMessage('subscribe', { schema: Subscribe, reply: { schema: Quote }, summary: 'Streams the quotes of a pair.' })
  onSubscribe() {}

  @OnMessage('ping', {
    jsonSchema: { type: 'object', properties: { type: { const: 'ping' } } },
    reply: { jsonSchema: { type: 'object', properties: { type: { const: 'pong' } } } },
  })
  onPing() {}

  @OnMessage('note')
  onNote() {}
}

describe('generateAsyncApi: typed handlers', () => {
  const document = generate(QuoteService);
  const channel = document.channels.QuoteService;
  const ref = (message: string) => ({ $ref: `#/channels/QuoteService/messages/${message}` });

  it('passes the AsyncAPI parser, as JSON and as YAML', async () => {
    await expectValid(document);
    await expectValid(toYaml(document));
  });

  it('has one channel for the service path, with {params} and the sub-protocols', () => {
    expect(document.asyncapi).toBe('3.0.0');
    expect(Object.keys(document.channels)).toEqual(['QuoteService']);
    expect(channel.address).toBe('/quotes/{market}');
    expect(Object.keys(channel.parameters ?? {})).toEqual(['market']);
    expect(channel['x-sub-protocols']).toEqual(['quotes.v2', 'quotes.v1']);
    expect(channel.bindings.ws.headers).toMatchObject({
      properties: { 'Sec-WebSocket-Protocol': { description: expect.stringContaining('quotes.v2, quotes.v1') } },
    });
  });

  it('receives each typed message, replies with its reply schema, and sends the error reply', () => {
    expect(Object.keys(document.operations)).toEqual([
      'QuoteService.subscribe',
      'QuoteService.ping',
      'QuoteService.note',
      'QuoteService.error',
    ]);
    expect(document.operations['QuoteService.subscribe']).toEqual({
      action: 'receive',
      channel: { $ref: '#/channels/QuoteService' },
      summary: 'Streams the quotes of a pair.',
      messages: [ref('subscribe')],
      reply: { channel: { $ref: '#/channels/QuoteService' }, messages: [ref('subscribe.reply'), ref('error')] },
    });
    // Without a schema nothing is validated, so no error reply is promised for ping.
    expect(document.operations['QuoteService.ping'].reply?.messages).toEqual([ref('ping.reply')]);
    expect(document.operations['QuoteService.note'].reply).toBeUndefined();
    expect(document.operations['QuoteService.error']).toMatchObject({ action: 'send', messages: [ref('error')] });
  });

  it("takes zod's JSON Schema: the input side for messages, the output side for replies", () => {
    const subscribe = channel.messages.subscribe.payload;
    expect(subscribe).not.toHaveProperty('$schema');
    expect(subscribe).toMatchObject({
      type: 'object',
      properties: { type: { const: 'subscribe' }, pair: { type: 'string', pattern: '^[A-Z]+\\/[A-Z]+$' }, depth: { default: 10 } },
      required: ['type', 'id', 'pair'], // depth has a default, so a client may leave it out
    });
    expect(channel.messages['subscribe.reply'].payload).toMatchObject({ required: ['type', 'pair', 'price'] });
    expect(channel.messages.ping.payload).toEqual({ type: 'object', properties: { type: { const: 'ping' } } });
  });

  it('describes a message without a schema by its dispatch key', () => {
    expect(channel.messages.note.payload).toMatchObject({ properties: { type: { const: 'note' } }, required: ['type'] });
  });

  it('ties replies to requests through the stream id and describes the default error reply', () => {
    expect(channel.messages.subscribe.correlationId?.location).toBe('$message.payload#/id');
    expect(channel.messages['subscribe.reply'].correlationId?.location).toBe('$message.payload#/id');
    expect(channel.messages.error.payload).toMatchObject({
      properties: { type: { const: 'error' }, message: { type: 'string' }, issues: { type: 'array' }, id: {} },
      required: ['type', 'message', 'issues'],
    });
  });
});

describe('generateAsyncApi: other handler shapes', () => {
  it('documents a generic handler alone, with no error reply since it takes everything', async () => {
    @WebSocketService({ path: '/any' })
    class Anything {
      @OnMessage() onMessage() {}
    }
    const document = generate(Anything);
    await expectValid(document);
    expect(Object.keys(document.operations)).toEqual(['Anything.message']);
    expect(document.channels.Anything.messages.message.payload.description).toMatch(/^Any message: JSON text arrives parsed/);
  });

  it('lets @OnText win for text frames: typed handlers are left out and @OnMessage() gets binary', async () => {
    @WebSocketService({ path: '/mixed' })
    class Mixed {
      @OnText() onText() {}
      @OnMessage('unreachable') onUnreachable() {}
      @OnMessage() onMessage() {}
    }
    const document = generate(Mixed);
    await expectValid(document);
    expect(Object.keys(document.operations)).toEqual(['Mixed.text', 'Mixed.message']);
    expect(document.channels.Mixed.messages.message).toMatchObject({
      contentType: 'application/octet-stream',
      payload: { type: 'string', format: 'binary' },
    });
  });

  it('leaves the error reply out under onInvalidMessage close, and says when it is custom', async () => {
    @WebSocketService({ path: '/strict', dispatcherKey: 'op', onInvalidMessage: 'close' })
    class Strict {
      @OnMessage('go', { schema: Subscribe }) onGo() {}
      @OnBinary() onBinary() {}
    }
    @WebSocketService({ path: '/custom', onUnmatched: 'error', errorReply: () => ({ problem: true }) })
    class Custom {
      @OnMessage('go') onGo() {}
    }
    const document = generate(Strict, Custom);
    await expectValid(document);
    expect(Object.keys(document.operations)).toEqual(['Strict.binary', 'Strict.go', 'Custom.go', 'Custom.error']);
    expect(document.channels.Custom.messages.error.payload).toEqual({ description: "The service's own errorReply shape." });
    expect(document.operations['Custom.error'].description).toBe(
      'Sent in answer to text that is not JSON or a message whose `type` no handler takes.',
    );
  });

  it('keeps two services on the same path apart and lists the servers', async () => {
    @WebSocketService({ path: '/ws', listener: 'admin' })
    class QuoteAdmin {
      @OnMessage('ping') onPing() {}
    }
    const document = generateAsyncApi([QuoteService, QuoteAdmin], {
      title: 'Quotes',
      version: '2.1.0',
      description: 'Prices, live.',
      servers: { local: { host: 'localhost:8080', protocol: 'ws' }, admin: { host: 'localhost:9000', protocol: 'ws', pathname: '/' } },
    });
    await expectValid(document);
    expect(document.info).toEqual({ title: 'Quotes', version: '2.1.0', description: 'Prices, live.' });
    expect(Object.keys(document.servers ?? {})).toEqual(['local', 'admin']);
    expect(Object.keys(document.channels)).toEqual(['QuoteService', 'QuoteAdmin']);
  });

  it('refuses a class that is not a service, naming it', () => {
    class NotAService {}
    expect(isWebSocketService(NotAService)).toBe(false);
    expect(isWebSocketService(QuoteService)).toBe(true);
    expect(() => generate(NotAService)).toThrow(ServiceConfigError);
    expect(() => generate(NotAService)).toThrow(/NotAService/);
  });
});

describe('generateAsyncApi: JSON Schemas from other validators', () => {
  const standard = (vendor: string, extra: object = {}): StandardSchemaV1 =>
    ({ '~standard': { version: 1, vendor, validate: (value: unknown) => ({ value }) }, ...extra }) as StandardSchemaV1;
  const payloadOf = (schema: StandardSchemaV1) => {
    @WebSocketService({ path: '/v' })
    class Validated {
      @OnMessage('m', { schema }) onM() {}
    }
    return generate(Validated).channels.Validated.messages.m.payload;
  };

  it('uses a Standard JSON Schema converter of any vendor', () => {
    const schema = standard('acme');
    (schema['~standard'] as unknown as { jsonSchema: object }).jsonSchema = {
      input: ({ target }: { target: string }) => ({ $schema: 'x', type: 'object', title: `input ${target}` }),
      output: () => ({ type: 'null' }),
    };
    expect(payloadOf(schema)).toEqual({ type: 'object', title: 'input draft-07' });
  });

  it("uses arktype's toJsonSchema() and valibot's @valibot/to-json-schema", () => {
    expect(payloadOf(standard('arktype', { toJsonSchema: () => ({ type: 'object', title: 'ark' }) }))).toEqual({
      type: 'object',
      title: 'ark',
    });
    expect(payloadOf(standard('valibot', { json: { type: 'object', title: 'valibot' } }))).toEqual({ type: 'object', title: 'valibot' });
  });

  it("falls back to zod's toJSONSchema for a zod schema without the Standard JSON Schema converter", () => {
    const { jsonSchema: _converter, ...props } = Quote['~standard'];
    const olderZod = Object.create(Quote, { '~standard': { value: props } }) as StandardSchemaV1;
    expect(payloadOf(olderZod)).toMatchObject({ properties: { price: { type: 'number' } }, required: ['type', 'pair', 'price'] });
  });

  it('says when a schema gives no JSON Schema, keeping what the dispatch key tells', () => {
    expect(payloadOf(standard('homemade'))).toEqual({
      type: 'object',
      description:
        "Validated by a homemade schema that gives no JSON Schema (give @OnMessage a jsonSchema to document it): a JSON object whose `type` is 'm'.",
      properties: { type: { type: 'string', const: 'm' } },
      required: ['type'],
    });
  });
});

describe('toYaml', () => {
  it('writes YAML that reads back as the same value, quoting what a plain scalar would change', () => {
    const value = {
      plain: 'Market feed',
      tricky: ['yes', 'null', '3.0.0', '- dash', 'a: b', ' #x', '', 'trailing ', 'line\nbreak', '$message.payload#/id', '\u0085\u007f', '/ws', '/'],
      numbers: [0, -1.5, 1e21],
      flags: [true, false, null],
      empty: { object: {}, array: [] },
      nested: [[1, 2], [{ a: 1, b: [{ c: 'd' }] }]],
      'key with: colon': { $ref: '#/channels/x' },
    };
    expect(parseYaml(toYaml(value))).toEqual(value);
    expect(toYaml({ title: 'Market feed', version: '1.0.0', address: '/ws' })).toBe(
      'title: Market feed\nversion: "1.0.0"\naddress: /ws\n',
    );
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => toYaml({ a: Number.NaN })).toThrow('$.a is NaN');
    expect(() => toYaml({ f: () => 1 })).toThrow('$.f is a function');
  });

  it('refuses them with a coded InvalidArgumentError', () => {
    expect(() => toYaml({ a: Number.POSITIVE_INFINITY })).toThrow(InvalidArgumentError);
    expect(() => toYaml({ big: 1n })).toThrow(expect.objectContaining({ code: 'DUET_ERR_INVALID_ARGUMENT' }));
  });
});
