// Writes one service's channel into an AsyncAPI document: its address and bindings, its
// messages, and the operations that point at them (operations live at the document's top
// level and refer to the channel and its messages by `$ref`).
import type { ResolvedServiceConfig } from '../service-config';
import type { MessageRoute } from './dispatcher';
import { type JsonSchema, payloadSchemaOf } from './json-schema';
import type { StandardSchemaV1 } from './standard-schema';
import type {
  AsyncApiChannel,
  AsyncApiDocument,
  AsyncApiMessage,
  AsyncApiOperation,
  AsyncApiReference,
} from './asyncapi-types';

type OperationBody = Omit<AsyncApiOperation, 'channel'>;

export class ChannelWriter {
  private readonly id: string;
  private readonly channel: AsyncApiChannel;
  /** Replies of schema-checked handlers: they get the error message once it exists. */
  private readonly repliesThatMayFail: AsyncApiReference[][] = [];

  constructor(
    private readonly document: AsyncApiDocument,
    serviceName: string,
    private readonly config: ResolvedServiceConfig,
    description: string | undefined,
  ) {
    this.id = uniqueKey(document.channels, safeId(serviceName));
    const { address, parameters } = addressOf(config.path);
    this.channel = {
      address,
      title: serviceName,
      ...(description ? { description } : {}),
      ...(parameters === undefined ? {} : { parameters }),
      messages: {},
      bindings: { ws: wsBinding(config.subProtocols) },
      ...(config.subProtocols.length === 0 ? {} : { 'x-sub-protocols': [...config.subProtocols] }),
    };
    document.channels[this.id] = this.channel;
  }

  /** `@OnText` or `@OnBinary`: every frame of that type. */
  addFrameOperation(kind: 'text' | 'binary'): void {
    const text = kind === 'text';
    const message = this.addMessage(kind, {
      name: kind,
      summary: text ? 'Any text message.' : 'Any binary message.',
      contentType: text ? 'text/plain' : 'application/octet-stream',
      payload: text ? { type: 'string' } : { type: 'string', format: 'binary' },
    });
    this.addOperation(kind, { action: 'receive', summary: `Every ${kind} message, handled by @On${text ? 'Text' : 'Binary'}.`, messages: [message] });
  }

  /** A typed `@OnMessage(key, …)` handler and, when declared, its reply. */
  addTypedOperation(route: MessageRoute): void {
    const key = route.key!;
    const summary = route.summary === undefined ? {} : { summary: route.summary };
    const message = this.addMessage(key, {
      name: key,
      ...summary,
      contentType: 'application/json',
      payload: payloadSchemaOf(route.jsonSchema, route.schema, 'input')?.schema ?? this.keyOnlyPayload(key, route.schema),
      ...this.correlation(),
    });
    const reply = this.addReply(route);
    this.addOperation(key, { action: 'receive', ...summary, messages: [message], ...(reply === undefined ? {} : { reply }) });
  }

  /** The generic `@OnMessage()` handler, with the frames it gets. */
  addGenericOperation(route: MessageRoute, content: { contentType: string; payload: JsonSchema }): void {
    const message = this.addMessage('message', { name: 'message', ...content });
    this.addOperation('message', {
      action: 'receive',
      summary: route.summary ?? 'Handled by the generic @OnMessage() handler.',
      messages: [message],
    });
  }

  /** The error reply to a bad message, as a `send` operation and in the replies that may get it. */
  addErrorOperation(description: string): void {
    const dispatcherKey = this.config.dispatcherKey;
    const message = this.addMessage('error', {
      name: 'error',
      summary: 'The answer to a message the service cannot take.',
      contentType: 'application/json',
      payload: this.config.errorReply === undefined ? this.defaultErrorPayload() : { description: "The service's own errorReply shape." },
      ...this.correlation(),
    });
    this.addOperation('error', {
      action: 'send',
      summary: `An error reply ({ ${dispatcherKey}: 'error', message, issues, code? } unless errorReply says otherwise).`,
      description,
      messages: [message],
    });
    for (const replies of this.repliesThatMayFail) replies.push({ ...message });
  }

  private addReply(route: MessageRoute): AsyncApiOperation['reply'] {
    if (route.replyJsonSchema === undefined && route.replySchema === undefined) return undefined;
    const name = `${route.key}.reply`;
    const message = this.addMessage(name, {
      name,
      contentType: 'application/json',
      payload: payloadSchemaOf(route.replyJsonSchema, route.replySchema, 'output')?.schema ?? {
        description: `What the '${route.key}' handler returns; its ${vendorOf(route.replySchema)} schema gives no JSON Schema.`,
      },
      ...this.correlation(),
    });
    const messages = [message];
    if (route.schema !== undefined) this.repliesThatMayFail.push(messages);
    return { channel: this.reference(), messages };
  }

  private addMessage(wanted: string, message: AsyncApiMessage): AsyncApiReference {
    const id = uniqueKey(this.channel.messages, safeId(wanted));
    this.channel.messages[id] = message;
    return { $ref: `#/channels/${this.id}/messages/${id}` };
  }

  private addOperation(wanted: string, body: OperationBody): void {
    const { action, ...rest } = body;
    const id = uniqueKey(this.document.operations, `${this.id}.${safeId(wanted)}`);
    this.document.operations[id] = { action, channel: this.reference(), ...rest };
  }

  private reference(): AsyncApiReference {
    return { $ref: `#/channels/${this.id}` };
  }

  private correlation(): Pick<AsyncApiMessage, 'correlationId'> {
    const field = this.config.dispatcherStreamId;
    if (field === undefined) return {};
    const pointer = field.replace(/~/g, '~0').replace(/\//g, '~1');
    return {
      correlationId: {
        location: `$message.payload#/${pointer}`,
        description: `A reply, and every item of a streamed reply, carries the \`${field}\` of the message it answers.`,
      },
    };
  }

  // What is known without a JSON Schema: a JSON object whose dispatch key has this value.
  private keyOnlyPayload(key: string, schema: StandardSchemaV1 | undefined): JsonSchema {
    const dispatcherKey = this.config.dispatcherKey;
    const why =
      schema === undefined
        ? 'Not validated'
        : `Validated by a ${vendorOf(schema)} schema that gives no JSON Schema (give @OnMessage a jsonSchema to document it)`;
    return {
      type: 'object',
      description: `${why}: a JSON object whose \`${dispatcherKey}\` is '${key}'.`,
      properties: { [dispatcherKey]: { type: 'string', const: key } },
      required: [dispatcherKey],
    };
  }

  private defaultErrorPayload(): JsonSchema {
    const { dispatcherKey, dispatcherStreamId } = this.config;
    const properties: Record<string, JsonSchema> = {
      [dispatcherKey]: { type: 'string', const: 'error' },
      message: { type: 'string', description: 'What is wrong with the message, for people.' },
      issues: {
        type: 'array',
        description: "The validator's own issues, each with the path of the field it is about.",
        items: {
          type: 'object',
          properties: {
            message: { type: 'string' },
            path: { type: 'array', items: { type: ['string', 'integer'] } },
          },
          required: ['message', 'path'],
        },
      },
      code: {
        type: 'string',
        description: "A refusal's code: 'DUET_ERR_AUTHORIZATION' (a scope is missing) or 'DUET_ERR_RATE_LIMITED'.",
      },
      missingScopes: { type: 'array', items: { type: 'string' }, description: 'With DUET_ERR_AUTHORIZATION: the scopes the principal lacks.' },
    };
    if (dispatcherStreamId !== undefined) {
      properties[dispatcherStreamId] = { description: 'The id of the message it answers, when that message had one.' };
    }
    return { type: 'object', properties, required: [dispatcherKey, 'message', 'issues'] };
  }
}

function addressOf(path: string): { address: string; parameters?: Record<string, { description: string }> } {
  const parameters: Record<string, { description: string }> = {};
  const address = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_match, name: string) => {
    parameters[name] = { description: `The '${name}' path segment, as caller.params.${name}.` };
    return `{${name}}`;
  });
  return Object.keys(parameters).length === 0 ? { address } : { address, parameters };
}

function wsBinding(subProtocols: readonly string[]): AsyncApiChannel['bindings']['ws'] {
  if (subProtocols.length === 0) return { method: 'GET', bindingVersion: '0.1.0' };
  const header = {
    type: 'string',
    description:
      `The sub-protocols the client offers, comma-separated; the first of them the service supports is selected. ` +
      `Supported: ${subProtocols.join(', ')}.`,
  };
  return { method: 'GET', headers: { type: 'object', properties: { 'Sec-WebSocket-Protocol': header } }, bindingVersion: '0.1.0' };
}

function vendorOf(schema: StandardSchemaV1 | undefined): string {
  return schema?.['~standard'].vendor ?? 'unknown';
}

// Keys go into `$ref` JSON pointers: keep them to characters that need no escaping there.
function safeId(name: string): string {
  return name.replace(/[^\w.-]/g, '_') || '_';
}

function uniqueKey(taken: object, wanted: string): string {
  if (!Object.hasOwn(taken, wanted)) return wanted;
  for (let n = 2; ; n++) if (!Object.hasOwn(taken, `${wanted}_${n}`)) return `${wanted}_${n}`;
}
