// @duet/client in browsers (and Deno, workers): the platform's WebSocket. Imports nothing from Node;
// dist/browser/duet-client.js is this file bundled with @duet/contract into one ES module.
import { clientFactory } from './create-client';
import { webSocketTransport } from './transport';

/** Creates a client; see `CreateClient`. */
export const createClient = clientFactory(webSocketTransport);

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
