// The guide's snippets are code that runs: each one typechecks, each server starts on an
// ephemeral port and answers one real exchange, and docs/guide.md shows every file verbatim.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { SignJWT } from 'jose';
import ts from 'typescript';
import {
  ConnectError,
  ConnectionClosedError,
  HandshakeError,
  TlsError,
  WebSocketApplication,
  WebSocketClient,
  type WebSocketClientConfig,
} from '@duet/websocket';
import { RedisBackplane } from '@duet/redis';
import { RedisServer, freePort } from '../../packages/redis/test/redis-server';
import { makeTlsFixtures } from '../../packages/websocket/test/tls-fixtures';
import * as auth from './auth';
import * as broadcast from './broadcast';
import * as client from './client';
import * as close from './close';
import * as compression from './compression';
import * as controlMessages from './control-messages';
import * as dataMessages from './data-messages';
import * as errors from './errors';
import * as events from './events';
import * as policy from './policy';
import * as scaleOut from './scale-out';
import * as tls from './tls';
import * as typedMessages from './typed-messages';
import * as upgrade from './upgrade';

const root = path.join(__dirname, '..', '..');
const snippetFiles = readdirSync(__dirname)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .sort();

const running: WebSocketApplication[] = [];
const clients: WebSocketClient[] = [];

async function serve(start: (port: number) => Promise<WebSocketApplication>): Promise<string> {
  const app = await start(0);
  running.push(app);
  return `ws://127.0.0.1:${app.port()}`;
}

async function connect(url: string, config?: WebSocketClientConfig): Promise<WebSocketClient> {
  const connected = await WebSocketClient.connect(url, { readTimeout: 5, ...config });
  clients.push(connected);
  return connected;
}

async function closedWith(read: Promise<unknown>): Promise<{ statusCode?: number; reason: string }> {
  const error = await read.then(
    () => {
      throw new Error('expected the connection to be closed, but a message arrived');
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ConnectionClosedError);
  const { statusCode, reason } = error as ConnectionClosedError;
  return { statusCode, reason };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function logged(spy: jest.SpyInstance): string[] {
  return spy.mock.calls.map((call: unknown[]) => call.join(' '));
}

let log: jest.SpyInstance;

beforeEach(() => {
  log = jest.spyOn(console, 'log').mockImplementation(() => {});
});

afterEach(async () => {
  log.mockRestore();
  await Promise.all(clients.splice(0).map((open) => open.close(1000, '', 1).catch(() => {})));
  await Promise.all(running.splice(0).map((app) => app.stop({ timeout: 2 })));
});

describe('docs/guide.md and its snippets', () => {
  const guide = readFileSync(path.join(root, 'docs', 'guide.md'), 'utf8');

  it('shows every snippet file verbatim, each under its own marker, and no TypeScript block without one', () => {
    const problems: string[] = [];
    const shown: string[] = [];
    for (const block of guide.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
      if (block[1] !== 'ts') continue;
      const marker = /<!-- snippet: ([\w-]+\.ts) -->$/.exec(guide.slice(0, block.index).trimEnd());
      if (marker === null) {
        problems.push(`a ts block without a snippet marker starts with: ${block[2].split('\n')[0]}`);
        continue;
      }
      const file = marker[1];
      shown.push(file);
      if (!snippetFiles.includes(file)) problems.push(`${file} is shown but there is no such snippet file`);
      else if (block[2] !== readFileSync(path.join(__dirname, file), 'utf8')) problems.push(`${file} differs from its block`);
    }
    expect(problems).toEqual([]);
    expect(shown.sort()).toEqual(snippetFiles);
  });

  it('typechecks every snippet with the repository compiler options', () => {
    const configPath = path.join(root, 'tsconfig.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    })!;
    const files = snippetFiles.map((file) => path.join(__dirname, file));
    const program = ts.createProgram(files, parsed.options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file === undefined || diagnostic.file.fileName.includes('/docs/snippets/'))
      .map((diagnostic) => {
        const where = diagnostic.file
          ? `${path.relative(root, diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
          : '';
        return `${where} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60000);
});

describe('snippet: upgrade', () => {
  it('welcomes a client that gives its name, with the room from the path and a header on the 101', async () => {
    const base = await serve(upgrade.start);
    const ann = await connect(`${base}/chat/lobby?name=ann`);
    expect(await ann.readTextMessage()).toBe('Welcome ann to #lobby');
    expect(ann.getHttpResponseHeaders()['x-chat-room']).toBe('lobby');
  });

  it('refuses an upgrade without a name with 400 and the reason', async () => {
    const base = await serve(upgrade.start);
    const refused = await WebSocketClient.connect(`${base}/chat/lobby`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HandshakeError);
    expect(refused).toMatchObject({ status: 400, body: expect.stringContaining('?name=') });
  });
});

describe('snippet: events', () => {
  it('selects json for a client offering xml then json, and says so on open', async () => {
    const base = await serve(events.start);
    const peer = await connect(`${base}/ws`, { subProtocols: ['xml', 'json'] });
    expect(peer.getNegotiatedSubProtocol()).toBe('json');
    expect(await peer.readTextMessage()).toBe('speaking json');
    expect(logged(log)).toContain('Negotiated sub-protocol: json');
  });
});

describe('snippet: data-messages', () => {
  it('answers text with Echo: and binary with the same bytes', async () => {
    const base = await serve(dataMessages.start);
    const peer = await connect(`${base}/ws/echo`);
    await peer.writeTextMessage('Hello!');
    expect(await peer.readTextMessage()).toBe('Echo: Hello!');
    await peer.writeBinaryMessage(Buffer.from([0, 1, 254, 255]));
    expect(await peer.readBinaryMessage()).toEqual(Buffer.from([0, 1, 254, 255]));
  });
});

describe('snippet: typed-messages', () => {
  it('broadcasts a long text deflated to a client that offered compression, which reads it whole', async () => {
    const base = await serve(compression.start);
    const reader = await compression.connect(base);
    expect(reader.getHttpResponseHeaders()['sec-websocket-extensions']).toBe('permessage-deflate; server_no_context_takeover');
    const long = 'tick '.repeat(1000);
    await reader.writeTextMessage(long);
    expect(await reader.readTextMessage()).toBe(long);
  });

  it('answers a quote, streams a watch, each tagged with its reqid, and explains a bad message', async () => {
    const base = await serve(typedMessages.start);
    const peer = await connect(`${base}/prices`);
    const next = async () => JSON.parse(await peer.readTextMessage()) as Record<string, unknown>;
    await peer.writeMessage({ type: 'quote', pair: 'XBT/EUR', reqid: 1 });
    expect(await next()).toEqual({ type: 'price', pair: 'XBT/EUR', price: 101.5, reqid: 1 });
    await peer.writeMessage({ type: 'watch', pair: 'ETH/EUR', count: 3, reqid: 2 });
    expect([await next(), await next(), await next()]).toEqual([101, 102, 103].map((price) => ({ type: 'price', pair: 'ETH/EUR', price, reqid: 2 })));
    await peer.writeMessage({ type: 'quote', pair: 'bitcoin', reqid: 3 });
    expect(await next()).toMatchObject({ type: 'error', reqid: 3, issues: [expect.objectContaining({ path: ['pair'] })] });
    await peer.writeMessage({ type: 'sell', reqid: 4 });
    expect(await next()).toMatchObject({ type: 'error', reqid: 4, issues: [expect.objectContaining({ path: ['type'] })] });
  });
});

describe('snippet: control-messages', () => {
  it('answers a ping with its own data, and logs it in base64', async () => {
    const base = await serve(controlMessages.start);
    const pongs: string[] = [];
    const peer = await connect(`${base}/ws`, { pingPongHandler: { onPong: (_client, data) => void pongs.push(data.toString()) } });
    await peer.ping('are you there?');
    await until(() => pongs.length > 0, 'the pong');
    expect(pongs).toEqual(['are you there?']);
    expect(logged(log)).toContain(`Ping received with data: ${Buffer.from('are you there?').toString('base64')}`);
  });
});

describe('snippet: errors', () => {
  it('closes with 1011 after a failing handler and with 1009 for an oversized message, telling @OnError', async () => {
    const base = await serve(errors.start);
    const failing = await connect(`${base}/ws`);
    await failing.writeTextMessage('fail');
    expect(await closedWith(failing.readTextMessage())).toMatchObject({ statusCode: 1011 });
    const oversized = await connect(`${base}/ws`);
    await oversized.writeTextMessage('x'.repeat(2000));
    expect(await closedWith(oversized.readTextMessage())).toMatchObject({ statusCode: 1009 });
    await until(() => logged(log).length === 2, '@OnError twice');
    expect(logged(log)).toEqual([
      expect.stringMatching(/: cannot process "fail" \(closing with 1011\)$/),
      expect.stringMatching(/\(closing with 1009\)$/),
    ]);
  });
});

describe('snippet: close', () => {
  it("echoes until 'bye', then closes with 4000 'see you' and logs the close once", async () => {
    const base = await serve(close.start);
    const peer = await connect(`${base}/ws`);
    await peer.writeTextMessage('hi');
    expect(await peer.readTextMessage()).toBe('Echo: hi');
    await peer.writeTextMessage('bye');
    expect(await closedWith(peer.readTextMessage())).toEqual({ statusCode: 4000, reason: 'see you' });
    await until(() => logged(log).length > 0, '@OnClose');
    expect(logged(log)).toEqual(['Client closed connection with 4000 because of see you']);
  });

  it("closes with 1000 when a handler returns CloseFrame.NormalClosure for 'logout', after the echo before it", async () => {
    const base = await serve(close.start);
    const peer = await connect(`${base}/ws`);
    await peer.writeTextMessage('hi');
    await peer.writeTextMessage('logout');
    expect(await peer.readTextMessage()).toBe('Echo: hi');
    expect(await closedWith(peer.readTextMessage())).toEqual({ statusCode: 1000, reason: '' });
  });
});

describe('snippets: tls and the wss client', () => {
  const keys = makeTlsFixtures();
  afterAll(() => keys.remove());

  it('lets in a client whose certificate the CA signed, over wss, and names it', async () => {
    const app = await tls.start(0, keys.dir);
    running.push(app);
    const answer = await client.askWhoAmI(`wss://127.0.0.1:${app.port()}/whoami`, keys.dir);
    expect(answer).toBe('Hello duet-client, secure: true');
  });

  it('refuses a client without a certificate', async () => {
    const app = await tls.start(0, keys.dir);
    running.push(app);
    const refused = await WebSocketClient.connect(`wss://127.0.0.1:${app.port()}/whoami`, {
      secureSocket: { cert: keys.caCert },
    }).catch((error: unknown) => error);
    // Under TLS 1.3 the server's refusal is an alert after the client's side of the handshake,
    // which the client reads as a TLS failure, or as a reset if the socket closes first.
    expect(refused instanceof TlsError || refused instanceof ConnectError).toBe(true);
  });
});

describe('snippet: auth', () => {
  const text = (peer: WebSocketClient) => peer.readTextMessage();

  it('accepts Basic, a JWT in the query and an API key, each as its own principal', async () => {
    const base = await serve(auth.start);
    const ada = await connect(`${base}/private`, { auth: { username: 'ada', password: 'correct horse battery staple' } });
    expect(await text(ada)).toBe('Welcome ada');
    const token = await new SignJWT({ scope: 'chat' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('grace')
      .setIssuer('https://login.example.com')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('development only: 32 or more bytes of secret'));
    const grace = await connect(`${base}/private?access_token=${token}`);
    expect(await text(grace)).toBe('Welcome grace');
    process.env.API_KEY = 'key-for-the-test';
    try {
      const robot = await connect(`${base}/private`, { customHeaders: { 'X-Api-Key': 'key-for-the-test' } });
      expect(await text(robot)).toBe('Welcome robot');
    } finally {
      delete process.env.API_KEY;
    }
  });

  it('refuses a wrong password with 401 and a foreign origin with 403', async () => {
    const base = await serve(auth.start);
    const wrong = await WebSocketClient.connect(`${base}/private`, { auth: { username: 'ada', password: 'guess' } }).catch((error: unknown) => error);
    expect(wrong).toMatchObject({ status: 401 });
    const foreign = await WebSocketClient.connect(`${base}/private`, {
      auth: { username: 'ada', password: 'correct horse battery staple' },
      customHeaders: { Origin: 'https://evil.example.net' },
    }).catch((error: unknown) => error);
    expect(foreign).toMatchObject({ status: 403 });
  });
});

describe('snippet: policy', () => {
  it('refuses a delete without the admin scope and keeps the connection, lets ada delete, then limits the rate', async () => {
    const base = await serve(policy.start);
    const next = async (peer: WebSocketClient) => JSON.parse(await peer.readTextMessage()) as Record<string, unknown>;
    const bob = await connect(`${base}/notes`, { customHeaders: { 'X-User': 'bob' } });
    await bob.writeMessage({ type: 'delete', id: 1 });
    expect(await next(bob)).toEqual({
      type: 'error',
      code: 'DUET_ERR_AUTHORIZATION',
      message: 'This message needs the scope admin.',
      issues: [],
      missingScopes: ['admin'],
    });
    await bob.writeMessage({ type: 'read', id: 1 });
    expect(await next(bob)).toEqual({ type: 'note', id: 1, text: 'Buy milk' });
    const ada = await connect(`${base}/notes`, { customHeaders: { 'X-User': 'ada' } });
    await ada.writeMessage({ type: 'delete', id: 1 });
    expect(await next(ada)).toEqual({ type: 'deleted', id: 1 });
    // bob used 2 of his burst of 10: a flood of 10 more gets 8 answers and 2 refusals
    for (let id = 0; id < 10; id++) await bob.writeMessage({ type: 'read', id });
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push((await next(bob)).type);
    expect(replies.filter((type) => type === 'error')).toHaveLength(2);
  });
});

describe('snippet: client', () => {
  it('gets Echo: Hello! from the data-messages service', async () => {
    const base = await serve(dataMessages.start);
    expect(await client.askEcho(`${base}/ws/echo`)).toBe('Echo: Hello!');
  });

  it('keeps retrying until a server that starts late answers', async () => {
    const port = await freePort();
    const answer = client.askEcho(`ws://127.0.0.1:${port}/ws/echo`, 'late');
    await new Promise((resolve) => setTimeout(resolve, 500));
    running.push(await dataMessages.start(port));
    expect(await answer).toBe('Echo: late');
  });
});

function post(port: number, pathName: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: pathName, method: 'POST' }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

describe('snippet: broadcast', () => {
  it('sends a message to the others in its room only, and POST /announce to everyone', async () => {
    const base = await serve(broadcast.start);
    const [ann, bob, cat] = await Promise.all([
      connect(`${base}/rooms/a`),
      connect(`${base}/rooms/a`),
      connect(`${base}/rooms/b`),
    ]);
    await ann.writeTextMessage('hello room a');
    expect(await bob.readTextMessage()).toBe('hello room a');
    const port = Number(new URL(base).port);
    expect(await post(port, '/announce', 'closing at six')).toBe('sent to 3\n');
    // Each one's next message is the announcement: ann got no echo, cat nothing from room a.
    expect(await Promise.all([ann, bob, cat].map((peer) => peer.readTextMessage()))).toEqual(Array(3).fill('closing at six'));
  });
});

describe('snippet: scale-out', () => {
  async function newsExchange(nodes: WebSocketApplication[]): Promise<void> {
    const first = await connect(`ws://127.0.0.1:${nodes[0].port()}/news`);
    const second = await connect(`ws://127.0.0.1:${nodes[1].port()}/news`);
    // Over Redis a node's count is published at most every 500 ms: wait until both are known.
    const deadline = Date.now() + 5000;
    while ((await nodes[0].registry.clusterCount()) !== 2) {
      if (Date.now() > deadline) throw new Error('the cluster never counted both readers');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await first.writeTextMessage('breaking');
    expect(await second.readTextMessage()).toBe('breaking');
    expect([await first.readTextMessage(), await first.readTextMessage()]).toEqual(['breaking', '2 readers']);
  }

  it('delivers a broadcast made on one node to a reader on the other, and counts readers over both', async () => {
    const nodes = await scaleOut.startPair();
    running.push(...nodes);
    await newsExchange(nodes);
  });

  it('does the same between two nodes on a real redis-server through RedisBackplane', async () => {
    const redis = await RedisServer.start();
    try {
      const nodes = [
        await scaleOut.start(0, new RedisBackplane({ url: redis.url })),
        await scaleOut.start(0, new RedisBackplane({ url: redis.url })),
      ];
      running.push(...nodes);
      await newsExchange(nodes);
      await Promise.all(running.splice(0).map((app) => app.stop({ timeout: 2 })));
    } finally {
      await redis.stop();
    }
  }, 30000);
});

describe('snippet: shutdown (run as its own process)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('on SIGTERM finishes the running job, sends its reply, closes with 1001 and exits', async () => {
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'shutdown.ts')], {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await until(() => /listener \S+:(\d+)/.test(output), `the snippet to start (it printed: ${output})`, 20000);
    const port = Number(/listener \S+:(\d+)/.exec(output)![1]);
    const peer = await connect(`ws://127.0.0.1:${port}/jobs`);
    await peer.writeTextMessage('report');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the job is running now
    child.kill('SIGTERM');
    expect(await peer.readTextMessage()).toBe('done: report');
    expect(await closedWith(peer.readTextMessage())).toMatchObject({ statusCode: 1001 });
    expect(await exited).toBe(0);
  }, 30000);
});
