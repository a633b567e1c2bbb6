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
