// Pins the public vocabulary (docs/api-conventions.md) at compile time: `tsc -p tsconfig.json`
// (npm test's typecheck) fails when an old name comes back or a new one goes. Nothing runs here.
import type {
  BinaryData,
  ClientConfigError,
  ConfigError,
  ConnectionClosedError,
  FrameData,
  ListenerConfigError,
  MessageKind,
  ServiceConfigError,
  SlowConsumerError,
  WebSocketObserver,
} from '@duet/websocket';
import type { RedisBackplaneConfigError } from '@duet/redis';
import type { ClosedWhileWaitingError, WaitOptions } from '@duet/testing';
import type { Compression, CompressionOptions, WebSocketClientConfig, WebSocketServiceConfig } from '@duet/websocket';
import type { ClientOptions, CompressionOptions as ClientCompressionOptions } from '@duet/client';

// One name per type: the old second names are gone.
// @ts-expect-error ClientBinaryData is BinaryData
import type { ClientBinaryData } from '@duet/websocket';
// @ts-expect-error ObservedMessageKind is MessageKind
import type { ObservedMessageKind } from '@duet/websocket';
// @ts-expect-error ObservedData is FrameData
import type { ObservedData } from '@duet/websocket';

export type Gone = [ClientBinaryData, ObservedMessageKind, ObservedData];

const bytes: BinaryData = new Uint8Array(1);
const data: FrameData[] = ['text', bytes, Buffer.alloc(1), new ArrayBuffer(1)];
const kinds: MessageKind[] = ['text', 'binary'];
// @ts-expect-error a message is text or binary, nothing else
const notAKind: MessageKind = 'ping';
const observer: WebSocketObserver = { messageSent: (_connection, kind: MessageKind, sent: FrameData) => void [kind, sent] };

// Every error's close code is `closeCode`; ConnectionClosedError keeps `statusCode` beside it.
declare const closed: ConnectionClosedError;
declare const closedWhileWaiting: ClosedWhileWaitingError;
declare const slow: SlowConsumerError;
const closeCodes: (number | undefined)[] = [closed.closeCode, closed.statusCode, closedWhileWaiting.closeCode, slow.closeCode];
// @ts-expect-error only ConnectionClosedError keeps the old name
void closedWhileWaiting.statusCode;

// The config errors share ConfigError's scope and field.
declare const configErrors: [ServiceConfigError, ListenerConfigError, ClientConfigError, RedisBackplaneConfigError];
const bases: ConfigError[] = configErrors;
const fields: string[] = bases.flatMap((error) => [error.scope, error.field]);

// @duet/testing's waits count milliseconds and say so: `timeoutMs`.
const waits: WaitOptions[] = [500, { timeoutMs: 500 }, { timeoutMs: 500, description: 'the welcome' }];
// @ts-expect-error the option is timeoutMs
const oldWait: WaitOptions = { timeout: 500 };

export const pinned = [data, kinds, notAKind, observer, closeCodes, fields, waits, oldWait];

// permessage-deflate (issue 19): one option, `compression`, with ws's parameter names, on the
// service, the pull client and @duet/client alike.

const everyCompressionSetting: Required<CompressionOptions> & Required<ClientCompressionOptions> = {
  threshold: 1024,
  level: 6,
  memLevel: 8,
  serverNoContextTakeover: true,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 10,
  concurrencyLimit: 10,
};
const compressingService: WebSocketServiceConfig = { path: '/feed', compression: true };
const compressingClient: WebSocketClientConfig = { compression: everyCompressionSetting };
const compressingDuetClient: ClientOptions = { compression: { threshold: 512 } };
const switchedOff: Compression = false;
// @ts-expect-error the option is `compression`, not ws's `perMessageDeflate`
const wsName: WebSocketServiceConfig = { path: '/feed', perMessageDeflate: true };

export const compressionNames = [everyCompressionSetting, compressingService, compressingClient, compressingDuetClient, switchedOff, wsName];
