// Typed messages: JSON chosen by its `type` field, checked by a schema, replies tagged with
// the request's `reqid`; a handler that returns an async iterable streams its items.
import 'reflect-metadata';
import { Container } from 'inversify';
import { z } from 'zod';
import {
  Caller, OnMessage, WebSocketApplication, WebSocketService, webSocketModule,
} from '@duet/websocket';

const Quote = z.object({ type: z.literal('quote'), pair: z.string().regex(/^[A-Z]{3}\/[A-Z]{3}$/) });
const Watch = Quote.extend({ type: z.literal('watch'), count: z.number().int().min(1).max(10) });

@WebSocketService({ path: '/prices', dispatcherStreamId: 'reqid', onUnmatched: 'error' })
export class PriceService {
  @OnMessage('quote', { schema: Quote })
  onQuote(caller: Caller, message: z.infer<typeof Quote>) {
    return { type: 'price', pair: message.pair, price: 101.5 };
  }

  @OnMessage('watch', { schema: Watch })
  async *onWatch(caller: Caller, message: z.infer<typeof Watch>) {
    for (let tick = 1; tick <= message.count; tick++) {
      yield { type: 'price', pair: message.pair, price: 100 + tick };
    }
  }
}

export async function start(port = 8080): Promise<WebSocketApplication> {
  const container = new Container();
  container.load(webSocketModule({ port, services: [PriceService] }));
  return WebSocketApplication.start(container);
}

if (require.main === module) {
  void start().then((app) => console.log(`[duet] started WS listener 0.0.0.0:${app.port()}`));
}
