// What both entry points (index.ts on Node, browser.ts in browsers) export besides createClient,
// each by name.
export { DuetClient } from './client';
export type { ClientState } from './client';
export type { ResumeResult } from './resume';
export { PresenceList, type PresenceDiff, type PresenceEntry, type PresenceMeta, type PresenceState } from './presence';
export type { CloseInfo } from './close-info';
export type { CreateClient, UntypedContract } from './create-client';
export {
  ClientArgumentError,
  ClientClosedError,
  ClientOptionsError,
  ConnectionLostError,
  OfflineQueueFullError,
  RemoteError,
  RequestTimeoutError,
  TokenRefreshError,
} from './errors';
export type { ReconnectOptions } from './backoff';
export type { ClientOptions, CompressionOptions, WebSocketConstructor, WebSocketLike } from './options';
export { CodedError, ContractError, defineContract } from '@duet/contract';
export type { AnyContract, Contract, EventData, EventName, MessageData, ReplyOf, RequestName, SendName } from '@duet/contract';
