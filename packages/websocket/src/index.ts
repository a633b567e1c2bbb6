// The public API of @duet/websocket, listed by name.
export { WebSocketApplication, type StopOptions } from './application';
export { Caller, type BinaryData } from './caller';
export { CloseCode, isSendableCloseCode } from './close-codes';
export {
  OnBinary,
  OnClose,
  OnError,
  OnIdleTimeout,
  OnOpen,
  OnPing,
  OnPong,
  OnText,
  WebSocketService,
} from './decorators';
export {
  ApplicationStateError,
  ConnectionClosedError,
  DuetError,
  InvalidArgumentError,
  ListenError,
  ListenerConfigError,
  PendingMessagesOverflowError,
  ProtocolError,
  ReplyEncodingError,
  ServiceConfigError,
  UnsupportedMessageError,
} from './errors';
export { LOGGER, consoleLogger, type LogFields, type Logger } from './logger';
export { webSocketModule, type ListenerConfig, type ServiceClass, type WebSocketModuleOptions } from './module';
export type { PathParams } from './path-matcher';
export {
  DEFAULT_LISTENER,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_PENDING_MESSAGES,
  type ServiceScope,
  type WebSocketServiceConfig,
} from './service-config';
export {
  ClientConfigError,
  ConnectError,
  HandshakeError,
  MessageTypeError,
  ReadTimeoutError,
  RetryExhaustedError,
  TlsError,
  WriteTimeoutError,
  type MessageKind,
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
export type { HttpHeaders } from './client/client-handshake';
export type { RetryConfig } from './client/retry';
export type { ClientSecureSocket, PemKeyPair, Pkcs12File } from './client/secure-socket';
export { WebSocketClient, type ClientBinaryData } from './client/websocket-client';
