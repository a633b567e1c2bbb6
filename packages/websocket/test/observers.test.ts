import {
  Caller,
  type ConnectionInfo,
  LOGGER,
  type Logger,
  OBSERVER,
  OnText,
  WebSocketService,
  type WebSocketObserver,
} from '@duet/websocket';
import { closeTestApps, createTestApp, eventually, waitForClose } from '@duet/testing';
import { rawUpgrade } from './helpers';

afterEach(closeTestApps);

@WebSocketService({ path: '/watched' })
class WatchedService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<string> {
    if (text === 'boom') throw new Error('boom');
    await new Promise((resolve) => setTimeout(resolve, 20));
    return text.toUpperCase();
  }
}

class RecordingObserver implements WebSocketObserver {
  readonly events: string[] = [];
  durations: number[] = [];
  connectionOpened(connection: ConnectionInfo) {
    this.events.push(`open ${connection.service} ${connection.path}`);
  }
  connectionClosed(_connection: ConnectionInfo, code: number) {
    this.events.push(`close ${code}`);
  }
  messageReceived(_connection: ConnectionInfo, kind: string, data: Buffer) {
    this.events.push(`in ${kind} ${data.toString()}`);
  }
  messageSent(_connection: ConnectionInfo, kind: string, data: unknown) {
    this.events.push(`out ${kind} ${String(data)}`);
  }
  handlerFinished(_connection: ConnectionInfo, handler: string, durationMs: number, failed: boolean) {
    this.events.push(`handler ${handler}${failed ? ' failed' : ''}`);
    this.durations.push(durationMs);
  }
  errorOccurred(_connection: ConnectionInfo, kind: string) {
    this.events.push(`error ${kind}`);
  }
  upgradeRefused(path: string, status: number) {
    this.events.push(`refused ${path} ${status}`);
  }
}

describe('observers', () => {
  it('see connections, messages both ways, handler durations, errors and refused upgrades', async () => {
    const observer = new RecordingObserver();
    const app = await createTestApp({ services: [WatchedService], bindings: [[OBSERVER, observer]] });
    const client = await app.client('/watched');
    await client.writeTextMessage('hi');
    expect(await client.readTextMessage()).toBe('HI');
    await client.writeTextMessage('boom');
    expect((await waitForClose(client)).code).toBe(1011);
    expect((await rawUpgrade(app.url('/missing'))).status).toBe(404);
    await eventually(() => observer.events.includes('close 1011'), 2000, 'the close');
    expect(observer.events).toEqual([
      'open WatchedService /watched',
      'in text hi',
      'handler text',
      'out text HI',
      'in text boom',
      'handler text failed',
      'error Error',
      'close 1011',
      'refused /missing 404',
    ]);
    expect(observer.durations[0]).toBeGreaterThanOrEqual(15);
  });

  it('keep a connection working when an observer throws (the failure is logged)', async () => {
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message) => errors.push(message) };
    const failing: WebSocketObserver = {
      messageReceived() {
        throw new Error('observer bug');
      },
    };
    const app = await createTestApp({ services: [WatchedService], bindings: [[LOGGER, logger], [OBSERVER, failing]] });
    const client = await app.client('/watched');
    await client.writeTextMessage('ok');
    expect(await client.readTextMessage()).toBe('OK');
    expect(errors).toContain('an observer failed');
  });

  it('log traffic at debug level with payloads cut short when trafficLog is on', async () => {
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = {
      debug: (message, fields) => lines.push({ message, fields }),
      info() {},
      warn() {},
      error() {},
    };
    const app = await createTestApp({ services: [WatchedService], trafficLog: { maxPayload: 8 }, bindings: [[LOGGER, logger]] });
    const client = await app.client('/watched');
    await client.writeTextMessage('a fairly long message');
    await client.readTextMessage();
    const incoming = lines.find((line) => line.message === 'message in');
    expect(incoming?.fields).toMatchObject({ kind: 'text', bytes: 21, payload: 'a fairly… (21 chars)', service: 'WatchedService' });
    expect(lines.some((line) => line.message === 'message out')).toBe(true);
    expect(lines.some((line) => line.message === 'connection opened')).toBe(true);
  });
});
