// Headless Chromium for the @duet/client browser tests: the Debian package (`scripts/test-peers.sh`
// installs it; playwright-core only drives it), a page served on 127.0.0.1 beside the client's
// browser bundle (dist/browser/duet-client.js, which the jest global setup builds), and the
// teardown of both through `cleanup()`.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Page, chromium } from 'playwright-core';
import { onCleanup } from './helpers';

export const CHROMIUM = '/usr/bin/chromium';
export const BUNDLE = path.join(__dirname, '..', 'dist', 'browser', 'duet-client.js');
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

/** `describe` when Chromium is installed, else `describe.skip` with a warning that says why. */
export function describeWithBrowser(what: string): jest.Describe {
  if (existsSync(CHROMIUM)) return describe;
  console.warn(`SKIPPING the ${what} browser test: ${CHROMIUM} is not installed (Debian package "chromium").`);
  return describe.skip;
}

/**
 * Serves `html` at `/` and the client bundle at `/duet-client.js`, opens it in a fresh Chromium
 * profile, and returns the tab with the errors its scripts threw. Everything closes at `cleanup()`.
 */
export async function openPage(html: string): Promise<{ tab: Page; pageErrors: string[] }> {
  const bundle = readFileSync(BUNDLE);
  const http = createServer((request, response) => {
    if (request.url === '/duet-client.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => http.close(() => resolve())));
  const httpPort = (http.address() as { port: number }).port;

  const profile = mkdtempSync(path.join(tmpdir(), 'duet-client-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30000 });
  onCleanup(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const tab = await context.newPage();
  const pageErrors: string[] = [];
  tab.on('pageerror', (error) => pageErrors.push(error.message));
  await tab.goto(`http://127.0.0.1:${httpPort}/`);
  return { tab, pageErrors };
}
