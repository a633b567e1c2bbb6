// A resumable session in a browser: headless Chromium runs the client bundle with `resume: true`
// against a service with `resume`, through a TCP proxy (helpers.ts) that the test cuts once and
// blackholes once while a numbered stream of events flows. The page must show every number once,
// in order; the service must see one session (@OnOpen once, no @OnClose until the page closes).
import { z } from 'zod';
import { Caller, OnClose, OnDisconnect, OnMessage, OnOpen, OnResume, WebSocketService } from '@duet/websocket';
import { defineContract } from '@duet/client';
import { describeWithBrowser, openPage } from './chromium';
import { cleanup, cuttableProxy, eventually, pause, startApp } from './helpers';

afterEach(cleanup);

const ticks = defineContract({
  path: '/ticks',
  messages: { start: { message: z.object({ count: z.number() }) } },
  events: { tick: z.object({ n: z.number() }) },
});

const COUNT = 600;

/** What the service saw. */
const seen = { opens: 0, closes: [] as [number, string][], resumes: 0, disconnects: [] as [number, string][], emitted: 0 };

// keepAlive: the page's serverTimeout must hear from a quiet service, and take a blackholed link for dead.
@WebSocketService({ contract: ticks, keepAlive: 0.2, resume: { window: 10, maxBufferedMessages: 1000 } })
class TickService {
  @OnOpen() onOpen() {
    seen.opens++;
  }

  @OnClose() onClose(_caller: Caller, code: number, reason: string) {
    seen.closes.push([code, reason]);
  }

  @OnResume() onResume() {
    seen.resumes++;
  }

  @OnDisconnect() onDisconnect(_caller: Caller, code: number, reason: string) {
    seen.disconnects.push([code, reason]);
  }

  // 3 events every 10 ms, numbered from 1: about two seconds of stream, so the test can break
  // the link twice while it flows; events written while the page is away wait in the session.
  @OnMessage('start') onStart(caller: Caller<typeof ticks>, { count }: { count: number }) {
    const timer = setInterval(() => {
      for (let i = 0; i < 3 && seen.emitted < count; i++) void caller.emit('tick', { n: ++seen.emitted }).catch(() => clearInterval(timer));
      if (seen.emitted >= count) clearInterval(timer);
    }, 10);
  }
}

/** The page: a schema that accepts anything (a page has no zod), the contract, one resumable client, and the list of ticks it shows. */
function page(proxyPort: number): string {
  return `<!doctype html><title>duet-client resume</title><ol id="ticks"></ol><script type="module">
import { createClient, defineContract } from '/duet-client.js';
const any = { '~standard': { version: 1, vendor: 'page', validate: (value) => ({ value }) } };
const ticks = defineContract({ path: '/ticks', messages: { start: { message: any } }, events: { tick: any } });
const client = createClient(ticks, 'ws://127.0.0.1:${proxyPort}', {
  resume: true,
  serverTimeout: 0.6,
  reconnect: { initialDelay: 0.02, maxDelay: 0.05, jitter: 0 },
});
window.received = [];
window.resumes = [];
const list = document.getElementById('ticks');
client.on('tick', ({ n }) => {
  window.received.push(n);
  list.appendChild(document.createElement('li')).textContent = String(n);
});
client.onResume((result) => window.resumes.push(result));
window.client = client;
</script>`;
}

describeWithBrowser('@duet/client resume')('a resumable client in a browser (headless Chromium)', () => {
  it('keeps its session across a proxy cut and a blackhole, and shows every message once and in order', async () => {
    Object.assign(seen, { opens: 0, closes: [], resumes: 0, disconnects: [], emitted: 0 });
    const { port } = await startApp([TickService]);
    const proxy = await cuttableProxy(port);
    const { tab, pageErrors } = await openPage(page(proxy.port));
    const inPage = <T>(fn: () => T): Promise<T> => tab.evaluate(fn);
    await tab.waitForFunction(() => (globalThis as any).client?.state === 'open', undefined, { timeout: 10000 });
    const received = () => inPage(() => (globalThis as any).received.length as number);
    const resumed = () => inPage(() => (globalThis as any).resumes.length as number);
    // What a failed wait reports: where the page had got to.
    const pageState = () =>
      inPage(() => {
        const { received: ticks, resumes, client } = globalThis as any;
        return JSON.stringify({ ticks: ticks.length, last: ticks.slice(-5), resumes, state: client.state });
      });
    const waitIn = async (condition: () => Promise<boolean>, ms: number, what: string) => {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; the page: ${await pageState()}`);
        await pause(20);
      }
    };

    await tab.evaluate((count) => (globalThis as any).client.send('start', { count }), COUNT);
    await waitIn(async () => (await received()) >= 100, 5000, 'the first 100 ticks');
    proxy.cut();
    await waitIn(async () => (await resumed()) === 1 && (await received()) >= 250, 5000, 'a resume and 250 ticks');
    expect(seen.emitted).toBeLessThan(COUNT); // the stream still flows: the blackhole falls inside it
    proxy.blackhole();
    await waitIn(async () => (await received()) >= COUNT, 10000, `all ${COUNT} ticks`);
    await pause(300); // a duplicate would arrive now

    // What the page shows: one list item per tick.
    const shown = await tab.locator('#ticks li').allTextContents();
    expect(shown).toEqual(Array.from({ length: COUNT }, (_, i) => String(i + 1)));
    expect(await inPage(() => (globalThis as any).resumes)).toEqual([{ resumed: true }, { resumed: true }]);
    expect(proxy.accepted()).toBe(3);
    expect(seen).toMatchObject({ opens: 1, closes: [], resumes: 2 });
    // The cut closed the socket under the server; the blackholed one was still held when the page came back.
    expect(seen.disconnects).toEqual([
      [1006, expect.any(String)],
      [1006, 'replaced by a resumed connection'],
    ]);

    await inPage(() => (globalThis as any).client.close());
    await eventually(() => seen.closes.length === 1, 3000, '@OnClose');
    expect(seen.closes).toEqual([[1000, expect.any(String)]]);
    expect(seen.opens).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 60000);
});
