import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { generateAsyncApi, toYaml } from '@duet/websocket';
import { SampleProcess, ensureBuilt } from '../sample-process';
import { MarketFeedService, Subscribe, asyncApiInfo } from './main';

const TICK_INTERVAL_MS = 20;

/** A client that keeps every message, parsed, and waits for one that matches. */
class FeedClient {
  readonly received: Record<string, unknown>[] = [];

  private constructor(readonly socket: WebSocket, private readonly sampleOutput: () => string) {
    socket.on('message', (data) => this.received.push(JSON.parse(data.toString())));
  }

  static connect(url: string, sampleOutput: () => string): Promise<FeedClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new FeedClient(socket, sampleOutput)));
      socket.once('error', reject);
    });
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  async until(what: string, condition: (messages: Record<string, unknown>[]) => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition(this.received)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received)}; sample printed: ${this.sampleOutput()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Waits for the reply carrying `reqid` whose event is not a ticker update. */
  async reply(reqid: number): Promise<Record<string, unknown>> {
    const isReply = (message: Record<string, unknown>) => message.reqid === reqid && message.event !== 'ticker';
    await this.until(`the reply to reqid ${reqid}`, (messages) => messages.some(isReply));
    return this.received.find(isReply)!;
  }

  tickers(reqid: number): Record<string, unknown>[] {
    return this.received.filter((message) => message.event === 'ticker' && message.reqid === reqid);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sample: market-feed', () => {
  let sample: SampleProcess;
  let client: FeedClient;

  beforeAll(async () => {
    ensureBuilt();
    sample = new SampleProcess('market-feed', { PORT: '0', TICK_INTERVAL_MS: String(TICK_INTERVAL_MS) });
    const port = await sample.port();
    client = await FeedClient.connect(`ws://127.0.0.1:${port}/ws`, () => sample.output);
  }, 30000);
  afterAll(async () => {
    client?.socket.close();
    await sample?.stop();
  });

  it('streams ticker updates carrying the reqid, and stops them on unsubscribe', async () => {
    const subscription = { name: 'ticker' };
    client.send({ event: 'subscribe', reqid: 7, pair: ['XBT/USD', 'ETH/USD'], subscription });
    expect(await client.reply(7)).toEqual({
      event: 'subscriptionStatus',
      status: 'subscribed',
      pair: ['XBT/USD', 'ETH/USD'],
      subscription,
      reqid: 7,
    });
    await client.until('three rounds of tickers', () => client.tickers(7).length >= 6);
    const first = client.tickers(7).slice(0, 4);
    expect(first.map(({ pair, seq }) => [pair, seq])).toEqual([['XBT/USD', 1], ['ETH/USD', 1], ['XBT/USD', 2], ['ETH/USD', 2]]);
    for (const ticker of first) {
      expect(ticker).toEqual({ event: 'ticker', pair: ticker.pair, seq: ticker.seq, bid: expect.any(Number), ask: expect.any(Number), last: expect.any(Number), reqid: 7 });
      expect(ticker.bid as number).toBeLessThan(ticker.ask as number);
    }

    client.send({ event: 'unsubscribe', reqid: 8, pair: ['XBT/USD'], subscription });
    expect(await client.reply(8)).toEqual({ event: 'subscriptionStatus', status: 'unsubscribed', pair: ['XBT/USD'], subscription, reqid: 8 });
    const xbtCount = client.tickers(7).filter((ticker) => ticker.pair === 'XBT/USD').length;
    const ethCount = client.tickers(7).filter((ticker) => ticker.pair === 'ETH/USD').length;
    await client.until('ETH/USD to go on alone', () => client.tickers(7).filter((ticker) => ticker.pair === 'ETH/USD').length >= ethCount + 2);
    expect(client.tickers(7).filter((ticker) => ticker.pair === 'XBT/USD')).toHaveLength(xbtCount);

    client.send({ event: 'unsubscribe', reqid: 9, pair: ['ETH/USD'], subscription });
    expect(await client.reply(9)).toMatchObject({ status: 'unsubscribed', pair: ['ETH/USD'] });
    const total = client.tickers(7).length;
    await pause(TICK_INTERVAL_MS * 5);
    expect(client.tickers(7)).toHaveLength(total);

    client.send({ event: 'unsubscribe', reqid: 10, pair: ['ETH/USD'], subscription });
    expect(await client.reply(10)).toMatchObject({ status: 'error', errorMessage: 'Subscription Not Found' });
  });

  it('answers a ping with a pong carrying its reqid', async () => {
    client.send({ event: 'ping', reqid: 11 });
    expect(await client.reply(11)).toEqual({ event: 'pong', reqid: 11 });
  });

  it("answers a bad subscribe with zod's own issue messages, and an unknown event with an error", async () => {
    const bad = { event: 'subscribe', reqid: 12, pair: [], subscription: { name: 'book' } };
    client.send(bad);
    const expected = Subscribe.safeParse(bad).error!.issues.map(({ message, path }) => ({ message, path }));
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(await client.reply(12)).toEqual({ event: 'error', message: "The 'subscribe' message is not valid.", issues: expected, reqid: 12 });

    client.send({ event: 'trade', reqid: 13 });
    expect(await client.reply(13)).toEqual({
      event: 'error',
      message: "No handler for a message whose 'event' is 'trade'.",
      issues: [{ message: "Unknown event: 'trade'", path: ['event'] }],
      reqid: 13,
    });
  });
});

describe('sample: market-feed AsyncAPI document', () => {
  it('is the committed asyncapi.yaml, regenerated from the decorators', () => {
    const committedFile = path.join(__dirname, 'asyncapi.yaml');
    const committed = readFileSync(committedFile, 'utf8');
    const generated = toYaml(generateAsyncApi([MarketFeedService], asyncApiInfo));
    if (generated !== committed) {
      const generatedLines = generated.split('\n');
      const line = committed.split('\n').findIndex((text, index) => text !== generatedLines[index]);
      throw new Error(
        `samples/market-feed/asyncapi.yaml is out of date (first difference at line ${line + 1}: ` +
          `${JSON.stringify(generatedLines[line])}): regenerate it with \`npm run asyncapi:samples\``,
      );
    }
  });
});
