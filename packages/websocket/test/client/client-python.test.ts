// Interop: the client against a server nobody here wrote, on Debian's python3-websockets.
// The server is python-echo-server.py, started on a free port of 127.0.0.1 and stopped by
// its PID. Without python3 and its `websockets` module this suite fails (CI installs it with
// `apt-get install -y python3-websockets`); it never skips silently.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ConnectionClosedError, WebSocketClient } from '@duet/websocket';
import { eventually, withTimeout } from '../helpers';
import { closeAll, rejectionOf, track } from './support';

const SCRIPT = join(__dirname, 'python-echo-server.py');

// `python3` first; Debian's own interpreter next, since a version manager's python3 earlier
// on PATH does not see Debian's packages. DUET_PYTHON overrides both.
const CANDIDATES = process.env.DUET_PYTHON ? [process.env.DUET_PYTHON] : ['python3', '/usr/bin/python3'];

function findPython(): string {
  const tried: string[] = [];
  for (const candidate of CANDIDATES) {
    try {
      execFileSync(candidate, ['-c', 'import websockets'], { stdio: 'pipe', timeout: 10000 });
      return candidate;
    } catch (error) {
      tried.push(`${candidate}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `The python interop test needs python3 with the 'websockets' module ` +
      `(Debian: apt-get install -y python3-websockets). Tried:\n  ${tried.join('\n  ')}`,
  );
}

let python: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  const interpreter = findPython();
  const child = spawn(interpreter, [SCRIPT, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  python = child;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /LISTENING (\d+)/.exec(stdout);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`the python server exited with ${code}: ${stderr}`)));
    }),
    10000,
    'the python server to listen',
  );
  url = `ws://127.0.0.1:${port}/`;
});

afterAll(async () => {
  await closeAll();
  const child = python;
  if (child?.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  await withTimeout(exited, 5000, 'the python server to exit');
});

describe('WebSocketClient against a python3-websockets server', () => {
  it('echoes text and binary messages in order', async () => {
    const client = track(await WebSocketClient.connect(url));
    for (let i = 0; i < 100; i++) await client.writeTextMessage(`t${i}`);
    await client.writeBinaryMessage(Buffer.from([0, 1, 254, 255]));
    for (let i = 0; i < 100; i++) expect(await client.readTextMessage()).toBe(`t${i}`);
    expect(await client.readBinaryMessage()).toEqual(Buffer.from([0, 1, 254, 255]));
  });

  it('negotiates the sub-protocol the python server supports', async () => {
    const client = track(await WebSocketClient.connect(url, { subProtocols: ['py.v0', 'py.v1'] }));
    expect(client.getNegotiatedSubProtocol()).toBe('py.v1');
  });

  it('delivers custom headers and cookies to the python server', async () => {
    const client = track(
      await WebSocketClient.connect(url, { customHeaders: { 'X-Tenant': 'acme' }, cookies: { a: '1', b: '2' } }),
    );
    await client.writeTextMessage('header:X-Tenant');
    expect(await client.readTextMessage()).toBe('acme');
    await client.writeTextMessage('header:Cookie');
    expect(await client.readTextMessage()).toBe('a=1; b=2');
  });

  it('gets the pong of its ping from the python server', async () => {
    const pongs: string[] = [];
    const client = track(
      await WebSocketClient.connect(url, { pingPongHandler: { onPong: (_client, data) => void pongs.push(data.toString()) } }),
    );
    await client.ping('py?');
    await eventually(() => pongs.length > 0, 2000, 'the pong');
    expect(pongs).toEqual(['py?']);
  });

  it('reports the close code and reason the python server closed with', async () => {
    const client = track(await WebSocketClient.connect(url));
    await client.writeTextMessage('close');
    const error = await rejectionOf(client.readMessage());
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ statusCode: 4000, reason: 'python says bye' });
  });

  it('closes with its own code, and the server completes the close handshake', async () => {
    const client = await WebSocketClient.connect(url);
    await client.close(4100, 'node says bye', 2);
    await expect(client.readMessage()).rejects.toMatchObject({ statusCode: 4100, reason: 'node says bye' });
  });
});
