// The servers the conformance cases run against: the echo sample served by Duet, and the same
// echo written on bare `ws` with the same limits. Every frame-level case runs against both, so a
// case that passes on `ws` and fails on Duet shows a place where Duet weakened `ws`.
import 'reflect-metadata';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Container } from 'inversify';
import { WebSocketServer } from 'ws';
import {
  Caller,
  LOGGER,
  type Logger,
  OnBinary,
  OnText,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { EchoService } from '../../../../samples/echo/main';
import { LOOPBACK } from './raw-client';

/** The default limit of the echo sample (and of Duet). */
export const DEFAULT_LIMIT = 65536;
/** A service with a bigger limit, for messages past the default one. */
export const BIG_LIMIT = 2 * 1024 * 1024;
/** A service with a small limit, for cheap boundary cases. */
export const SMALL_LIMIT = 1024;

/** Paths served by every target, each an echo with its own limit. */
export const Path = {
  /** The echo sample itself, with its default limit of 65536 bytes. */
  Echo: '/ws',
  Big: '/big',
  Small: '/small',
  /** An echo with permessage-deflate (every default), limit 65536 bytes once inflated. */
  Deflate: '/deflate',
} as const;

export interface EchoTarget {
  readonly port: number;
  /** The engine serving it: Bun's native server differs where docs/engines.md says. */
  readonly engine: 'ws' | 'bun';
  /**
   * What a close after a protocol error looks like: `code`, and no reason on ws. uWebSockets
   * writes a reason of its own (`Received unexpected RSV1 bit`…); the code is the same.
   */
  protocolClose(code: number): { code: number; reason: unknown };
  /** Fragments one message may arrive in, and the close code for a message in more. */
  readonly maxFragments: number;
  readonly tooManyFragmentsCode: number;
  stop(): Promise<void>;
}

@WebSocketService({ path: Path.Big, maxFrameSize: BIG_LIMIT })
class BigEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

@WebSocketService({ path: Path.Small, maxFrameSize: SMALL_LIMIT })
class SmallEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

@WebSocketService({ path: Path.Deflate, compression: true })
class DeflateEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

// Protocol errors are the point of these cases; logging each one would only bury real failures.
const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The echo sample's `EchoService` (plus two sized echoes) on Duet, on 127.0.0.1 and a free port. */
export async function startDuet(): Promise<EchoTarget> {
  const container = new Container();
  container.bind<Logger>(LOGGER).toConstantValue(silentLogger);
  container.load(
    webSocketModule({
      listeners: { default: { port: 0, host: LOOPBACK } },
      services: [EchoService, BigEchoService, SmallEchoService, DeflateEchoService],
    }),
  );
  const app = await WebSocketApplication.start(container);
  return {
    port: app.port(),
    engine: app.engine,
    protocolClose: (code) => ({ code, reason: app.engine === 'bun' ? expect.any(String) : '' }),
    maxFragments: DEFAULT_MAX_FRAGMENTS,
    tooManyFragmentsCode: 1009,
    stop: () => app.stop({ timeout: 2 }),
  };
}

/** ws's default cap on the fragments of one message (Duet's is smaller: each costs memory). */
const WS_MAX_FRAGMENTS = 16 * 1024;
/** Duet's default `maxFragments` for the echo sample's maxFrameSize (one per 512 bytes). */
const DEFAULT_MAX_FRAGMENTS = DEFAULT_LIMIT / 512;

/** The same four echoes written directly on `ws`, configured as `ws` is by default. */
export async function startWs(): Promise<EchoTarget> {
  const limits: Record<string, number> = { [Path.Echo]: DEFAULT_LIMIT, [Path.Big]: BIG_LIMIT, [Path.Small]: SMALL_LIMIT };
  const servers = new Map<string, WebSocketServer>();
  limits[Path.Deflate] = DEFAULT_LIMIT;
  for (const [path, maxPayload] of Object.entries(limits)) {
    const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: path === Path.Deflate });
    wss.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('message', (data: Buffer, isBinary) => socket.send(data, { binary: isBinary }));
    });
    servers.set(path, wss);
  }
  const http: Server = createServer();
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const wss = servers.get(request.url ?? '');
    if (wss === undefined) socket.destroy();
    else wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  await new Promise<void>((resolve) => http.listen(0, LOOPBACK, resolve));
  const address = http.address();
  if (address === null || typeof address !== 'object') throw new Error('the ws reference server has no port');
  return {
    port: address.port,
    engine: 'ws',
    protocolClose: (code) => ({ code, reason: '' }),
    maxFragments: WS_MAX_FRAGMENTS,
    tooManyFragmentsCode: 1008,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/**
 * For `describe.each`: every frame-level case runs against Duet and against bare `ws`. Under
 * `bun test` only Duet (on Bun's native server): there `ws` is Bun's own stand-in, not the
 * reference these cases compare with.
 */
export const TARGETS: [string, () => Promise<EchoTarget>][] =
  'Bun' in globalThis
    ? [['Duet echo sample', startDuet]]
    : [
        ['Duet echo sample', startDuet],
        ['ws reference echo', startWs],
      ];
