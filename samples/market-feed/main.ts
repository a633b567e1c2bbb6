// A Kraken-style market feed on /ws: `subscribe` to the ticker of some pairs and get a stream
// of `ticker` messages carrying your `reqid`, `unsubscribe` to stop them, `ping` for a `pong`.
// Prices are a seeded random walk, so every run shows the same numbers. Its AsyncAPI document,
// asyncapi.yaml beside this file, is generated from the decorators (`npm run asyncapi:samples`).
//   PORT              listening port (default 8080; 0 picks a free one)
//   TICK_INTERVAL_MS  milliseconds between two rounds of ticker updates (default 200)
import 'reflect-metadata';
import { Container } from 'inversify';
import { z } from 'zod';
import {
  type AsyncApiInfo,
  Caller,
  OnMessage,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { PriceWalk } from './price-walk';

const tickInterval = Number(process.env.TICK_INTERVAL_MS ?? 200);

export const PAIRS = ['XBT/USD', 'XBT/EUR', 'ETH/USD', 'ETH/EUR', 'SOL/USD'] as const;
type Pair = (typeof PAIRS)[number];

const PairName = z.enum(PAIRS);
const ReqId = z.number().int().nonnegative().describe('Chosen by the client; replies carry it back.');
const TickerSubscription = z.object({ name: z.literal('ticker') });

export const Subscribe = z.object({
  event: z.literal('subscribe'),
  reqid: ReqId,
  pair: z.array(PairName).min(1),
  subscription: TickerSubscription,
});

export const Unsubscribe = z.object({
  event: z.literal('unsubscribe'),
  reqid: ReqId.optional(),
  pair: z.array(PairName).min(1),
  subscription: TickerSubscription,
});

export const Ping = z.object({ event: z.literal('ping'), reqid: ReqId.optional() });

const SubscriptionStatus = z.object({
  event: z.literal('subscriptionStatus'),
  status: z.enum(['subscribed', 'unsubscribed', 'error']),
  pair: z.array(PairName),
  subscription: TickerSubscription,
  errorMessage: z.string().optional(),
  reqid: ReqId.optional(),
});

const Ticker = z.object({
  event: z.literal('ticker'),
  pair: PairName,
  seq: z.number().int().positive().describe('Counts the rounds of this subscription, from 1.'),
  bid: z.number(),
  ask: z.number(),
  last: z.number(),
  reqid: ReqId,
});

const Pong = z.object({ event: z.literal('pong'), reqid: ReqId.optional() });

type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;
type TickerUpdate = Omit<z.infer<typeof Ticker>, 'reqid'>;

/** Title, version and servers of the generated AsyncAPI document (`duet asyncapi` reads them). */
export const asyncApiInfo: AsyncApiInfo = {
  title: 'Duet market feed',
  version: '1.0.0',
  description: 'A Kraken-style ticker feed: subscribe to pairs, receive streamed ticker updates, unsubscribe, ping.',
  servers: { local: { host: 'localhost:8080', protocol: 'ws', description: 'npm run sample -- market-feed' } },
};

@WebSocketService({ path: '/ws', dispatcherKey: 'event', dispatcherStreamId: 'reqid', onUnmatched: 'error' })
export class MarketFeedService {
  /** This connection's running streams: the subscribe reqid → the pairs it still sends. */
  private readonly streams = new Map<number, Set<Pair>>();

  @OnMessage('subscribe', {
    schema: Subscribe,
    reply: { schema: z.discriminatedUnion('event', [SubscriptionStatus, Ticker]) },
    summary: 'Streams the ticker of the pairs: a subscriptionStatus, then a ticker update per pair every round.',
  })
  onSubscribe(caller: Caller, message: z.infer<typeof Subscribe>): AsyncIterable<SubscriptionStatus | TickerUpdate> {
    const pairs = new Set(message.pair);
    this.remove(caller, message.pair); // a pair has one subscription: the newest
    this.streams.set(message.reqid, pairs);
    return this.ticker(message.reqid, pairs, message.subscription);
  }

  @OnMessage('unsubscribe', {
    schema: Unsubscribe,
    reply: { schema: SubscriptionStatus },
    summary: 'Stops the ticker of the pairs; a subscription left without pairs ends its stream.',
  })
  onUnsubscribe(caller: Caller, message: z.infer<typeof Unsubscribe>): SubscriptionStatus {
    const found = message.pair.filter((pair) => [...this.streams.values()].some((pairs) => pairs.has(pair)));
    if (found.length === 0) {
      const { pair, subscription } = message;
      return { event: 'subscriptionStatus', status: 'error', pair, subscription, errorMessage: 'Subscription Not Found' };
    }
    this.remove(caller, found);
    return { event: 'subscriptionStatus', status: 'unsubscribed', pair: found, subscription: message.subscription };
  }

  @OnMessage('ping', { schema: Ping, reply: { schema: Pong }, summary: 'Answers with a pong.' })
  onPing(): z.infer<typeof Pong> {
    return { event: 'pong' };
  }

  /** Takes the pairs out of the running streams; a stream left without pairs is stopped. */
  private remove(caller: Caller, pairs: readonly Pair[]): void {
    for (const [reqid, running] of this.streams) {
      for (const pair of pairs) running.delete(pair);
      if (running.size === 0) {
        this.streams.delete(reqid);
        caller.stopStream(reqid);
      }
    }
  }

  private async *ticker(
    reqid: number,
    pairs: Set<Pair>,
    subscription: z.infer<typeof TickerSubscription>,
  ): AsyncGenerator<SubscriptionStatus | TickerUpdate> {
    try {
      yield { event: 'subscriptionStatus', status: 'subscribed', pair: [...pairs], subscription };
      const walks = new Map([...pairs].map((pair) => [pair, new PriceWalk(pair)]));
      for (let seq = 1; pairs.size > 0; seq++) {
        await new Promise((resolve) => setTimeout(resolve, tickInterval));
        for (const pair of walks.keys()) {
          if (pairs.has(pair)) yield { event: 'ticker', pair, seq, ...walks.get(pair)!.step() };
        }
      }
    } finally {
      if (this.streams.get(reqid) === pairs) this.streams.delete(reqid);
    }
  }
}

async function main(): Promise<void> {
  const container = new Container();
  container.load(webSocketModule({ port: Number(process.env.PORT ?? 8080), services: [MarketFeedService] }));
  const app = await WebSocketApplication.start(container);
  console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`);
  const stop = () => void app.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
