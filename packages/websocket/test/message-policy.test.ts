// Policy on each message: `scopes` checked against the connection's principal, and `rateLimit`
// token buckets per connection, principal or address — over real sockets on 127.0.0.1.
import { injectable } from 'inversify';
import {
  type Authenticator,
  AuthorizationError,
  Caller,
  ConnectionRegistry,
  OnBinary,
  OnError,
  OnMessage,
  OnText,
  type Principal,
  RateLimitError,
  ServiceConfigError,
  UpgradeRequest,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, pause, startServices } from './helpers';

afterEach(cleanup);

/** Accepts `x-user` with the comma-separated scopes of `x-scopes`. */
@injectable()
class HeaderAuthenticator implements Authenticator {
  readonly scheme = 'Test';
  authenticate(request: UpgradeRequest): Principal | undefined {
    const name = request.headers['x-user'];
    if (typeof name !== 'string') return undefined;
    const scopes = request.headers['x-scopes'];
    return { name, scopes: typeof scopes === 'string' && scopes !== '' ? scopes.split(',') : [] };
  }
}

const as = (user: string, scopes = '') => ({ headers: { 'x-user': user, 'x-scopes': scopes } });

/** What @OnError heard, by service. */
const heard: string[] = [];
beforeEach(() => {
  heard.length = 0;
});

@WebSocketService({ path: '/admin', auth: [HeaderAuthenticator] })
class AdminService {
  @OnMessage('delete', { scopes: ['admin', 'delete'] })
  delete(_caller: Caller, message: { id: number }) {
    return { type: 'deleted', id: message.id };
  }

  @OnMessage('read')
  read() {
    return { type: 'read' };
  }

  @OnError()
  onError(_caller: Caller, error: Error) {
    heard.push(`${error.name} ${(error as AuthorizationError).missingScopes?.join(',')}`);
  }
}

@WebSocketService({ path: '/shout', auth: [HeaderAuthenticator] })
class ShoutService {
  @OnText({ scopes: ['shout'] })
  onText(_caller: Caller, text: string) {
    return text.toUpperCase();
  }

  @OnError()
  onError(_caller: Caller, error: Error) {
    heard.push(error.name);
  }
}

/**
 * A service whose messages are limited by `rateLimit`: typed `count` messages, or (`text`) plain
 * text frames echoed — a service with `@OnText` sends every text frame there, not to `@OnMessage`.
 */
function limitedService(path: string, rateLimit: object, kind: 'typed' | 'text', auth = false) {
  @WebSocketService({ path, ...(auth ? { auth: [HeaderAuthenticator] } : {}) })
  class LimitedTyped {
    @OnMessage('count', { rateLimit: rateLimit as never })
    count(_caller: Caller, message: { n: number }) {
      return { type: 'counted', n: message.n };
    }

    @OnError()
    onError(_caller: Caller, error: Error) {
      heard.push(`${error.name} ${(error as RateLimitError).code}`);
    }
  }
  @WebSocketService({ path, ...(auth ? { auth: [HeaderAuthenticator] } : {}) })
  class LimitedText {
    @OnText({ rateLimit: rateLimit as never })
    onText(_caller: Caller, text: string) {
      return text;
    }

    @OnError()
    onError(_caller: Caller, error: Error) {
      heard.push(`${error.name} ${(error as RateLimitError).code}`);
    }
  }
  return kind === 'typed' ? LimitedTyped : LimitedText;
}

/** Sends a ping and waits for its pong: every frame sent before it has been handled. */
async function handled(client: TestClient): Promise<void> {
  const pongs = client.pongs.length;
  client.socket.ping();
  await client.until(() => client.pongs.length > pongs, 3000, 'the pong');
}

const count = (n: number) => JSON.stringify({ type: 'count', n });

describe('scopes on a message', () => {
  it('answer a typed message whose principal lacks a scope with the error reply and missingScopes, and keep the connection open', async () => {
    const { url } = await startServices([AdminService]);
    const client = await TestClient.connect(url('/admin'), undefined, as('ann', 'delete'));
    client.send(JSON.stringify({ type: 'delete', id: 7 }));
    expect(JSON.parse(await client.nextText())).toEqual({
      type: 'error',
      code: 'DUET_ERR_AUTHORIZATION',
      message: 'This message needs the scope admin.',
      issues: [],
      missingScopes: ['admin'],
    });
    client.send(JSON.stringify({ type: 'read' }));
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'read' });
    expect(heard).toEqual(['AuthorizationError admin']);

    const admin = await TestClient.connect(url('/admin'), undefined, as('bob', 'admin,delete'));
    admin.send(JSON.stringify({ type: 'delete', id: 8 }));
    expect(JSON.parse(await admin.nextText())).toEqual({ type: 'deleted', id: 8 });
  });

  it('close a plain text frame whose principal lacks a scope with 1008, and tell @OnError', async () => {
    const { url } = await startServices([ShoutService]);
    const allowed = await TestClient.connect(url('/shout'), undefined, as('ann', 'shout'));
    allowed.send('hi');
    expect(await allowed.nextText()).toBe('HI');
    const client = await TestClient.connect(url('/shout'), undefined, as('bob'));
    client.send('hi');
    expect(await client.waitClosed()).toEqual({ code: 1008, reason: 'forbidden' });
    expect(heard).toEqual(['AuthorizationError']);
    expect(client.messages).toEqual([]);
  });

  it('refuse to start a service with scopes on a handler but no auth', async () => {
    @WebSocketService({ path: '/open' })
    class Open {
      @OnText({ scopes: ['admin'] }) onText() {}
    }
    await expect(startServices([Open])).rejects.toThrow(ServiceConfigError);
    await expect(startServices([Open])).rejects.toThrow("'onText.scopes' needs 'auth'");
  });
});

describe('rate limits', () => {
  it("answer a typed message over the limit with DUET_ERR_RATE_LIMITED under 'error', keep the connection and count it", async () => {
    const { url, container } = await startServices([limitedService('/error', { messages: 2, per: 60 }, 'typed')]);
    const client = await TestClient.connect(url('/error'));
    for (const n of [1, 2, 3]) client.send(count(n));
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'counted', n: 1 });
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'counted', n: 2 });
    expect(JSON.parse(await client.nextText())).toEqual({ type: 'error', code: 'DUET_ERR_RATE_LIMITED', message: 'Too many messages: slow down.', issues: [] });
    expect(heard).toEqual(['RateLimitError DUET_ERR_RATE_LIMITED']);
    expect(container.get(ConnectionRegistry).stats().rateLimited).toBe(1);
  });

  it("drop a plain text frame over the limit under 'error'", async () => {
    const { url, container } = await startServices([limitedService('/plain', { messages: 2, per: 60 }, 'text')]);
    const client = await TestClient.connect(url('/plain'));
    for (const text of ['a', 'b', 'c']) client.send(text);
    await handled(client);
    expect(client.messages.map((message) => message.data)).toEqual(['a', 'b']);
    expect(heard).toEqual([]);
    expect(container.get(ConnectionRegistry).stats().rateLimited).toBe(1);
  });

  it("drop a typed message over the limit under 'drop', unanswered, and count it in stats().rateLimited", async () => {
    const { url, container } = await startServices([limitedService('/drop', { messages: 2, per: 60, onExceed: 'drop' }, 'typed')]);
    const client = await TestClient.connect(url('/drop'));
    for (const n of [1, 2, 3, 4]) client.send(count(n));
    await handled(client);
    expect(client.messages.map((message) => JSON.parse(message.data as string).n)).toEqual([1, 2]);
    expect(container.get(ConnectionRegistry).stats().rateLimited).toBe(2);
    expect(heard).toEqual([]);
  });

  it("close with 1008 'rate limit' under 'close'", async () => {
    const { url } = await startServices([limitedService('/close', { messages: 2, per: 60, onExceed: 'close' }, 'typed')]);
    const client = await TestClient.connect(url('/close'));
    for (const n of [1, 2, 3, 4]) client.send(count(n));
    expect(await client.waitClosed()).toEqual({ code: 1008, reason: 'rate limit' });
    expect(client.messages.map((message) => JSON.parse(message.data as string).n)).toEqual([1, 2]);
    expect(heard).toEqual(['RateLimitError DUET_ERR_RATE_LIMITED']);
  });

  it('refill the bucket from the time that passed: no timer, a message allowed again after 1/rate seconds', async () => {
    const { url } = await startServices([limitedService('/refill', { messages: 10, per: 1, burst: 1, onExceed: 'drop' }, 'text')]);
    const client = await TestClient.connect(url('/refill'));
    client.send('a');
    client.send('b');
    await handled(client);
    await pause(150); // one token per 100 ms
    client.send('c');
    await handled(client);
    expect(client.messages.map((message) => message.data)).toEqual(['a', 'c']);
  });

  it("share one bucket between the connections of one principal under key 'principal'", async () => {
    const Service = limitedService('/principal', { messages: 2, per: 60, key: 'principal', onExceed: 'drop' }, 'text', true);
    const { url } = await startServices([Service]);
    const first = await TestClient.connect(url('/principal'), undefined, as('ann'));
    const second = await TestClient.connect(url('/principal'), undefined, as('ann'));
    const other = await TestClient.connect(url('/principal'), undefined, as('bob'));
    first.send('1');
    await handled(first);
    second.send('2');
    second.send('3');
    await handled(second);
    other.send('4');
    await handled(other);
    expect(first.messages.map((message) => message.data)).toEqual(['1']);
    expect(second.messages.map((message) => message.data)).toEqual(['2']);
    expect(other.messages.map((message) => message.data)).toEqual(['4']);
  });

  it("share one bucket between the connections from one address under key 'ip'", async () => {
    const { url, container } = await startServices([limitedService('/ip', { messages: 3, per: 60, key: 'ip', onExceed: 'drop' }, 'text')]);
    const first = await TestClient.connect(url('/ip'));
    const second = await TestClient.connect(url('/ip'));
    first.send('1');
    first.send('2');
    await handled(first);
    second.send('3');
    second.send('4');
    await handled(second);
    expect(first.messages.map((message) => message.data)).toEqual(['1', '2']);
    expect(second.messages.map((message) => message.data)).toEqual(['3']);
    expect(container.get(ConnectionRegistry).stats().rateLimited).toBe(1);
  });

  it("keep each connection's own bucket under the default key 'connection'", async () => {
    const { url } = await startServices([limitedService('/own', { messages: 1, per: 60, onExceed: 'drop' }, 'text')]);
    const first = await TestClient.connect(url('/own'));
    const second = await TestClient.connect(url('/own'));
    first.send('1');
    first.send('2');
    await handled(first);
    second.send('3');
    await handled(second);
    expect(first.messages.map((message) => message.data)).toEqual(['1']);
    expect(second.messages.map((message) => message.data)).toEqual(['3']);
  });

  it("limit every message of a service with the service's rateLimit, before each handler's own", async () => {
    @WebSocketService({ path: '/service', rateLimit: { messages: 3, per: 60, onExceed: 'drop' } })
    class Service {
      @OnText() onText(_caller: Caller, text: string) {
        return text;
      }
      @OnBinary({ rateLimit: { messages: 1, per: 60, onExceed: 'drop' } })
      onBinary(_caller: Caller, data: Buffer) {
        return data;
      }
    }
    const { url, container } = await startServices([Service]);
    const client = await TestClient.connect(url('/service'));
    client.send('a');
    client.send(Buffer.from('x'));
    client.send(Buffer.from('y')); // the service's third, over the handler's own limit
    client.send('b'); // over the service's limit
    await handled(client);
    expect(client.messages.map((message) => message.data.toString())).toEqual(['a', 'x']);
    expect(container.get(ConnectionRegistry).stats().rateLimited).toBe(2);
  });

  it('refuse to start with a malformed rateLimit, naming the field', async () => {
    @WebSocketService({ path: '/bad', rateLimit: { messages: 0, per: 1 } })
    class Bad {
      @OnText() onText() {}
    }
    await expect(startServices([Bad])).rejects.toThrow("Bad: 'rateLimit.messages' must be a positive number, got 0");
    @WebSocketService({ path: '/nobody', rateLimit: { messages: 1, per: 1, key: 'principal' } })
    class Nobody {
      @OnText() onText() {}
    }
    await expect(startServices([Nobody])).rejects.toThrow("'principal' needs 'auth'");
  });
});
