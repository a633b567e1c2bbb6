// The AsyncAPI 3.0 document of a set of services, read from their decorators: a channel per
// service path, a receive operation per message handler with its reply, and the error reply a
// bad message gets. Built from the same validated configuration and compiled router the
// application runs on, so the document cannot describe a service that would not start.
import { compileService } from '../compiled-service';
import { HandlerEvent, hasServiceConfig } from '../metadata';
import type { ServiceClass } from '../module';
import type { ResolvedServiceConfig } from '../service-config';
import type { MessageRouter } from './dispatcher';
import type { JsonSchema } from './json-schema';
import { ChannelWriter } from './asyncapi-channel';
import type { AsyncApiDocument, AsyncApiServer } from './asyncapi-types';

export type {
  AsyncApiChannel,
  AsyncApiDocument,
  AsyncApiMessage,
  AsyncApiOperation,
  AsyncApiReference,
  AsyncApiServer,
} from './asyncapi-types';
export { toYaml } from './yaml';

/** What `generateAsyncApi` puts in `info` and `servers`. */
export interface AsyncApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Where the services run, by a name of your choice, e.g. `{ production: { host: 'feed.example.com', protocol: 'wss' } }`. */
  servers?: Record<string, AsyncApiServer>;
}

/**
 * The AsyncAPI 3.0.0 document of `services`: one channel per service (its path, `:param`
 * segments as `{param}` channel parameters, sub-protocols in the `ws` binding's
 * `Sec-WebSocket-Protocol` header and `x-sub-protocols`), a `receive` operation per
 * `@OnMessage` handler (and `@OnText`/`@OnBinary`) whose `reply` is the declared reply
 * schema, and a `send` operation for the error reply. Payload schemas come from the
 * `jsonSchema` option, else from the validator (zod 4, arktype, valibot, any Standard JSON
 * Schema). Throws `ServiceConfigError` for a service that would not start.
 *
 * @example
 * ```ts
 * const document = generateAsyncApi([MarketFeedService], { title: 'Market feed', version: '1.0.0' });
 * writeFileSync('asyncapi.yaml', toYaml(document));
 * ```
 */
export function generateAsyncApi(services: readonly ServiceClass[], info: AsyncApiInfo): AsyncApiDocument {
  const document: AsyncApiDocument = {
    asyncapi: '3.0.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description === undefined ? {} : { description: info.description }),
    },
    ...(info.servers === undefined ? {} : { servers: copyServers(info.servers) }),
    defaultContentType: 'application/json',
    channels: {},
    operations: {},
  };
  for (const serviceClass of services) describeService(document, readService(serviceClass));
  return document;
}

/** True for a class decorated with `@WebSocketService`: how `duet asyncapi` finds services in a module. */
export function isWebSocketService(value: unknown): value is ServiceClass {
  return typeof value === 'function' && hasServiceConfig(value);
}

interface ServiceDescription {
  readonly name: string;
  readonly config: ResolvedServiceConfig;
  readonly router: MessageRouter | undefined;
  readonly hasText: boolean;
  readonly hasBinary: boolean;
}

function readService(serviceClass: ServiceClass): ServiceDescription {
  // The same compile as start-up's, without the container (no authenticators, no instances).
  const { serviceName, config, router, textEvent, binaryEvent } = compileService(serviceClass, 'given to generateAsyncApi');
  return {
    name: serviceName,
    config,
    router,
    hasText: textEvent === HandlerEvent.Text,
    hasBinary: binaryEvent === HandlerEvent.Binary,
  };
}

function describeService(document: AsyncApiDocument, service: ServiceDescription): void {
  const { config, router, hasText, hasBinary } = service;
  // @OnText and @OnBinary win for their frame type; @OnMessage gets the frames they leave.
  const routesText = router !== undefined && !hasText;
  const description = routesText ? routingDescription(config, router) : undefined;
  const channel = new ChannelWriter(document, service.name, config, description);
  if (hasText) channel.addFrameOperation('text');
  if (hasBinary) channel.addFrameOperation('binary');
  if (router === undefined) return;
  if (routesText) for (const route of router.typed.values()) channel.addTypedOperation(route);
  if (router.generic !== undefined && !(hasText && hasBinary)) {
    channel.addGenericOperation(router.generic, genericPayload(hasText, hasBinary, router.typed.size > 0));
  }
  if (routesText && sendsErrorReplies(config, router)) channel.addErrorOperation(errorWhen(config, router));
}

function routingDescription(config: ResolvedServiceConfig, router: MessageRouter): string {
  const parts: string[] = [];
  if (router.typed.size > 0) parts.push(`JSON messages are routed by their \`${config.dispatcherKey}\` field.`);
  if (config.dispatcherStreamId !== undefined) {
    parts.push(
      `A reply, and every item of a streamed reply, carries the \`${config.dispatcherStreamId}\` of the message it answers.`,
    );
  }
  if (router.typed.size > 0 && router.generic === undefined) parts.push(UNMATCHED[config.onUnmatched]);
  return parts.join(' ');
}

const UNMATCHED = {
  ignore: 'A message no handler matches is ignored.',
  error: 'A message no handler matches is answered with an error.',
  close: 'A message no handler matches closes the connection (1008).',
} as const;

function genericPayload(hasText: boolean, hasBinary: boolean, hasTyped: boolean): { contentType: string; payload: JsonSchema } {
  if (hasText) {
    return {
      contentType: 'application/octet-stream',
      payload: { type: 'string', format: 'binary', description: 'A binary message, as bytes.' },
    };
  }
  const which = hasTyped ? 'A message no typed handler matches' : 'Any message';
  const binary = hasBinary ? '' : '; binary ones as bytes';
  return {
    contentType: 'application/json',
    payload: { description: `${which}: JSON text arrives parsed, other text as a string${binary}.` },
  };
}

// Error replies follow a schema failure, text that is not JSON (when no generic handler takes
// it) and, under onUnmatched 'error', an unmatched message; never under onInvalidMessage 'close'.
function sendsErrorReplies(config: ResolvedServiceConfig, router: MessageRouter): boolean {
  if (config.onInvalidMessage === 'close') return false;
  return router.generic === undefined || [...router.typed.values()].some((route) => route.schema !== undefined);
}

function errorWhen(config: ResolvedServiceConfig, router: MessageRouter): string {
  const cases: string[] = [];
  if ([...router.typed.values()].some((route) => route.schema !== undefined)) cases.push("a message its handler's schema refuses");
  if (router.generic === undefined) cases.push('text that is not JSON');
  if (router.generic === undefined && router.typed.size > 0 && config.onUnmatched === 'error') {
    cases.push(`a message whose \`${config.dispatcherKey}\` no handler takes`);
  }
  const last = cases.pop()!;
  return `Sent in answer to ${cases.length === 0 ? last : `${cases.join(', ')} or ${last}`}.`;
}

function copyServers(servers: Record<string, AsyncApiServer>): Record<string, AsyncApiServer> {
  const copy: Record<string, AsyncApiServer> = {};
  for (const [name, server] of Object.entries(servers)) {
    copy[name] = {
      host: server.host,
      protocol: server.protocol,
      ...(server.pathname === undefined ? {} : { pathname: server.pathname }),
      ...(server.description === undefined ? {} : { description: server.description }),
    };
  }
  return copy;
}
