// The only file that touches `Reflect`: decorators write through it, the application reads
// through it once at start. Nothing here runs per connection or per message.
import 'reflect-metadata';

/** The events a service method can handle, as array indices of a routing table. */
export const HandlerEvent = {
  Open: 0,
  Text: 1,
  Binary: 2,
  Ping: 3,
  Pong: 4,
  IdleTimeout: 5,
  Close: 6,
  Error: 7,
  /** Not a connection event: runs before the handshake, with the `UpgradeRequest`. */
  Upgrade: 8,
  /** A message routed by `@OnMessage` (the generic one, or a typed one by its key). */
  Message: 9,
  /** A resumable session took a new transport (service-config `resume`). */
  Resume: 10,
  /** A resumable session's transport dropped; the session lives on for its window. */
  Disconnect: 11,
  /** Not a connection event: compiled into the `@OnMessage` route of the same key. */
  MessageError: 12,
} as const;

export type HandlerEvent = (typeof HandlerEvent)[keyof typeof HandlerEvent];

/** How many handler events there are: the length of a routing table's handler array. */
export const HANDLER_EVENT_COUNT = 13;

/** The decorator name of each event, for error messages. */
export const HANDLER_DECORATOR_NAMES: readonly string[] = [
  '@OnOpen',
  '@OnText',
  '@OnBinary',
  '@OnPing',
  '@OnPong',
  '@OnIdleTimeout',
  '@OnClose',
  '@OnError',
  '@OnUpgrade',
  '@OnMessage',
  '@OnResume',
  '@OnDisconnect',
  '@OnMessageError',
];

/** One decorated method: which event, which property of the prototype. */
export interface HandlerRecord {
  readonly event: HandlerEvent;
  readonly method: string | symbol;
  /** `@OnMessage`/`@OnMessageError` only: the dispatch key value (`undefined` for the generic handler) and options. */
  readonly key?: string;
  readonly options?: unknown;
}

const SERVICE_CONFIG_KEY = 'duet:websocket-service';
const HANDLERS_KEY = 'duet:websocket-handlers';

export function recordServiceConfig(target: object, config: unknown): void {
  Reflect.defineMetadata(SERVICE_CONFIG_KEY, config, target);
}

/** The raw `@WebSocketService` argument, or `undefined` when the class is not decorated. */
export function readServiceConfig(target: object): unknown {
  return Reflect.getOwnMetadata(SERVICE_CONFIG_KEY, target);
}

export function hasServiceConfig(target: object): boolean {
  return Reflect.hasOwnMetadata(SERVICE_CONFIG_KEY, target);
}

/**
 * Records a handler on the class. A subclass starts from a copy of its parent's list, so
 * decorating a subclass never changes the parent.
 */
export function recordHandler(serviceClass: object, record: HandlerRecord): void {
  let own: HandlerRecord[] | undefined = Reflect.getOwnMetadata(HANDLERS_KEY, serviceClass);
  if (own === undefined) {
    const inherited: HandlerRecord[] | undefined = Reflect.getMetadata(HANDLERS_KEY, serviceClass);
    own = inherited === undefined ? [] : [...inherited];
    Reflect.defineMetadata(HANDLERS_KEY, own, serviceClass);
  }
  own.push(record);
}

/** Every handler recorded on the class and its ancestors, in declaration order. */
export function readHandlers(serviceClass: object): readonly HandlerRecord[] {
  return Reflect.getMetadata(HANDLERS_KEY, serviceClass) ?? [];
}

const SERVICE_INTERCEPTORS_KEY = 'duet:interceptors';
const METHOD_INTERCEPTORS_KEY = 'duet:method-interceptors';

/** `@UseInterceptors` on a class (`method` undefined) or on one of its methods; later uses add to the list. */
export function recordInterceptors(serviceClass: object, method: string | symbol | undefined, classes: readonly unknown[]): void {
  if (method === undefined) {
    const own: unknown[] = Reflect.getOwnMetadata(SERVICE_INTERCEPTORS_KEY, serviceClass) ?? [];
    Reflect.defineMetadata(SERVICE_INTERCEPTORS_KEY, [...classes, ...own], serviceClass);
    return;
  }
  let own: Map<string | symbol, unknown[]> | undefined = Reflect.getOwnMetadata(METHOD_INTERCEPTORS_KEY, serviceClass);
  if (own === undefined) {
    const inherited: Map<string | symbol, unknown[]> | undefined = Reflect.getMetadata(METHOD_INTERCEPTORS_KEY, serviceClass);
    own = new Map(inherited ?? []);
    Reflect.defineMetadata(METHOD_INTERCEPTORS_KEY, own, serviceClass);
  }
  own.set(method, [...classes, ...(own.get(method) ?? [])]);
}

/**
 * The interceptors recorded on a class: its own (a subclass without any inherits its parent's)
 * and each method's.
 */
export function readInterceptors(serviceClass: object): {
  readonly service: readonly unknown[];
  readonly methods: ReadonlyMap<string | symbol, readonly unknown[]>;
} {
  return {
    service: Reflect.getMetadata(SERVICE_INTERCEPTORS_KEY, serviceClass) ?? [],
    methods: Reflect.getMetadata(METHOD_INTERCEPTORS_KEY, serviceClass) ?? new Map(),
  };
}
