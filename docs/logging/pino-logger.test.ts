// docs/logging.md's pino adapter is code that runs: this test drives a Duet app through it
// into a real pino logger writing to a stream read here, and checks that the page shows the
// adapter's file exactly as it is.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Caller, LOGGER, OnText, WebSocketService } from '@duet/websocket';
import { closeTestApps, createTestApp, eventually, waitForClose } from '@duet/testing';
import { pinoLogger } from './pino-logger';

afterEach(closeTestApps);

@WebSocketService({ path: '/rooms/:room' })
class RoomService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    if (text === 'boom') throw new TypeError('boom');
    return text;
  }
}

/** A pino logger at `level` writing JSON lines into `lines`. */
function pinoInto(lines: Record<string, unknown>[], level: string) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level, base: undefined, timestamp: false }, sink);
}

describe('the pino adapter of docs/logging.md', () => {
  it('logs traffic at debug level with connection id, service, path, remote address and cut payloads', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await createTestApp({
      services: [RoomService],
      trafficLog: { maxPayload: 8 },
      bindings: [[LOGGER, pinoLogger(pinoInto(lines, 'debug'))]],
    });
    const client = await app.client('/rooms/lobby');
    await client.writeTextMessage('a fairly long message');
    await client.readTextMessage();
    await eventually(() => lines.some((line) => line.msg === 'message out'), 2000, 'the outgoing message in the log');
    const opened = lines.find((line) => line.msg === 'connection opened');
    expect(opened).toMatchObject({ level: 20, service: 'RoomService', path: '/rooms/:room', remoteAddress: '127.0.0.1' });
    expect(opened?.connectionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.find((line) => line.msg === 'message in')).toEqual({
      level: 20,
      msg: 'message in',
      connectionId: opened?.connectionId,
      service: 'RoomService',
      path: '/rooms/:room',
      kind: 'text',
      bytes: 21,
      payload: 'a fairly… (21 chars)',
    });
  });

  it("hands a handler's failure to pino as err, with type, message and stack", async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await createTestApp({ services: [RoomService], bindings: [[LOGGER, pinoLogger(pinoInto(lines, 'info'))]] });
    const client = await app.client('/rooms/kitchen');
    await client.writeTextMessage('boom');
    expect((await waitForClose(client)).code).toBe(1011);
    const failure = lines.find((line) => line.msg === 'handler failed');
    expect(failure).toMatchObject({ level: 50, service: 'RoomService', err: { type: 'TypeError', message: 'boom' } });
    expect((failure?.err as { stack: string }).stack).toContain('TypeError: boom');
    expect(lines.filter((line) => line.level === 20)).toEqual([]); // debug is below 'info'
  });

  it('is shown in docs/logging.md exactly as the file is', () => {
    const page = readFileSync(path.join(__dirname, '..', 'logging.md'), 'utf8');
    const file = readFileSync(path.join(__dirname, 'pino-logger.ts'), 'utf8');
    expect(page).toContain('```ts\n' + file + '```\n');
  });
});
