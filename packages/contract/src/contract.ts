// defineContract: one declaration of what a service's clients may send and will receive, read by
// the client (and the service) for names, wire keys and TypeScript types.
import { ContractError } from './errors';
import { type InferInput, type InferOutput, type StandardSchemaV1, isStandardSchema } from './standard-schema';
import { ERROR_TYPE, RESERVED_PREFIX } from './wire';

/** A client → server message that is answered. */
export interface RequestSpec {
  readonly message: StandardSchemaV1;
  readonly reply: StandardSchemaV1;
}

/** A client → server message without an answer. */
export interface MessageSpec {
  readonly message: StandardSchemaV1;
}

export type RequestSpecs = { readonly [name: string]: RequestSpec };
export type MessageSpecs = { readonly [name: string]: MessageSpec };
export type EventSpecs = { readonly [name: string]: StandardSchemaV1 };

export interface ContractDefinition<
  R extends RequestSpecs,
  M extends MessageSpecs,
  E extends EventSpecs,
  D extends string,
  C extends string,
> {
  /** The service path, e.g. `'/chat/:room'`. */
  path: string;
  /** The field whose value names a message (default `'type'`). */
  dispatcherKey?: D;
  /** The field that carries a request's id, echoed by its reply (default `'id'`). */
  correlationKey?: C;
  requests?: R;
  messages?: M;
  /** Server → client pushes, by name. */
  events?: E;
}

/** A frozen, validated contract: pass it to `createClient` (and to the service). */
export interface Contract<
  R extends RequestSpecs = RequestSpecs,
  M extends MessageSpecs = MessageSpecs,
  E extends EventSpecs = EventSpecs,
  D extends string = string,
  C extends string = string,
> {
  readonly path: string;
  readonly dispatcherKey: D;
  readonly correlationKey: C;
  readonly requests: R;
  readonly messages: M;
  readonly events: E;
}

/** Any contract; what an untyped client uses. */
export type AnyContract = Contract<RequestSpecs, MessageSpecs, EventSpecs, string, string>;

/** The names a client may `request`. */
export type RequestName<K extends AnyContract> = keyof K['requests'] & string;
/** The names a client may `send`: requests and messages. */
export type SendName<K extends AnyContract> = (keyof K['requests'] & string) | (keyof K['messages'] & string);
/** The names of the events a client may listen to. */
export type EventName<K extends AnyContract> = keyof K['events'] & string;

type Fields<T, K extends AnyContract> = T extends object ? Omit<T, K['dispatcherKey'] | K['correlationKey']> : T;

/** The fields a client writes for `name`: its schema's input, without the dispatcher and correlation keys. */
export type MessageData<K extends AnyContract, N extends SendName<K>> = N extends keyof K['requests']
  ? Fields<InferInput<K['requests'][N]['message']>, K>
  : N extends keyof K['messages']
    ? Fields<InferInput<K['messages'][N]['message']>, K>
    : never;

/** What `request(name)` resolves with: the reply schema's output. */
export type ReplyOf<K extends AnyContract, N extends RequestName<K>> = InferOutput<K['requests'][N]['reply']>;

/** What a listener of `event` receives: the event schema's output. */
export type EventData<K extends AnyContract, N extends EventName<K>> = InferOutput<K['events'][N]>;

/**
 * Declares a service's contract. Schemas are Standard Schema v1 values, so both sides get their
 * types from one source.
 *
 * @example
 * const chat = defineContract({
 *   path: '/chat/:room',
 *   requests: { say: { message: z.object({ text: z.string() }), reply: z.object({ at: z.number() }) } },
 *   messages: { typing: { message: z.object({}) } },
 *   events: { said: z.object({ from: z.string(), text: z.string() }) },
 * });
 */
export function defineContract<
  const R extends RequestSpecs = {},
  const M extends MessageSpecs = {},
  const E extends EventSpecs = {},
  const D extends string = 'type',
  const C extends string = 'id',
>(definition: ContractDefinition<R, M, E, D, C>): Contract<R, M, E, D, C> {
  if (typeof definition !== 'object' || definition === null) throw new ContractError('definition', 'must be an object.');
  const { path } = definition;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new ContractError('path', `must be a string starting with '/' (got ${describe(path)}).`);
  const dispatcherKey = fieldName('dispatcherKey', definition.dispatcherKey ?? 'type');
  const correlationKey = fieldName('correlationKey', definition.correlationKey ?? 'id');
  if (dispatcherKey === correlationKey) {
    throw new ContractError('correlationKey', `must differ from dispatcherKey ('${dispatcherKey}').`);
  }
  const requests = table('requests', definition.requests, (name, spec) => {
    schema(`requests.${name}.message`, (spec as RequestSpec | undefined)?.message);
    schema(`requests.${name}.reply`, (spec as RequestSpec).reply);
  });
  const messages = table('messages', definition.messages, (name, spec) => {
    schema(`messages.${name}.message`, (spec as MessageSpec | undefined)?.message);
    if (Object.hasOwn(requests, name)) throw new ContractError(`messages.${name}`, 'is also a request: a name is either answered or not.');
  });
  const events = table('events', definition.events, (name, spec) => schema(`events.${name}`, spec));
  return Object.freeze({ path, dispatcherKey, correlationKey, requests, messages, events }) as Contract<R, M, E, D, C>;
}

function fieldName<T extends string>(field: string, value: T): T {
  if (typeof value !== 'string' || value === '') throw new ContractError(field, `must be a non-empty string (got ${describe(value)}).`);
  return value;
}

function table<T>(field: string, value: T | undefined, check: (name: string, spec: unknown) => void): T {
  if (value === undefined) return Object.freeze({}) as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractError(field, `must be an object of named entries (got ${describe(value)}).`);
  }
  for (const [name, spec] of Object.entries(value)) {
    // '$…' is reserved for protocol messages (keep-alives), 'error' for error replies, '*' for listeners of all.
    if (name === '' || name.startsWith(RESERVED_PREFIX) || name === ERROR_TYPE || name === '*') {
      throw new ContractError(`${field}.${name}`, `is a reserved name ('', '${RESERVED_PREFIX}…', '${ERROR_TYPE}' and '*' are).`);
    }
    check(name, spec);
  }
  return Object.freeze({ ...value });
}

function schema(field: string, value: unknown): void {
  if (!isStandardSchema(value)) throw new ContractError(field, 'must be a Standard Schema v1 value (zod ≥ 3.24, valibot, arktype…).');
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : value === null ? 'null' : typeof value;
}
