// A new user's path, end to end: the workspace packages packed as npm would publish them, the
// CLI installed from its tarball, a sample scaffolded into an empty folder, then in that folder
// npm install (against the tarballs), npm run build, npm test, npm start, a client connected and
// its reply read. By default the full path runs for echo (made by create-duet, as `npm create
// duet` would) and auth-chat (jose, an ES-module-only dependency, and a container binding);
// DUET_SCAFFOLD=all (`npm run test:scaffold`) runs it for every sample.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Started, cleanEnv, mustRun } from './processes';

const root = path.join(__dirname, '../../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quiet = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
const sampleNames = readdirSync(path.join(root, 'samples')).filter((name) => existsSync(path.join(root, 'samples', name, 'main.ts'))).sort();
const fullPath = process.env.DUET_SCAFFOLD === 'all' ? sampleNames : ['echo', 'auth-chat'];

/**
 * What `npm start` must answer, per sample: a client connects to the port it printed. Not here:
 * the client samples (nothing to connect to) and cluster (it needs a Redis).
 */
const startChecks: Record<string, (port: number, started: Started, dir: string) => Promise<void>> = {
  echo: (port) => reply(`ws://127.0.0.1:${port}/ws`, 'Hello!', 'Hello!'),
  // The sample prints a URL with a development token for trying it: the user's next step.
  'auth-chat': async (port, started) => {
    const url = (await started.waitFor(/new WebSocket\("([^"]+)"\)/, 10000))[1];
    await reply(url.replace(`localhost:${port}`, `127.0.0.1:${port}`), undefined, '* alice joined lobby');
  },
  'data-message': (port) => reply(`ws://127.0.0.1:${port}/ws/echo`, 'Hello!', 'Echo: Hello!'),
  'connection-close': (port) => reply(`ws://127.0.0.1:${port}/ws`, 'Hello!', 'Echo: Hello!'),
  'connection-error': (port) => reply(`ws://127.0.0.1:${port}/ws`, 'Hello!', 'Echo: Hello!'),
  'express-shared-port': (port) => reply(`ws://127.0.0.1:${port}/ws`, 'Hello!', 'Echo: Hello!'),
  'fetch-shared-port': (port) => reply(`ws://127.0.0.1:${port}/ws`, 'Hello!', 'Echo: Hello!'),
  'market-feed': (port) => reply(`ws://127.0.0.1:${port}/ws`, '{"event":"ping","reqid":7}', '{"event":"pong","reqid":7}'),
  chat: (port) => reply(`ws://127.0.0.1:${port}/chat/lobby?name=ann`, undefined, /^\{"kind":"joined","room":"lobby","from":"ann"/),
  // npm start made the key material (src/make-keys.sh); the client trusts its CA.
  secure: (port, _started, dir) => reply(`wss://127.0.0.1:${port}/ws`, 'Hello!', 'Echo: Hello!', { ca: readFileSync(path.join(dir, 'src/keys/ca.crt')) }),
  'control-message': async (port) => {
    const { socket } = await open(`ws://127.0.0.1:${port}/ws`);
    const pong = new Promise<string>((resolve) => socket.once('pong', (data) => resolve(String(data))));
    socket.ping('Hello!');
    expect(await within(pong, 'a pong').finally(() => socket.close())).toBe('Hello!');
  },
  'connection-creation': async (port, started) => {
    const httpPort = (await started.waitFor(/started HTTP listener \S+:(\d+)/, 10000))[1];
    const { socket, first } = await open(`ws://127.0.0.1:${port}/ws`);
    try {
      const response = await fetch(`http://127.0.0.1:${httpPort}/broadcaster/broadcast`, { method: 'POST', body: 'Hello!' });
      expect(await response.text()).toBe('OK');
      expect(await within(first, 'the broadcast')).toBe('Hello!');
    } finally {
      socket.close();
    }
  },
  'sub-protocol': async (port) => {
    const { socket } = await open(`ws://127.0.0.1:${port}/ws`, ['xml', 'json']);
    socket.close();
    expect(socket.protocol).toBe('json');
  },
};

let work: string;
const tarballs: Record<string, string> = {};

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'duet-scaffold-'));
  const packs = path.join(work, 'packs');
  mkdirSync(packs);
  // What npm publishes: @duet/cli's prepack builds it and writes its templates/.
  await mustRun(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/websocket', 'packages/redis'], root, 60000);
  // @duet/contract comes along: @duet/websocket depends on it.
  const workspaces = ['@duet/contract', '@duet/websocket', '@duet/cli', 'create-duet', ...(existsSync(path.join(root, 'packages/redis')) ? ['@duet/redis'] : [])];
  await mustRun(npm, ['pack', ...workspaces.flatMap((name) => ['-w', name]), '--pack-destination', packs, '--loglevel=error'], root, 120000);
  for (const name of workspaces) {
    const file = readdirSync(packs).find((candidate) => candidate.startsWith(`${name.replace('@', '').replace('/', '-')}-`))!;
    tarballs[name] = `file:${path.join(packs, file)}`;
  }
  // The CLI as `npx duet` / `npm create duet` gets it: installed from its tarball.
  const tool = path.join(work, 'tool');
  writeProject(tool, { name: 'tool', private: true, dependencies: { '@duet/cli': '', 'create-duet': '' } });
  await mustRun(npm, ['install', ...quiet], tool, 120000);
}, 240000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a bin of the installed tool. */
function tool(bin: string, ...args: string[]): Promise<unknown> {
  return mustRun(process.execPath, [path.join(work, 'tool/node_modules/.bin', bin), ...args], work, 20000);
}

/** Writes `manifest` with every `@duet/*` and create-duet dependency pointing at its tarball. */
function writeProject(dir: string, manifest: { dependencies: Record<string, string> } & Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  for (const name of Object.keys(manifest.dependencies)) {
    if (tarballs[name] !== undefined) manifest.dependencies[name] = tarballs[name];
  }
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ ...manifest, overrides: tarballs }, null, 2)}\n`);
}

describe('the packed CLI', () => {
  it('makes the echo project in an empty folder through create-duet, with no --sample', async () => {
    mkdirSync(path.join(work, 'apps/echo'), { recursive: true });
    await tool('create-duet', 'apps/echo');
    expect(readFileSync(path.join(work, 'apps/echo/src/main.ts'), 'utf8')).toBe(readFileSync(path.join(root, 'samples/echo/main.ts'), 'utf8'));
  });

  it('carries every sample of the repository and scaffolds each with its test, from its templates', async () => {
    expect(existsSync(path.join(work, 'tool/node_modules/@duet/cli/templates/catalogue.json'))).toBe(true);
    const listed = (await tool('duet', 'samples')) as { stdout: string };
    expect(listed.stdout.trimEnd().split('\n').map((line) => line.split(' ')[0])).toEqual(sampleNames);
    for (const name of sampleNames.filter((candidate) => candidate !== 'echo')) {
      await tool('duet', 'new', `apps/${name}`, '--sample', name);
      expect(existsSync(path.join(work, 'apps', name, 'test', `${name}.test.ts`))).toBe(true);
    }
  }, 60000);
});

describe.each(fullPath)('a project made from the %s sample', (name) => {
  const dir = () => path.join(work, 'apps', name);

  it('installs against the packed @duet packages', async () => {
    writeProject(dir(), JSON.parse(readFileSync(path.join(dir(), 'package.json'), 'utf8')));
    await mustRun(npm, ['install', ...quiet], dir(), 180000);
  }, 200000);

  it('builds with tsc', async () => {
    await mustRun(npm, ['run', 'build'], dir(), 60000);
    expect(existsSync(path.join(dir(), 'dist/main.js'))).toBe(true);
  }, 70000);

  it('passes its own test', async () => {
    const result = await mustRun(npm, ['test'], dir(), 120000);
    expect(result.stderr).toMatch(/Tests: +1 passed, 1 total/);
  }, 130000);

  const check = startChecks[name];
  (check === undefined ? it.skip : it)('starts with npm start and answers a client', async () => {
    const started = new Started(npm, ['start'], dir(), cleanEnv({ PORT: '0', BROADCASTER_PORT: '0' }));
    try {
      const match = await started.waitFor(/listener \S+:(\d+)|listening on ws:\/\/localhost:(\d+)/, 30000);
      await check(Number(match[1] ?? match[2]), started, dir());
    } finally {
      await started.stop();
    }
  }, 60000);
});

async function reply(url: string, send: string | undefined, expected: string | RegExp, options: WebSocket.ClientOptions = {}): Promise<void> {
  const { socket, first } = await open(url, [], options);
  try {
    if (send !== undefined) socket.send(send);
    const text = await within(first, `a reply from ${url}`);
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  } finally {
    socket.close();
  }
}

/** An open WebSocket and its first message, listened for from the start: it may come with the handshake. */
async function open(url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<{ socket: WebSocket; first: Promise<string> }> {
  const socket = new WebSocket(url, protocols, options);
  const first = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  await within(
    new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    }),
    `${url} to open`,
  );
  return { socket, first };
}

function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
