// The chat demo as people use it: two headless Chromium pages load public/index.html from the
// sample process, join one room through the form, and talk. The screenshot of both pages is
// kept as a test artifact (test-artifacts/chat-browser.png at the repository root).
// Chromium is the Debian package (`.ci/run` installs it); playwright-core only drives it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { SampleProcess, ensureBuilt } from '../sample-process';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACT = path.join(__dirname, '..', '..', 'test-artifacts', 'chat-browser.png');
// The machine has no network: nothing in the browser may try to reach out on its own.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const ROOM = 'browsers';
const LOST = 'connection lost, reconnecting… (messages you send now go out once it is back)';

const missingBrowser = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is not installed (Debian package "chromium"; .ci/run installs it)`;
if (missingBrowser !== undefined) {
  console.warn(`SKIPPING the chat browser test: ${missingBrowser}.`);
}
const describeWithBrowser = missingBrowser === undefined ? describe : describe.skip;

/** Opens the demo page and joins `ROOM` as `name` through the page's own form. */
async function joinAs(context: BrowserContext, port: number, name: string): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width: 560, height: 360 });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill('#name', name);
  await page.fill('#room', ROOM);
  await page.click('#join button[type=submit]');
  await page.locator('#status').getByText(`in #${ROOM} as ${name}`, { exact: true }).waitFor();
  return page;
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#sendButton');
}

function waitForLine(page: Page, line: string): Promise<void> {
  return page.locator('#log li').getByText(line, { exact: true }).first().waitFor();
}

/** Every line of the page's log, joins and messages alike. */
function logLines(page: Page): Promise<string[]> {
  return page.locator('#log li').allTextContents();
}

/** Both pages side by side in one image, drawn by the browser itself. */
async function screenshotSideBySide(context: BrowserContext, pages: { label: string; page: Page }[]): Promise<Buffer> {
  const shots = await Promise.all(
    pages.map(async ({ label, page }) => ({ label, data: (await page.screenshot()).toString('base64') })),
  );
  const sheet = await context.newPage();
  await sheet.setViewportSize({ width: 1160, height: 420 });
  await sheet.setContent(
    `<body style="margin:0;display:flex;gap:20px;padding:10px;background:#ccc;font-family:sans-serif">${shots
      .map(
        ({ label, data }) =>
          `<figure style="margin:0"><figcaption>${label}</figcaption><img src="data:image/png;base64,${data}"></figure>`,
      )
      .join('')}</body>`,
  );
  const image = await sheet.screenshot();
  await sheet.close();
  return image;
}

describeWithBrowser('sample: chat in a browser (headless Chromium)', () => {
  let sample: SampleProcess | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;

  beforeAll(() => ensureBuilt());

  afterAll(async () => {
    await context?.close();
    await sample?.stop();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  it('shows a message sent on one page on the other page of the room, and on the sender’s own', async () => {
    sample = new SampleProcess('chat', { PORT: '0', REDIS_URL: '' });
    const port = await sample.port('HTTP\\+WS');
    profile = mkdtempSync(path.join(tmpdir(), 'duet-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      timeout: 30000,
    });

    const ann = await joinAs(context, port, 'ann');
    const bob = await joinAs(context, port, 'bob');
    await waitForLine(ann, `bob joined #${ROOM}`);

    await send(ann, 'Hello from ann');
    await waitForLine(bob, 'ann: Hello from ann');
    await send(bob, 'Hi ann, bob here');
    await waitForLine(ann, 'bob: Hi ann, bob here');
    await waitForLine(bob, 'bob: Hi ann, bob here');

    // The screenshot first, so that a failing check below still leaves it to look at.
    mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    rmSync(ARTIFACT, { force: true });
    const image = await screenshotSideBySide(context, [
      { label: 'page A (ann)', page: ann },
      { label: 'page B (bob)', page: bob },
    ]);
    writeFileSync(ARTIFACT, image);
    const saved = readFileSync(ARTIFACT);
    expect(saved.length).toBeGreaterThan(1000);
    expect(saved.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    // Exactly these lines: anything else the service sent (a stray reply) would show up too.
    const messages = ['ann: Hello from ann', 'bob: Hi ann, bob here'];
    expect(await logLines(ann)).toEqual([`ann joined #${ROOM}`, `bob joined #${ROOM}`, ...messages]);
    expect(await logLines(bob)).toEqual([`bob joined #${ROOM}`, ...messages]);

    // The server restarts on the same port (SIGTERM: Duet closes every connection with 1001).
    await sample.stop();
    await waitForLine(ann, LOST);
    await ann.locator('#status').getByText('connection lost, reconnecting…', { exact: true }).waitFor();
    // Typed while the server is away: queued by the client, sent once it is back.
    await send(ann, 'typed while the server was away');
    sample = new SampleProcess('chat', { PORT: String(port), REDIS_URL: '' });
    await sample.port('HTTP\\+WS');
    await waitForLine(ann, 'reconnected');
    await waitForLine(bob, 'reconnected');
    await ann.locator('#status').getByText(`in #${ROOM} as ann`, { exact: true }).waitFor();
    await waitForLine(ann, 'ann: typed while the server was away');
    // And the chat goes on between the two pages.
    await send(bob, 'bob, back after the restart');
    await waitForLine(ann, 'bob: bob, back after the restart');
    const after = await logLines(ann);
    expect(after.filter((line) => line === 'ann: typed while the server was away')).toHaveLength(1);
    expect(after.some((line) => line.startsWith('not sent'))).toBe(false);
  }, 60000);
});
