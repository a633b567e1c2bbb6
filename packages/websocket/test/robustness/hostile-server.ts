// A Duet app whose services misbehave on purpose, run as its own process so that the robustness,
// fuzz and soak runs can watch it the way an operator would: does it stay up, does it print an
// unhandled rejection, does its memory stay flat. The parent talks to it over IPC; the protocol
// is in server-process.ts. It runs on the sources (through ts-node), as the jest tests do.
//   HOSTILE_HANDSHAKE_TIMEOUT  the listener's handshakeTimeout in seconds (default 1)
//   HOSTILE_FUZZ_IDLE          idleTimeout of /fuzz in seconds (default 0.5)
//   HOSTILE_LEAK_PER_CONNECTION  bytes /echo keeps forever per connection (default 0): a deliberate
//                                leak, to show that the soak's verdict catches one
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Caller,
  ConnectionClosedError,
  LOGGER,
  type LogFields,
  type Logger,
  OnBinary,
  OnClose,
  OnError,
  OnOpen,
  OnPing,
  OnText,
  OnUpgrade,
  UpgradeRequest,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '../../src';

/** What the child sends to its parent. */
export type ChildMessage =
  | { type: 'ready'; port: number; engine: 'ws' | 'bun' }
  | { type: 'event'; name: string; detail?: Record<string, unknown> }
  | { type: 'problem'; kind: 'unhandledRejection' | 'uncaughtException'; text: string }
  | { type: 'reply'; id: number; body: unknown }
  | { type: 'sample'; sample: ServerSample };

/** What the parent asks for. */
export type ParentMessage =
  | { type: 'stats'; id: number }
  | { type: 'stop'; id: number; timeout: number }
  | { type: 'report-every'; id: number; ms: number };

/** One look at the process: memory after a full GC, live handles, open connections. */
export interface ServerSample {
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly activeResources: number;
  readonly connections: number;
}

export interface ServerStats {
  readonly counts: Readonly<Record<string, number>>;
  readonly sample: ServerSample;
}

const counts: Record<string, number> = {};
function count(key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

function notify(name: string, detail?: Record<string, unknown>): void {
  count(name);
  send({ type: 'event', name, detail });
}

function send(message: ChildMessage): void {
  if (process.send !== undefined && process.connected) process.send(message);
}

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// One line per entry, so the parent (and a person reading a failed run) can count them.
const lineLogger: Logger = {
  debug: (message) => count(`log.debug.${message}`),
  info: (message) => count(`log.info.${message}`),
  warn: (message, fields) => log('warn', message, fields),
  error: (message, fields) => log('error', message, fields),
};
function log(level: string, message: string, fields: LogFields | undefined): void {
  count(`log.${level}.${message}`);
  const error = fields?.error;
  const why = error instanceof Error ? ` (${error.name}: ${error.message})` : error === undefined ? '' : ` (${String(error)})`;
  process.stderr.write(`[duet:${level}] ${message} ${String(fields?.service ?? '')}${why}\n`);
}

const leakPerConnection = Number(process.env.HOSTILE_LEAK_PER_CONNECTION ?? 0);
const leaked: Buffer[] = [];

/** The well-behaved control: an echo, counting opens and closes. */
@WebSocketService({ path: '/echo' })
class EchoService {
  @OnOpen()
  onOpen(): void {
    count('echo.open');
    if (leakPerConnection > 0) leaked.push(Buffer.alloc(leakPerConnection, 1));
  }

  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    count('echo.close');
    count(`echo.close.${code}`);
  }
}

/** Answers every ping itself (with its data), so a pong is the service's write, not ws's. */
@WebSocketService({ path: '/pinged' })
class PingedService {
  @OnPing()
  onPing(_caller: Caller, data: Buffer): Buffer {
    return data;
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    count(`pinged.close.${code}`);
  }
}

/** The fuzz target: an echo that closes with 1001 after a short idle period, so every case ends. */
@WebSocketService({ path: '/fuzz', idleTimeout: seconds('HOSTILE_FUZZ_IDLE', 0.5) })
class FuzzTargetService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }

  @OnClose()
  onClose(): void {
    count('fuzz.close');
  }
}

/** Throws synchronously on every message; @OnError hears of it. */
@WebSocketService({ path: '/throws' })
class ThrowingService {
  @OnText()
  onText(): never {
    count('throws.call');
    throw new Error('this handler always throws');
  }

  @OnError()
  onError(): void {
    count('throws.onError');
  }
}

/** Rejects on every message, without @OnError: the failure goes to the log. */
@WebSocketService({ path: '/rejects' })
class RejectingService {
  @OnText()
  async onText(): Promise<never> {
    count('rejects.call');
    throw new Error('this handler always rejects');
  }
}

/** Never settles: later messages wait, up to the default maxPendingMessages (1024), then 1013. */
@WebSocketService({ path: '/stuck', inboundOverflow: 'close' })
class StuckService {
  @OnText()
  onText(): Promise<void> {
    count('stuck.call');
    return new Promise(() => {});
  }

  @OnError()
  onError(_caller: Caller, error: Error & { code?: string }): void {
    count(`stuck.onError.${error.code}`);
  }
}

@WebSocketService({ path: '/open-throws' })
class OpenThrowingService {
  @OnOpen()
  onOpen(): never {
    count('openThrows.call');
    throw new Error('@OnOpen always throws');
  }

  @OnText()
  onText(_caller: Caller, text: string): string {
    count('openThrows.text');
    return text;
  }
}

@WebSocketService({ path: '/close-throws' })
class CloseThrowingService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnClose()
  onClose(): never {
    count('closeThrows.call');
    throw new Error('@OnClose always throws');
  }
}

/** `?kind=` picks what @OnUpgrade throws: a TypeError, a string, undefined, or a rejected promise. */
@WebSocketService({ path: '/upgrade-throws' })
class UpgradeThrowingService {
  @OnUpgrade()
  onUpgrade(request: UpgradeRequest): unknown {
    count('upgradeThrows.call');
    const kind = new URL(request.url, 'http://x').searchParams.get('kind');
    if (kind === 'string') throw 'a plain string';
    if (kind === 'undefined') throw undefined;
    if (kind === 'rejection') return Promise.reject(new RangeError('rejected upgrade'));
    throw new TypeError('not an UpgradeError');
  }

  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }
}

/**
 * Handlers that outlive their client. `write-after <ms>` and `return-after <ms>` wait, then
 * write or return; `fail-after <ms>` writes without catching; `echo-after <ms> <text>` is a slow echo.
 */
@WebSocketService({ path: '/slow' })
class SlowService {
  @OnText()
  async onText(caller: Caller, text: string): Promise<string | undefined> {
    const [command, ms, payload = ''] = text.split(' ');
    notify('slow.started', { command });
    await sleep(Number(ms));
    if (command === 'write-after') {
      try {
        await caller.writeTextMessage('late');
        notify('slow.write.ok');
      } catch (error) {
        const closed = error instanceof ConnectionClosedError;
        notify(`slow.write.rejected.${closed ? error.code : String(error)}`, {
          statusCode: closed ? error.statusCode : undefined,
        });
      }
      return undefined;
    }
    if (command === 'fail-after') {
      await caller.writeTextMessage('late'); // rejects once the client is gone: the handler fails
      return undefined;
    }
    if (command === 'return-after') notify('slow.returned');
    return command === 'echo-after' ? payload : 'late';
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    count(`slow.close.${code}`);
  }
}

/** An echo with a 4 MiB limit, for messages that are cut off half-way. */
@WebSocketService({ path: '/big', maxFrameSize: 4 * 1024 * 1024 })
class BigEchoService {
  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    count('big.message');
    return data;
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    notify(`big.close.${code}`);
  }
}

/** `close` starts a close handshake from the server (3 s timeout) and reports when it settles. */
@WebSocketService({ path: '/closer' })
class CloserService {
  @OnText()
  onText(caller: Caller, text: string): void {
    if (text !== 'close') return;
    const started = Date.now();
    caller.close(1000, 'bye', 3).then(
      () => notify('closer.resolved', { ms: Date.now() - started }),
      (error) => notify('closer.rejected', { error: String(error) }),
    );
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    notify(`closer.close.${code}`);
  }
}

const SERVICES = [
  EchoService,
  PingedService,
  FuzzTargetService,
  ThrowingService,
  RejectingService,
  StuckService,
  OpenThrowingService,
  CloseThrowingService,
  UpgradeThrowingService,
  SlowService,
  BigEchoService,
  CloserService,
];

function sample(app: WebSocketApplication): ServerSample {
  // A full collection first (the child runs with --expose-gc, or on Bun), so a sample shows what is live.
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
  const memory = process.memoryUsage();
  return {
    at: Date.now(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    activeResources: process.getActiveResourcesInfo().length,
    connections: app.connectionCount(),
  };
}

async function main(): Promise<void> {
  // Recorded and reported rather than fatal, so that one failure does not hide the next.
  process.on('unhandledRejection', (reason) => problem('unhandledRejection', reason));
  process.on('uncaughtException', (error) => problem('uncaughtException', error));

  const container = new Container();
  container.bind<Logger>(LOGGER).toConstantValue(lineLogger);
  container.load(
    webSocketModule({
      listeners: {
        default: { port: 0, host: '127.0.0.1', handshakeTimeout: seconds('HOSTILE_HANDSHAKE_TIMEOUT', 1) },
      },
      services: SERVICES,
    }),
  );
  const app = await WebSocketApplication.start(container);
  let reporter: NodeJS.Timeout | undefined;
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stats') {
      send({ type: 'reply', id: message.id, body: { counts: { ...counts }, sample: sample(app) } satisfies ServerStats });
    } else if (message.type === 'stop') {
      const started = Date.now();
      void app.stop({ timeout: message.timeout }).then(() => {
        if (reporter !== undefined) clearInterval(reporter);
        send({ type: 'reply', id: message.id, body: { ms: Date.now() - started } });
      });
    } else if (message.type === 'report-every') {
      if (reporter !== undefined) clearInterval(reporter);
      reporter = setInterval(() => send({ type: 'sample', sample: sample(app) }), message.ms);
      send({ type: 'reply', id: message.id, body: sample(app) });
    }
  });
  // The parent going away (even killed) ends the child: it never outlives a test run.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: app.port(), engine: app.engine });
}

function problem(kind: 'unhandledRejection' | 'uncaughtException', reason: unknown): void {
  const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  process.stderr.write(`[hostile-server] ${kind}: ${text}\n`);
  send({ type: 'problem', kind, text });
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`[hostile-server] could not start: ${String(error?.stack ?? error)}\n`);
    process.exit(1);
  });
}
