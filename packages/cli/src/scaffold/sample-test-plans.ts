// What the test of a scaffolded project checks, per sample: what it starts in the test process
// and the one real exchange it makes. A sample missing here gets the generic plan of
// sample-tests.ts (connect to its first service path, see the connection open).

/** How the generated `test/<sample>.test.ts` checks one sample. Code is TypeScript source. */
export interface SampleTestPlan {
  /** The test's sentence, e.g. `answers "Hello!" on /ws with "Hello!"`. */
  readonly title: string;
  /** Import lines besides `reflect-metadata` and `ws`. */
  readonly imports: readonly string[];
  /** Top-level declarations the test needs (a stand-in service, a port…). */
  readonly declarations?: string;
  /** The body of `beforeAll`: starts what the test talks to, sets `url` (`ws://host:port`) and `stop`. */
  readonly start: string;
  /** The body of the test. */
  readonly check: string;
  /** For the README: how to try the sample by hand once `npm start` runs. */
  readonly tryIt: string;
}

const SERVICE_IMPORTS = [
  "import { Container } from 'inversify';",
  "import { WebSocketApplication, webSocketModule } from '@duet/websocket';",
];

/** `value` as TypeScript source: strings single-quoted, objects with bare keys. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([key, field]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key)}: ${literal(field)}`);
    return `{ ${fields.join(', ')} }`;
  }
  return String(value);
}

/** `beforeAll` code that serves `services` on a free port of 127.0.0.1, `singletons` bound first. */
export function serviceStart(services: readonly string[], singletons: readonly string[] = []): string {
  return [
    'const container = new Container();',
    ...singletons.map((name) => `container.bind(${name}).toSelf().inSingletonScope();`),
    `container.load(webSocketModule({ port: 0, host: '127.0.0.1', services: [${services.join(', ')}] }));`,
    'const app = await WebSocketApplication.start(container);',
    'url = `ws://127.0.0.1:${app.port()}`;',
    'stop = () => app.stop();',
  ].join('\n');
}

/** Test code: connect to `path`, send `send` (if any), expect `expected` back (JSON compared as objects). */
function replyCheck(path: string, send: string | undefined, expected: string | object, options = ''): string {
  const received = typeof expected === 'string' ? 'await nextMessage(socket)' : 'JSON.parse(await nextMessage(socket))';
  const matcher = typeof expected === 'string' ? `toBe(${literal(expected)})` : `toMatchObject(${literal(expected)})`;
  return [
    `const socket = await open(\`\${url}${path}\`${options});`,
    'try {',
    ...(send === undefined ? [] : [`  socket.send(${literal(send)});`]),
    `  expect(${received}).${matcher};`,
    '} finally {',
    '  socket.close();',
    '}',
  ].join('\n');
}

/** A plan for a service answering one text message on `path` with `expected`. */
function replyPlan(module: string, services: readonly string[], path: string, send: string, expected: string | object): SampleTestPlan {
  const shown = typeof expected === 'string' ? expected : JSON.stringify(expected);
  return {
    title: `answers ${JSON.stringify(send)} on ${path} with ${JSON.stringify(shown)}`,
    imports: [...SERVICE_IMPORTS, `import { ${services.join(', ')} } from '../src/${module}';`],
    start: serviceStart(services),
    check: replyCheck(path, send, expected),
    tryIt: browserTry(path, send, shown),
  };
}

function browserTry(path: string, send: string, expected: string): string {
  return [
    'In a browser console:',
    '',
    '```js',
    `const ws = new WebSocket('ws://localhost:8080${path}');`,
    'ws.onmessage = (event) => console.log(event.data);',
    `ws.onopen = () => ws.send(${literal(send)});`,
    '```',
    '',
    `It logs \`${expected}\`.`,
  ].join('\n');
}

/** A service the client samples talk to in their test, as the data-message sample answers. */
const STAND_IN_ECHO = `/** Stands in for the data-message sample the client is written against. */
@WebSocketService({ path: '/ws' })
class EchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return \`Echo: \${text}\`;
  }
}`;
const STAND_IN_IMPORTS = [
  "import { Container } from 'inversify';",
  "import { Caller, OnText, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';",
];
const CLIENT_TRY = 'Start a service that answers `Echo: <text>` on ws://localhost:8080/ws first (`npx @duet/cli new echo-service --sample data-message`, then `npm start` there).';

/** The plans, by sample name. */
export const sampleTestPlans: Readonly<Record<string, SampleTestPlan>> = {
  echo: replyPlan('main', ['EchoService'], '/ws', 'Hello!', 'Hello!'),
  'data-message': replyPlan('main', ['WsService', 'WsEchoService'], '/ws/echo', 'Hello!', 'Echo: Hello!'),
  'connection-close': replyPlan('main', ['WsService'], '/ws', 'Hello!', 'Echo: Hello!'),
  'connection-error': replyPlan('main', ['WsService'], '/ws', 'Hello!', 'Echo: Hello!'),
  'market-feed': replyPlan('main', ['MarketFeedService'], '/ws', '{"event":"ping","reqid":7}', { event: 'pong', reqid: 7 }),
  'sub-protocol': {
    title: 'selects "json" for a client offering "xml" and "json"',
    imports: [...SERVICE_IMPORTS, "import { WsService } from '../src/main';"],
    start: serviceStart(['WsService']),
    check: "const socket = await open(`${url}/ws`, ['xml', 'json']);\ntry {\n  expect(socket.protocol).toBe('json');\n} finally {\n  socket.close();\n}",
    tryIt: "In a browser console, `new WebSocket('ws://localhost:8080/ws', ['xml', 'json'])`: the service prints `Negotiated sub-protocol: json`.",
  },
  'control-message': {
    title: 'answers a ping carrying "Hello!" with a pong carrying it back',
    imports: [...SERVICE_IMPORTS, "import { WsService } from '../src/main';"],
    start: serviceStart(['WsService']),
    check: [
      'const socket = await open(`${url}/ws`);',
      'try {',
      "  const pong = new Promise<Buffer>((resolve) => socket.once('pong', resolve));",
      "  socket.ping('Hello!');",
      "  expect(String(await within(pong, 'a pong'))).toBe('Hello!');",
      '} finally {',
      '  socket.close();',
      '}',
    ].join('\n'),
    tryIt: 'Ping it from any client that can send pings: the service logs `Ping received with data: <base64>` and answers with a pong.',
  },
  chat: {
    title: 'tells the lobby that ann joined it',
    imports: [...SERVICE_IMPORTS, "import { ChatService } from '../src/chat-service';"],
    start: serviceStart(['ChatService']),
    check: replyCheck('/chat/lobby?name=ann', undefined, { kind: 'joined', room: 'lobby', from: 'ann' }),
    tryIt: 'Open http://localhost:8080/ in two browser tabs, join the same room and talk.',
  },
  'auth-chat': {
    title: 'lets alice, holding a token with the "chat" scope, into the lobby and announces her',
    imports: [...SERVICE_IMPORTS, "import { ChatRoomService, Rooms, developmentToken } from '../src/main';"],
    start: serviceStart(['ChatRoomService'], ['Rooms']),
    check: [
      "const token = await developmentToken('alice');",
      replyCheck('/chat/lobby', undefined, '* alice joined lobby', ', [], { headers: { Authorization: `Bearer ${token}` } }'),
    ].join('\n'),
    tryIt: '`npm start` prints a `new WebSocket(…?access_token=…)` line with a development token: paste it in a browser console.',
  },
  'connection-creation': {
    title: 'sends the body of POST /broadcaster/broadcast to a connected client',
    imports: [...SERVICE_IMPORTS, "import type { AddressInfo } from 'node:net';", "import { Callers, WsService, startBroadcaster } from '../src/main';"],
    declarations: 'let broadcasterPort: number;',
    start: [
      serviceStart(['WsService'], ['Callers']),
      'const broadcaster = await startBroadcaster(container.get(Callers), 0);',
      'broadcasterPort = (broadcaster.address() as AddressInfo).port;',
      'stop = () => app.stop().then(() => new Promise((resolve) => broadcaster.close(resolve)));',
    ].join('\n'),
    check: [
      'const socket = await open(`${url}/ws`);',
      'try {',
      "  const response = await fetch(`http://127.0.0.1:${broadcasterPort}/broadcaster/broadcast`, { method: 'POST', body: 'Hello!' });",
      "  expect(await response.text()).toBe('OK');",
      "  expect(await nextMessage(socket)).toBe('Hello!');",
      '} finally {',
      '  socket.close();',
      '}',
    ].join('\n'),
    tryIt: 'Connect from browser tabs to ws://localhost:8080/ws, then `curl -d "Hello!" http://localhost:8081/broadcaster/broadcast` sends to all of them.',
  },
  'express-shared-port': {
    title: 'answers "Hello!" on /ws with "Echo: Hello!" on the port Express serves',
    imports: [
      ...SERVICE_IMPORTS,
      "import { createServer } from 'node:http';",
      "import type { AddressInfo } from 'node:net';",
      "import { EchoService, createApp } from '../src/main';",
    ],
    start: [
      'const server = createServer(createApp());',
      'const container = new Container();',
      'container.load(webSocketModule({ listeners: { default: { server } }, services: [EchoService] }));',
      'const app = await WebSocketApplication.start(container);',
      "await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));",
      'url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;',
      'stop = () => app.stop().then(() => new Promise((resolve) => server.close(resolve)));',
    ].join('\n'),
    check: replyCheck('/ws', 'Hello!', 'Echo: Hello!'),
    tryIt: 'Open http://localhost:8080/: the page talks to ws://localhost:8080/ws; http://localhost:8080/api/time is the REST route.',
  },
  'fetch-shared-port': {
    title: 'answers GET /api/time from the fetch app and "Hello!" on /ws with "Echo: Hello!", on one port',
    imports: [...SERVICE_IMPORTS, "import { EchoService, app as fetchApp } from '../src/main';"],
    start: [
      'const container = new Container();',
      "container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1', fetch: fetchApp } }, services: [EchoService] }));",
      'const app = await WebSocketApplication.start(container);',
      'url = `ws://127.0.0.1:${app.port()}`;',
      'stop = () => app.stop();',
    ].join('\n'),
    check: [
      "const response = await fetch(`${url.replace('ws:', 'http:')}/api/time`);",
      'expect(Date.parse((await response.json()).now)).not.toBeNaN();',
      replyCheck('/ws', 'Hello!', 'Echo: Hello!'),
    ].join('\n'),
    tryIt: 'Open http://localhost:8080/: the page (from the fetch app) talks to ws://localhost:8080/ws; http://localhost:8080/api/time is the REST route.',
  },
  secure: {
    title: 'answers "Hello!" over wss with "Echo: Hello!" to a client trusting the sample CA',
    imports: [
      ...SERVICE_IMPORTS,
      "import { execFileSync } from 'node:child_process';",
      "import { existsSync, readFileSync } from 'node:fs';",
      "import path from 'node:path';",
      "import { WsService } from '../src/main';",
    ],
    declarations: "// Key material as `npm start` makes it (./src/make-keys.sh, which needs openssl).\nconst keys = path.join(__dirname, '../src/keys');",
    start: [
      "if (!existsSync(path.join(keys, 'keystore.p12'))) execFileSync('bash', [path.join(__dirname, '../src/make-keys.sh')], { stdio: 'ignore' });",
      "const keyStore = { path: path.join(keys, 'keystore.p12'), password: process.env.KEY_STORE_PASSWORD ?? 'duet-sample' };",
      'const container = new Container();',
      "container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1', secureSocket: { key: { keyStore } } } }, services: [WsService] }));",
      'const app = await WebSocketApplication.start(container);',
      'url = `wss://127.0.0.1:${app.port()}`; // the certificate names 127.0.0.1 and localhost',
      'stop = () => app.stop();',
    ].join('\n'),
    check: replyCheck('/ws', 'Hello!', 'Echo: Hello!', ", [], { ca: readFileSync(path.join(keys, 'ca.crt')) }"),
    tryIt: 'In a second terminal, `npm start -- client` connects to wss://localhost:8443/ws, trusting the generated CA, and prints `Response: Echo: Hello!`.',
  },
  client: {
    title: 'prints "Response: Echo: Hello!" from a service that echoes',
    imports: [...STAND_IN_IMPORTS, "import { main } from '../src/main';"],
    declarations: STAND_IN_ECHO,
    start: serviceStart(['EchoService']),
    check: [
      "const log = jest.spyOn(console, 'log').mockImplementation(() => {});",
      'try {',
      '  await main(`${url}/ws`);',
      "  expect(log).toHaveBeenCalledWith('Response: Echo: Hello!');",
      '} finally {',
      '  log.mockRestore();',
      '}',
    ].join('\n'),
    tryIt: CLIENT_TRY,
  },
  'cli-client': {
    title: 'sends a line read from stdin and prints the reply, then exits 0 when stdin ends',
    imports: [...STAND_IN_IMPORTS, "import { spawn } from 'node:child_process';", "import path from 'node:path';", "import { once } from 'node:events';"],
    declarations: STAND_IN_ECHO,
    start: serviceStart(['EchoService']),
    check: [
      "const main = path.join(__dirname, '../src/main.ts');",
      "const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', main, `${url}/ws`], { stdio: ['pipe', 'pipe', 'inherit'] });",
      "let output = '';",
      "child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));",
      "const exited = once(child, 'exit');",
      'try {',
      "  child.stdin.end('Hello!\\n');",
      "  expect((await within(exited, 'the client to exit', 15000))[0]).toBe(0);",
      "  expect(output).toContain('< Echo: Hello!');",
      '} finally {',
      '  child.kill();',
      '}',
    ].join('\n'),
    tryIt: `\`npm start -- ws://localhost:8080/ws\`, then type lines. ${CLIENT_TRY}`,
  },
};
