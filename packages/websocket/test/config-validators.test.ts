// One rule per kind of field, whichever config it is in: the service, listener, client and Redis
// backplane configs refuse the same bad count, size or number of seconds with the same words,
// each as its own ConfigError naming the field (validate.ts holds the rules once).
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Container } from 'inversify';
import { ConfigError, WebSocketApplication, WebSocketClient, WebSocketService, webSocketModule } from '@duet/websocket';
import { RedisBackplane } from '@duet/redis';

async function startWith(service: object, listener: object): Promise<unknown> {
  @WebSocketService({ path: '/v', ...service } as never)
  class Validated {}
  const container = new Container();
  container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1', ...listener } }, services: [Validated] }));
  try {
    const app = await WebSocketApplication.start(container);
    await app.stop({ timeout: 1 });
    return undefined;
  } catch (error) {
    return error;
  }
}

async function refusal(where: string, field: string, value: unknown): Promise<string> {
  let error: unknown;
  if (where === 'service') error = await startWith({ [field]: value }, {});
  else if (where === 'listener') error = await startWith({}, { [field]: value });
  else if (where === 'client') error = await WebSocketClient.connect('ws://127.0.0.1:1/v', { [field]: value }).then(() => undefined, (e: unknown) => e);
  else {
    try {
      new RedisBackplane({ [field]: value });
    } catch (e) {
      error = e;
    }
  }
  if (!(error instanceof ConfigError)) return `${where}.${field}: not a ConfigError (${String(error)})`;
  if (error.field !== field) return `${where}.${field}: field ${error.field}`;
  return error.message.slice(error.message.indexOf(`'${field}'`) + field.length + 3);
}

async function sameRefusals(fields: [string, string][], values: unknown[]): Promise<void> {
  for (const value of values) {
    const problems = await Promise.all(fields.map(([where, field]) => refusal(where, field, value)));
    expect(new Set(problems).size === 1 ? problems[0] : problems).toBe(problems[0]);
    expect(problems[0]).toContain(typeof value === 'string' ? JSON.stringify(value) : String(value));
  }
}

describe('the config validators', () => {
  it('refuse a bad count with the same words in the service, listener, client and backplane configs', async () => {
    const counts: [string, string][] = [
      ['service', 'maxPendingMessages'],
      ['service', 'maxFragments'],
      ['listener', 'maxConnections'],
      ['client', 'maxQueuedMessages'],
      ['redis', 'maxPendingPublishes'],
    ];
    await sameRefusals(counts, [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, '5']);
  });

  it('refuse a bad size in bytes with the same words, past 2^53 too', async () => {
    const sizes: [string, string][] = [
      ['service', 'maxFrameSize'],
      ['service', 'maxBufferedBytes'],
      ['listener', 'maxHeaderSize'],
      ['client', 'maxFrameSize'],
      ['client', 'maxQueuedBytes'],
    ];
    await sameRefusals(sizes, [0, -1, 2.5, 2 ** 60, '64']);
  });

  it('refuse a bad number of seconds with the same words', async () => {
    // 0 means "none" where a timer is optional, and is refused where one must run.
    const optional: [string, string][] = [
      ['service', 'idleTimeout'],
      ['service', 'drainTimeout'],
      ['service', 'pingInterval'],
    ];
    const required: [string, string][] = [
      ['listener', 'handshakeTimeout'],
      ['client', 'handshakeTimeout'],
      ['client', 'readTimeout'],
      ['client', 'writeTimeout'],
    ];
    await sameRefusals(optional, [-1, Number.NaN, Number.POSITIVE_INFINITY, 3e9, '5']);
    await sameRefusals(required, [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 3e9, '5']);
  });

  it('reach sibling packages through the documented @duet/websocket/internal entry of the built package', () => {
    const probe = "const i = require('@duet/websocket/internal'); process.stdout.write(typeof i.count + ' ' + String(i.WEB_SOCKET_MODULE));";
    const result = spawnSync(process.execPath, ['-e', probe], { cwd: join(__dirname, '../../redis'), encoding: 'utf8', timeout: 10_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('function Symbol(@duet/websocket:module)');
  });
});
