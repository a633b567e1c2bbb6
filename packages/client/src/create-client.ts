// createClient, typed from a contract or untyped, bound to the platform's transport by each entry
// point (index.ts: ws on Node; browser.ts: the global WebSocket).
import type { AnyContract, Contract, StandardSchemaV1 } from '@duet/contract';
import { DuetClient } from './client';
import { ClientOptionsError } from './errors';
import { type ClientOptions, resolveOptions } from './options';
import type { TransportFactory } from './transport';
import { resolveUrl } from './url';

type AnyFields = StandardSchemaV1<Record<string, unknown>, any>;

/** The contract of an untyped client: any name, any fields, `'type'` and `'id'` on the wire. */
export type UntypedContract = Contract<
  { readonly [name: string]: { readonly message: AnyFields; readonly reply: StandardSchemaV1<any> } },
  { readonly [name: string]: { readonly message: AnyFields } },
  { readonly [name: string]: StandardSchemaV1<any> },
  'type',
  'id'
>;

const UNTYPED = Object.freeze({ path: '/', dispatcherKey: 'type', correlationKey: 'id', requests: {}, messages: {}, events: {} }) as UntypedContract;

export interface CreateClient {
  /**
   * A client typed from `contract`. `url` is the service's full URL, or a base URL (`ws://host:port`,
   * or in a page a path like `/`) that the contract's path completes with `options.params`.
   *
   * @example
   * const client = createClient(chat, 'ws://127.0.0.1:8080', { params: { room: 'lobby' } });
   * const { at } = await client.request('say', { text: 'hi' });
   * client.on('said', (message) => console.log(message.from, message.text));
   */
  <K extends AnyContract>(contract: K, url: string, options?: ClientOptions): DuetClient<K>;
  /** An untyped client: any name and fields, dispatcher key `'type'`, correlation key `'id'`. */
  (url: string, options?: ClientOptions): DuetClient<UntypedContract>;
}

export function clientFactory(transports: TransportFactory): CreateClient {
  return ((first: unknown, second?: unknown, third?: unknown) => {
    if (typeof first === 'string') {
      const options = resolveOptions(second as ClientOptions | undefined);
      return new DuetClient(UNTYPED, resolveUrl(first, undefined, options.params), options, transports, false);
    }
    if (!isContract(first)) throw new ClientOptionsError('contract', 'must be a contract from defineContract, or pass a URL string first.');
    const options = resolveOptions(third as ClientOptions | undefined);
    return new DuetClient(first, resolveUrl(second, first.path, options.params), options, transports, true);
  }) as CreateClient;
}

function isContract(value: unknown): value is AnyContract {
  const contract = value as Partial<AnyContract> | null;
  return (
    typeof contract === 'object' &&
    contract !== null &&
    typeof contract.path === 'string' &&
    typeof contract.dispatcherKey === 'string' &&
    typeof contract.correlationKey === 'string' &&
    typeof contract.requests === 'object' &&
    typeof contract.messages === 'object' &&
    typeof contract.events === 'object'
  );
}
