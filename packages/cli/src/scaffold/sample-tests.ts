// Writes the test a scaffolded project starts with: the sample's service started in the test
// process on a free port, and one real exchange with a `ws` client (sample-test-plans.ts says
// which). A sample without a plan gets a generic one: its first service accepts a connection.
import type { SampleEntry } from '../samples/catalogue';
import { type SampleTestPlan, literal, sampleTestPlans, serviceStart } from './sample-test-plans';

const SERVICE = /@WebSocketService\(\s*\{\s*path:\s*['"]([^'"]+)['"][\s\S]*?\bexport\s+class\s+(\w+)/;

/** The plan for `sample`: its entry in the table, else the generic one built from its sources. */
export function testPlan(sample: SampleEntry, readSource: (file: string) => string): SampleTestPlan {
  return sampleTestPlans[sample.name] ?? genericPlan(sample, readSource);
}

/**
 * The generic plan: the first exported `@WebSocketService` class (main.ts first) served on a
 * free port, and a connection to its path (`:param` segments filled in) that opens.
 */
export function genericPlan(sample: SampleEntry, readSource: (file: string) => string): SampleTestPlan {
  const sources = sample.files.filter((file) => file.endsWith('.ts')).sort((a, b) => Number(b === 'main.ts') - Number(a === 'main.ts'));
  for (const file of sources) {
    const match = readSource(file).match(SERVICE);
    if (match === null) continue;
    const [, servicePath, className] = match;
    const path = servicePath.replace(/:[^/]+/g, 'test');
    return {
      title: `accepts a connection on ${path}`,
      imports: [
        "import { Container } from 'inversify';",
        "import { WebSocketApplication, webSocketModule } from '@duet/websocket';",
        `import { ${className} } from '../src/${file.replace(/\.ts$/, '')}';`,
      ],
      start: serviceStart([className]),
      check: `const socket = await open(\`\${url}${path}\`);\nexpect(socket.readyState).toBe(WebSocket.OPEN);\nsocket.close();`,
      tryIt: `Connect a WebSocket client to ws://localhost:8080${path}.`,
    };
  }
  return {
    title: 'loads its main module without starting anything',
    imports: [],
    start: '',
    check: "const main = await import('../src/main');\nexpect(Object.keys(main).length).toBeGreaterThan(0);",
    tryIt: 'Run it with `npm start`.',
  };
}

/** The source of `test/<sample>.test.ts` for `plan`. */
export function testSource(sample: SampleEntry, plan: SampleTestPlan): string {
  const indent = (code: string) => code.split('\n').map((line) => (line === '' ? line : `  ${line}`)).join('\n');
  return `// What \`npm test\` checks: the ${sample.name} sample ${plan.title}. What the test talks to
// runs in this process on a free port; the client is a plain \`ws\` socket.
import 'reflect-metadata';
import WebSocket from 'ws';
${plan.imports.join('\n')}
${plan.declarations === undefined ? '' : `\n${plan.declarations}\n`}
let url: string; // ws://host:port of what beforeAll started
let stop: () => Promise<unknown> = async () => undefined;

beforeAll(async () => {
${indent(plan.start)}
});

afterAll(() => stop());

it(${literal(plan.title)}, async () => {
${indent(plan.check)}
});

const inbox = new WeakMap<WebSocket, string[]>();

/** Opens a WebSocket to \`address\`; what it receives is kept for \`nextMessage\`. */
function open(address: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(address, protocols, options);
  const received: string[] = [];
  inbox.set(socket, received);
  socket.on('message', (data) => received.push(String(data)));
  const opened = new Promise<WebSocket>((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
  return within(opened, \`\${address} to open\`);
}

/** The next text \`socket\` received (the oldest not read yet). */
async function nextMessage(socket: WebSocket): Promise<string> {
  const received = inbox.get(socket)!;
  if (received.length === 0) await within(new Promise((resolve) => socket.once('message', resolve)), 'a message');
  return received.shift()!;
}

/** \`promise\`, or a failure naming what was awaited after \`ms\` milliseconds. */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(\`waited \${ms} ms for \${what}\`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
`;
}
