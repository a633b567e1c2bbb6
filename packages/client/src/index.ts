// @duet/client on Node (and Bun through its Node compatibility): the transport is `ws`, so
// headers, TLS options and the HTTP status of a refused upgrade are available.
import { clientFactory } from './create-client';
import { nodeTransport } from './node-transport';

/** Creates a client; see `CreateClient`. */
export const createClient = clientFactory(nodeTransport);

export {
  ClientArgumentError,
  ClientClosedError,
  ClientOptionsError,
  CodedError,
  ConnectionLostError,
  ContractError,
  DuetClient,
  OfflineQueueFullError,
  RemoteError,
  RequestTimeoutError,
  defineContract,
} from './exports';
export type {
  AnyContract,
  ClientOptions,
  ClientState,
  CloseInfo,
  Contract,
  CreateClient,
  EventData,
  EventName,
  MessageData,
  ReconnectOptions,
  ReplyOf,
  RequestName,
  SendName,
  UntypedContract,
  WebSocketConstructor,
  WebSocketLike,
} from './exports';
