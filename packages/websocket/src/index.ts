// The public API of @duet/websocket, listed by name.
export { WebSocketApplication, type StopOptions } from './application';
export { Caller } from './caller';
export { CloseFrame } from './close-frame';
export { CloseCode, isSendableCloseCode } from './close-codes';
export {
  type MessagePolicyOptions,
  OnBinary,
  OnClose,
  OnDisconnect,
  OnError,
  OnIdleTimeout,
  OnMessage,
  OnMessageError,
  type OnMessageOptions,
  OnOpen,
  OnPing,
  OnPong,
  OnResume,
  OnText,
  OnUpgrade,
  UseInterceptors,
  WebSocketService,
} from './decorators';
export type { HandlerContext, HandlerEventName, Interceptor, InterceptorClass } from './policy/interceptor';
export { GLOBAL_INTERCEPTOR } from './policy/interceptor';
export type { RateLimit } from './policy/rate-limit';
export type { ErrorReplyCause } from './messages/validation';
export {
  ApplicationStateError,
  AuthenticationError,
  AuthorizationError,
  ConnectionClosedError,
  DuetError,
  EngineConfigError,
  InvalidArgumentError,
  ListenError,
  ListenerConfigError,
  type MessageIssue,
  MessageValidationError,
  PendingMessagesOverflowError,
  ProtocolError,
  RateLimitError,
  ReplyEncodingError,
  ServiceConfigError,
  TlsConfigError,
  UnsupportedMessageError,
  UpgradeError,
  UpgradeAbandonedError,
  ConfigError,
  SlowConsumerError,
  AuthenticatorError,
} from './errors';
export { LOGGER, consoleLogger, type LogFields, type Logger } from './logger';
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_URI_LENGTH,
  type ListenerConfig,
} from './listener-config';
export type { EngineName, EngineOption } from './engine';
export { webSocketModule, type ServiceClass, type WebSocketModuleOptions } from './module';
export type { SecureSocketConfig } from './security/tls';
export type { Authenticator } from './security/auth/authenticator';
export type { AuthConfigEntry, AuthenticatorClass, BasicAuthConfig, JwtAuthConfig } from './security/auth/auth-config';
export { BasicAuthenticator, type BasicAuthenticatorOptions, type BasicUser } from './security/auth/basic-authenticator';
export { JwtAuthenticator } from './security/auth/jwt-authenticator';
export type { JwtAuthenticatorOptions } from './security/auth/jwt-options';
export {
  DEFAULT_SCRYPT_PARAMETERS,
  hashPassword,
  verifyPassword,
  type ScryptParameters,
} from './security/auth/password-hash';
export { UpgradeRequest, type Principal } from './upgrade-request';
export type { PathParams } from './path-matcher';
export {
  BACKPLANE,
  InMemoryBackplane,
  InMemoryBus,
  type Backplane,
  type BackplaneMessage,
  type BackplaneNode,
  type BackplaneStats,
  type ClusterAnswer,
  type ClusterRequest,
  type ClusterSignal,
} from './registry/backplane';
export { BroadcastTarget, type BroadcastResult } from './registry/broadcast';
export { ClusterView, type ClusterMember } from './registry/cluster-view';
export type { MemberPredicate } from './registry/member-filter';
export type { ExceptTarget } from './registry/target-selection';
export type { PresenceDiff, PresenceEntry, PresenceListener, PresenceMeta } from './registry/presence';
export { ConnectionRegistry } from './registry/connection-registry';
export { type RegistryStats, type ResumeRefusal, type SessionStats } from './registry/registry-stats';
export type { SlowConsumerPolicy } from './backpressure';
export {
  OBSERVER,
  type ConnectionInfo,
  type DroppedKind,
  type SessionLoss,
  type WebSocketObserver,
} from './monitoring/observer';
export { TrafficLogger, type TrafficLogOptions } from './monitoring/traffic-logger';
export type { InferOutput, StandardIssue, StandardResult, StandardSchemaV1 } from './messages/standard-schema';
export { generateAsyncApi, isWebSocketService, toYaml, type AsyncApiDocument, type AsyncApiInfo } from './messages/asyncapi';
export {
  DEFAULT_LISTENER,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_PENDING_MESSAGES,
  type ServiceScope,
  type WebSocketServiceConfig,
} from './service-config';
export { type ResumeConfig } from './resume-config';
export { type Compression, type CompressionOptions } from './compression';
export {
  ClientConfigError,
  ConnectError,
  HandshakeError,
  MessageTypeError,
  ReadTimeoutError,
  RetryExhaustedError,
  TlsError,
  TokenRefusedError,
  WriteTimeoutError,
} from './client/client-errors';
export {
  DEFAULT_CLIENT_MAX_FRAME_SIZE,
  DEFAULT_CLIENT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  type ClientAuth,
  type PingPongHandler,
  type WebSocketClientConfig,
} from './client/client-config';
export type { HttpHeaders } from './client/client-config';
export type { RetryConfig } from './client/retry';
export type { ClientSecureSocket, PemKeyPair, Pkcs12File } from './client/secure-socket';
export { WebSocketClient } from './client/websocket-client';
export type { BinaryData, FrameData, MessageKind } from './frames';
export type { KeyMaterial } from './security/key-material';
export type { EventPayload } from './messages/events';
