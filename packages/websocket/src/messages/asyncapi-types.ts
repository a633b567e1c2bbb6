// The part of the AsyncAPI 3.0 document model that `generateAsyncApi` writes: plain objects,
// ready for JSON.stringify or toYaml.
import type { JsonSchema } from './json-schema';

/** `{ $ref: '#/channels/…' }`: AsyncAPI links operations to channels and messages this way. */
export interface AsyncApiReference {
  $ref: string;
}

/** A server: where the services can be reached. */
export interface AsyncApiServer {
  host: string;
  protocol: 'ws' | 'wss';
  /** The path prefix in front of every channel address, when there is one. */
  pathname?: string;
  description?: string;
}

/** One message a channel carries: a payload schema and how it is encoded. */
export interface AsyncApiMessage {
  /** The dispatch key value for a typed message (`subscribe`); `text`, `binary`, `message`, `error` otherwise. */
  name: string;
  title?: string;
  summary?: string;
  contentType: string;
  payload: JsonSchema;
  /** With `dispatcherStreamId`: where the id tying a reply to its request sits. */
  correlationId?: { location: string; description: string };
}

/** A service path: the connection and every message that travels on it. */
export interface AsyncApiChannel {
  /** The service path with `{param}` for each `:param` segment. */
  address: string;
  /** The service class name. */
  title: string;
  description?: string;
  parameters?: Record<string, { description: string }>;
  messages: Record<string, AsyncApiMessage>;
  bindings: {
    ws: {
      method: 'GET';
      headers?: JsonSchema;
      bindingVersion: '0.1.0';
    };
  };
  /** The sub-protocols the service supports, in its order of preference. */
  'x-sub-protocols'?: string[];
}

/** What the service does on a channel: `receive` a client's message (and reply), or `send` one. */
export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: AsyncApiReference;
  title?: string;
  summary?: string;
  description?: string;
  messages: AsyncApiReference[];
  reply?: { channel: AsyncApiReference; messages: AsyncApiReference[] };
}

/** An AsyncAPI 3.0.0 document, as `generateAsyncApi` writes it. */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description?: string };
  servers?: Record<string, AsyncApiServer>;
  defaultContentType: string;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
}
