// dist/browser/duet-client.js as a page uses it: headless Chromium loads it with
// <script type="module"> from a page served on 127.0.0.1, makes a typed request, and keeps going
// across a server restart. The file itself must be one module that imports nothing from Node.
// Chromium is the Debian package (`.ci/run` installs it); playwright-core only drives it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Caller, OnMessage, WebSocketService } from '@duet/websocket';
import { BUNDLE, describeWithBrowser, openPage } from './chromium';
import { cleanup, startApp, stopApp } from './helpers';

const Say = z.object({ text: z.string() });

@WebSocketService({ path: '/chat/:room', dispatcherStreamId: 'id' })
class ChatService {
  @OnMessage('say', { schema: Say })
  onSay(caller: Caller, message: z.infer<typeof Say>) {
    return { text: message.text, room: caller.params.room };
  }
}

/** The page: its own tiny Standard Schema (a page has no zod), the contract, one client. */
function page(wsPort: number): string {
  return `<!doctype html><title>duet-client</title><script type="module">
import { createClient, defineContract } from '/duet-client.js';
const any = { '~standard': { version: 1, vendor: 'page', validate: (value) => ({ value }) } };
const chat = defineContract({ path: '/chat/:room', requests: { say: { message: any, reply: any } } });
const client = createClient(chat, 'ws://127.0.0.1:${wsPort}', { params: { room: 'chromium' }, reconnect: { initialDelay: 0.05, maxDelay: 0.2 } });
window.states = [];
client.onStateChange((state) => window.states.push(state));
window.client = client;
</script>`;
}

describeWithBrowser('@duet/client')('@duet/client in a browser (headless Chromium)', () => {
  afterEach(cleanup);

  it('is one ES module with no import and no Node built-in in it', () => {
    const code = readFileSync(BUNDLE, 'utf8');
    expect(code).not.toMatch(/^\s*import[\s{*]/m);
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toMatch(/['"`]node:/);
    expect(code).not.toMatch(/from\s*['"]ws['"]/);
    expect(code).not.toMatch(/\b(Buffer|process)\./);
    expect(code).toMatch(/export\s*{[^}]*\bcreateClient\b[^}]*}/);
  });

  it('makes a typed request from a page and carries on after the server restarts', async () => {
    const first = await startApp([ChatService]);
    const { tab, pageErrors } = await openPage(page(first.port));
    await tab.waitForFunction(() => (globalThis as any).client?.state === 'open', undefined, { timeout: 10000 });

    const reply = await tab.evaluate(() => (globalThis as any).client.request('say', { text: 'from chromium' }));
    expect(reply).toEqual({ text: 'from chromium', room: 'chromium' });

    await stopApp(first.app);
    await tab.waitForFunction(() => (globalThis as any).client.state === 'reconnecting', undefined, { timeout: 10000 });
    // Sent while the server is down: queued, then sent once the page is back.
    const queued = tab.evaluate(() => (globalThis as any).client.request('say', { text: 'while down' }));
    await startApp([ChatService], first.port);
    expect(await queued).toEqual({ text: 'while down', room: 'chromium' });
    const states: string[] = await tab.evaluate(() => (globalThis as any).states);
    expect(states[0]).toBe('open');
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('open');
    expect(pageErrors).toEqual([]);
    await tab.evaluate(() => (globalThis as any).client.close());
  }, 60000);
});
