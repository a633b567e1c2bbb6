// permessage-deflate with peers no one in this project wrote: python3-websockets (which offers
// it by default) and headless Chromium's own WebSocket both agree it with a compressing
// service and get 1,000 messages of mixed sizes echoed back byte for byte.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Caller, OnBinary, OnText, WebSocketService } from '@duet/websocket';
import { cleanup, startServices } from '../helpers';

const PYTHON = '/usr/bin/python3';
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

@WebSocketService({ path: '/echo', compression: true, maxFrameSize: 1 << 20 })
class CompressingEchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

afterEach(cleanup);

describe('permessage-deflate with other peers', () => {
  it('agrees it with python3-websockets and echoes 1,000 mixed-size messages byte for byte', async () => {
    const { url } = await startServices([CompressingEchoService]);
    const output = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [path.join(__dirname, 'python-deflate-client.py'), url('/echo')], { timeout: 60000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`python client failed: ${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    // python-websockets offers `permessage-deflate; client_max_window_bits`: answered as offered, no window named.
    expect(output).toBe('extensions permessage-deflate\nechoed 1000\n');
  }, 70000);

  const itWithBrowser = existsSync(CHROMIUM) ? it : it.skip;

  itWithBrowser("agrees it with Chromium's WebSocket and echoes 1,000 mixed-size messages byte for byte", async () => {
    const { app } = await startServices([CompressingEchoService]);
    const http: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end(pageEchoing(app.port()));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const profile = mkdtempSync(path.join(tmpdir(), 'duet-deflate-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30000 });
    try {
      const tab = await context.newPage();
      await tab.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
      await tab.waitForFunction(() => (globalThis as any).result !== undefined, undefined, { timeout: 40000 });
      expect(await tab.evaluate(() => (globalThis as any).result)).toEqual({ extensions: 'permessage-deflate', same: 1000, failure: null });
    } finally {
      await context.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      rmSync(profile, { recursive: true, force: true });
    }
  }, 60000);
});

/** A page that echoes 1,000 messages (text with multi-byte characters, and binary) one after another. */
function pageEchoing(port: number): string {
  return `<!doctype html><title>deflate</title><script type="module">
let seed = 7692;
const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
const sizes = [0, 1, 10, 100, 1023, 1024, 1025, 4000, 20000, 60000];
const words = ['price', 'élan', '42', 'ticker', '€', '🙂', 'size'];
function message(index) {
  const size = sizes[next() % sizes.length];
  if (index % 3 === 2) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < Math.min(size, 2000); i++) bytes[i] = next() & 255;
    return bytes;
  }
  let text = '';
  while (text.length < size) text += words[next() % words.length] + ' ';
  return text.slice(0, size);
}
function same(a, b) {
  if (typeof a === 'string') return a === b;
  if (!(b instanceof ArrayBuffer) || b.byteLength !== a.length) return false;
  const view = new Uint8Array(b);
  for (let i = 0; i < a.length; i++) if (view[i] !== a[i]) return false;
  return true;
}
const ws = new WebSocket('ws://127.0.0.1:${port}/echo');
ws.binaryType = 'arraybuffer';
let index = 0, sameCount = 0, sent;
const send = () => { sent = message(index); ws.send(sent); };
ws.onopen = send;
ws.onmessage = (event) => {
  if (same(sent, event.data)) sameCount++;
  if (++index === 1000) { window.result = { extensions: ws.extensions, same: sameCount, failure: null }; ws.close(); }
  else send();
};
ws.onclose = (event) => { if (window.result === undefined) window.result = { extensions: ws.extensions, same: sameCount, failure: event.code }; };
</script>`;
}
