// What a late reader of `caller.request` gets once its connection keeps only the packed head
// (request-head.ts), whose lines clients send alike are kept once per process (head-shapes.ts):
// each connection its own key, cookie and values, in the order the client's head gave them,
// also when more kinds of heads arrive than the process keeps shapes for.
import { Caller, OnText, OnUpgrade, UpgradeRequest, WebSocketService } from '@duet/websocket';
import { TestClient } from '../helpers';
import { startApp, stopAll } from './engine-helpers';

afterEach(stopAll);

/** Reads the headers only when asked, long after the handshake: from the packed head. */
@WebSocketService({ path: '/late' })
class LateHeadersService {
  @OnText()
  onText(caller: Caller): string {
    return JSON.stringify(Object.entries(caller.request.headers));
  }
}

/** Reads the headers during the handshake, as the engine gave them (never packed), then late too. */
const early: [string, string][][] = [];
@WebSocketService({ path: '/early' })
class EarlyHeadersService {
  @OnUpgrade()
  onUpgrade(request: UpgradeRequest): void {
    early.push(Object.entries(request.headers) as [string, string][]);
  }

  @OnText()
  onText(): string {
    return '[]';
  }
}

async function lateHeaders(url: string, headers: Record<string, string>): Promise<[string, string][]> {
  const client = await TestClient.connect(url, undefined, { headers });
  client.socket.send('headers?');
  const entries = JSON.parse(await client.nextText()) as [string, string][];
  client.socket.close();
  return entries;
}

describe('a packed upgrade head read late', () => {
  it('gives clients that differ in key, cookie and one header each their own, in the order received', async () => {
    const { url } = await startApp([LateHeadersService, EarlyHeadersService]);
    const reads = await Promise.all(
      [1, 2, 3].map((n) => lateHeaders(url('/late'), { 'X-Client': `same for all`, Cookie: `id=${n}`, 'X-Forwarded-For': `10.0.0.${n}` })),
    );
    const keys = new Set<string>();
    reads.forEach((entries, at) => {
      const headers = Object.fromEntries(entries);
      expect(headers.cookie).toBe(`id=${at + 1}`);
      expect(headers['x-forwarded-for']).toBe(`10.0.0.${at + 1}`);
      expect(headers['x-client']).toBe('same for all');
      keys.add(headers['sec-websocket-key']);
      expect(entries.map(([name]) => name)).toEqual(reads[0].map(([name]) => name));
    });
    expect(keys.size).toBe(3);
    // The names in the order the engine gave them at the handshake.
    await lateHeaders(url('/early'), { 'X-Client': 'same for all', Cookie: 'id=4', 'X-Forwarded-For': '10.0.0.4' });
    expect(reads[0].map(([name]) => name)).toEqual(early[0].map(([name]) => name));
  });

  it('gives each client its own headers when more kinds of heads come than the process keeps shapes for', async () => {
    const { url } = await startApp([LateHeadersService]);
    for (let batch = 0; batch < 6; batch++) {
      const reads = await Promise.all(
        Array.from({ length: 50 }, (_, at) => `agent ${batch * 50 + at}`).map(async (agent) => [agent, await lateHeaders(url('/late'), { 'User-Agent': agent })] as const),
      );
      for (const [agent, entries] of reads) expect(Object.fromEntries(entries)['user-agent']).toBe(agent);
    }
  });
});
