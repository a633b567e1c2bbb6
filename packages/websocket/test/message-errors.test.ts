// `@OnMessageError(key)`: what goes wrong in `@OnMessage(key)` (its schema refusing the message,
// or the handler throwing) is handled by the service, answered, and the connection stays open.
// `testDatabindingFailureWithCustomOnError` is ported from Ballerina's custom_remote_functions.bal.
import 'reflect-metadata';
import { Container } from 'inversify';
import { z } from 'zod';
import {
  Caller,
  MessageValidationError,
  OnError,
  OnMessage,
  OnMessageError,
  ServiceConfigError,
  WebSocketApplication,
  WebSocketService,
  webSocketModule,
} from '@duet/websocket';
import { closeTestApps, createTestApp } from '@duet/testing';

afterEach(closeTestApps);

const seen: { error: unknown; message: unknown }[] = [];
const atOnError: unknown[] = [];

@WebSocketService({ path: '/oncustomerror', dispatcherKey: 'event' })
class OnCustomErrorService {
  @OnMessage('Messages', { schema: z.object({ event: z.literal('Messages'), data: z.array(z.number()) }) })
  onMessages(): object {
    return { event: 'onMessages' };
  }

  @OnMessage()
  onMessage(): object {
    return { event: 'onMessage' };
  }

  @OnMessageError('Messages')
  onMessagesError(_caller: Caller, error: unknown, message: unknown): object {
    seen.push({ error, message });
    return { event: 'onCustomError' };
  }
}

@WebSocketService({ path: '/orders', dispatcherStreamId: 'id' })
class OrderService {
  @OnMessage('place')
  async place(_caller: Caller, message: { item: string }): Promise<object> {
    if (message.item === 'boom' || message.item === 'worse') throw new Error('out of stock');
    return { type: 'placed', item: message.item };
  }

  @OnMessageError('place')
  async placeFailed(_caller: Caller, error: Error, message: { item: string }): Promise<object> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (message.item === 'worse') throw new Error('the error handler failed too');
    return { type: 'place-failed', reason: error.message };
  }

  @OnMessage('cancel')
  cancel(): never {
    throw new Error('cancel has no error handler');
  }

  @OnError()
  onError(_caller: Caller, error: unknown): void {
    atOnError.push(error);
  }
}

@WebSocketService({ path: '/orphan' })
class OrphanErrorHandlerService {
  @OnMessage('place')
  place(): void {}

  @OnMessageError('cancel')
  cancelFailed(): void {}
}

beforeEach(() => {
  seen.length = 0;
  atOnError.length = 0;
});

describe('@OnMessageError', () => {
  it('testDatabindingFailureWithCustomOnError', async () => {
    const app = await createTestApp({ services: [OnCustomErrorService] });
    const client = await app.client('/oncustomerror');
    await client.writeMessage({ event: 'Messages' });
    expect(JSON.parse(await client.readTextMessage())).toEqual({ event: 'onCustomError' });
    await client.writeMessage({ event123: 'Messages' });
    expect(JSON.parse(await client.readTextMessage())).toEqual({ event: 'onMessage' });
    expect(seen).toHaveLength(1);
    expect(seen[0].error).toBeInstanceOf(MessageValidationError);
    expect(seen[0].message).toEqual({ event: 'Messages' });
  });

  it('answers a handler that throws with what the error handler returns (reply id kept), and the connection stays open', async () => {
    const app = await createTestApp({ services: [OrderService] });
    const client = await app.client('/orders');
    await client.writeMessage({ type: 'place', item: 'boom', id: 7 });
    expect(JSON.parse(await client.readTextMessage())).toEqual({ type: 'place-failed', reason: 'out of stock', id: 7 });
    await client.writeMessage({ type: 'place', item: 'tea', id: 8 });
    expect(JSON.parse(await client.readTextMessage())).toEqual({ type: 'placed', item: 'tea', id: 8 });
    expect(atOnError).toEqual([]);
  });

  it('an error handler that fails itself follows the usual rules: @OnError, then 1011', async () => {
    const app = await createTestApp({ services: [OrderService] });
    const client = await app.client('/orders');
    await client.writeMessage({ type: 'place', item: 'worse' });
    await expect(client.readMessage()).rejects.toMatchObject({ closeCode: 1011 });
    expect(atOnError.map((error) => (error as Error).message)).toEqual(['the error handler failed too']);
  });

  it('a handler of another key without one follows the usual rules', async () => {
    const app = await createTestApp({ services: [OrderService] });
    const client = await app.client('/orders');
    await client.writeMessage({ type: 'cancel' });
    await expect(client.readMessage()).rejects.toMatchObject({ closeCode: 1011 });
    expect(atOnError.map((error) => (error as Error).message)).toEqual(['cancel has no error handler']);
  });

  it('for a key the service does not handle fails start with a ServiceConfigError', async () => {
    const container = new Container();
    container.load(webSocketModule({ listeners: { default: { port: 0, host: '127.0.0.1' } }, services: [OrphanErrorHandlerService] }));
    await expect(WebSocketApplication.start(container)).rejects.toThrow(ServiceConfigError);
    await expect(WebSocketApplication.start(container)).rejects.toThrow(/@OnMessageError\('cancel'\) but the service has no @OnMessage\('cancel'\)/);
  });
});
