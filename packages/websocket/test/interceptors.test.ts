import { AsyncLocalStorage } from 'node:async_hooks';
import { inject, injectable } from 'inversify';
import {
  AuthorizationError,
  Caller,
  type HandlerContext,
  type Interceptor,
  OnError,
  OnMessage,
  OnOpen,
  OnText,
  RateLimitError,
  GLOBAL_INTERCEPTOR,
  ServiceConfigError,
  UseInterceptors,
  WebSocketService,
} from '@duet/websocket';
import { closeTestApps, createTestApp, waitForClose } from '@duet/testing';

afterEach(closeTestApps);

/** Where the test reads what the interceptors saw, injected into them by the container. */
@injectable()
class Journal {
  readonly lines: string[] = [];
}

function tagging(tag: string) {
  @injectable()
  class Tagging implements Interceptor {
    constructor(@inject(Journal) private readonly journal: Journal) {}
    async intercept(context: HandlerContext, next: () => Promise<unknown>) {
      this.journal.lines.push(`${tag} before ${context.method}`);
      const result = await next();
      this.journal.lines.push(`${tag} after ${context.method}`);
      return typeof result === 'string' ? `${tag}(${result})` : result;
    }
  }
  return Tagging;
}

const Global = tagging('global');
const OnClass = tagging('class');
const OnMethod = tagging('method');
const Bound = tagging('bound');

@UseInterceptors(OnClass)
@WebSocketService({ path: '/ordered' })
class OrderedService {
  constructor(@inject(Journal) private readonly journal: Journal) {}

  @UseInterceptors(OnMethod)
  @OnText()
  onText(_caller: Caller, text: string) {
    this.journal.lines.push(`handler ${text}`);
    return text;
  }
}

/** Measures every handler call of every service, as a metrics or tracing interceptor would. */
@injectable()
class Stopwatch implements Interceptor {
  readonly calls: { name: string; event: string; messageType: string | undefined; ms: number }[] = [];
  async intercept(context: HandlerContext, next: () => Promise<unknown>) {
    const started = performance.now();
    try {
      return await next();
    } finally {
      this.calls.push({
        name: `${context.service.name}.${context.method}`,
        event: context.event,
        messageType: context.messageType,
        ms: performance.now() - started,
      });
    }
  }
}

@WebSocketService({ path: '/slow' })
class SlowService {
  @OnText()
  async onText(_caller: Caller, text: string) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return text;
  }
}

@WebSocketService({ path: '/typed' })
class TypedService {
  @OnMessage('add')
  add(_caller: Caller, message: { a: number; b: number }) {
    return { type: 'sum', value: message.a + message.b };
  }
}

describe('interceptors', () => {
  it('run global, then class, then method around the handler, and what they return is sent', async () => {
    const app = await createTestApp({ services: [OrderedService], interceptors: [Global], configure: (c) => c.bind(Journal).toSelf().inSingletonScope() });
    const client = await app.client('/ordered');
    await client.writeTextMessage('hi');
    expect(await client.readTextMessage()).toBe('global(class(method(hi)))');
    expect(app.container.get(Journal).lines).toEqual([
      'global before onText',
      'class before onText',
      'method before onText',
      'handler hi',
      'method after onText',
      'class after onText',
      'global after onText',
    ]);
  });

  it('run interceptor classes bound under GLOBAL_INTERCEPTOR outermost, before the module\'s', async () => {
    const app = await createTestApp({
      services: [OrderedService],
      interceptors: [Global],
      configure: (c) => {
        c.bind(Journal).toSelf().inSingletonScope();
        c.bind(GLOBAL_INTERCEPTOR).toConstantValue(Bound);
      },
    });
    const client = await app.client('/ordered');
    await client.writeTextMessage('hi');
    expect(await client.readTextMessage()).toBe('bound(global(class(method(hi))))');
  });

  it('let a global interceptor measure the handlers of every service, typed messages with their type', async () => {
    const app = await createTestApp({ services: [SlowService, TypedService], interceptors: [Stopwatch] });
    const slow = await app.client('/slow');
    await slow.writeTextMessage('x');
    expect(await slow.readTextMessage()).toBe('x');
    const typed = await app.client('/typed');
    await typed.writeMessage({ type: 'add', a: 2, b: 3 });
    expect(JSON.parse(await typed.readTextMessage())).toEqual({ type: 'sum', value: 5 });
    const calls = app.container.get(Stopwatch).calls;
    expect(calls.map(({ name, event, messageType }) => ({ name, event, messageType }))).toEqual([
      { name: 'SlowService.onText', event: 'text', messageType: undefined },
      { name: 'TypedService.add', event: 'message', messageType: 'add' },
    ]);
    expect(calls[0].ms).toBeGreaterThanOrEqual(25);
  });

  it('run the handler inside the interceptor call, so a context it sets is the active one', async () => {
    const store = new AsyncLocalStorage<string>();
    @injectable()
    class Scoped implements Interceptor {
      intercept(context: HandlerContext, next: () => Promise<unknown>) {
        return store.run(`span of ${context.method}`, next);
      }
    }
    @WebSocketService({ path: '/scoped' })
    class ScopedService {
      @OnText()
      async onText() {
        await new Promise((resolve) => setImmediate(resolve));
        return store.getStore() ?? 'no context';
      }
    }
    const app = await createTestApp({ services: [ScopedService], interceptors: [Scoped] });
    const client = await app.client('/scoped');
    await client.writeTextMessage('x');
    expect(await client.readTextMessage()).toBe('span of onText');
  });

  it('answer an AuthorizationError thrown on a typed message with the error reply and @OnError, and keep the connection open', async () => {
    @injectable()
    class Denying implements Interceptor {
      intercept(context: HandlerContext, next: () => Promise<unknown>) {
        if ((context.message as { a: number }).a < 0) throw new AuthorizationError('Negative numbers are for admins.', ['admin']);
        return next();
      }
    }
    const heard: string[] = [];
    @UseInterceptors(Denying)
    @WebSocketService({ path: '/denied' })
    class DeniedService {
      @OnMessage('add')
      add(_caller: Caller, message: { a: number; b: number }) {
        return { type: 'sum', value: message.a + message.b };
      }
      @OnError()
      onError(_caller: Caller, error: Error) {
        heard.push(`${error.name} ${(error as AuthorizationError).code}`);
      }
    }
    const app = await createTestApp({ services: [DeniedService] });
    const client = await app.client('/denied');
    await client.writeMessage({ type: 'add', a: -1, b: 1 });
    expect(JSON.parse(await client.readTextMessage())).toEqual({
      type: 'error',
      code: 'DUET_ERR_AUTHORIZATION',
      message: 'Negative numbers are for admins.',
      issues: [],
      missingScopes: ['admin'],
    });
    await client.writeMessage({ type: 'add', a: 1, b: 1 });
    expect(JSON.parse(await client.readTextMessage())).toEqual({ type: 'sum', value: 2 });
    expect(heard).toEqual(['AuthorizationError DUET_ERR_AUTHORIZATION']);
    expect(client.isOpen()).toBe(true);
  });

  it('count any other throw as the handler failing (1011, @OnError hears it)', async () => {
    @injectable()
    class Broken implements Interceptor {
      // A class's interceptors run around @OnError too: this one breaks only messages.
      intercept(context: HandlerContext, next: () => Promise<unknown>) {
        if (context.event === 'message') throw new Error('interceptor bug');
        return next();
      }
    }
    const heard: string[] = [];
    @UseInterceptors(Broken)
    @WebSocketService({ path: '/broken' })
    class BrokenService {
      @OnMessage('add') add() {
        return 'never';
      }
      @OnError() onError(_caller: Caller, error: Error) {
        heard.push(error.message);
      }
    }
    const app = await createTestApp({ services: [BrokenService] });
    const client = await app.client('/broken');
    await client.writeMessage({ type: 'add' });
    expect((await waitForClose(client)).code).toBe(1011);
    expect(heard).toEqual(['interceptor bug']);
  });

  it('pass what a handler throws on to the usual failure path through a pass-through interceptor', async () => {
    @injectable()
    class PassThrough implements Interceptor {
      intercept(_context: HandlerContext, next: () => Promise<unknown>) {
        return next();
      }
    }
    const heard: string[] = [];
    @WebSocketService({ path: '/throws' })
    class ThrowingService {
      @OnText() onText(_caller: Caller, text: string) {
        if (text === 'boom') throw new Error('handler bug');
        return text;
      }
      @OnError() onError(_caller: Caller, error: Error) {
        heard.push(error.message);
      }
    }
    const app = await createTestApp({ services: [ThrowingService], interceptors: [PassThrough] });
    const client = await app.client('/throws');
    for (const text of ['a', 'b', 'boom']) await client.writeTextMessage(text);
    expect([await client.readTextMessage(), await client.readTextMessage()]).toEqual(['a', 'b']);
    expect((await waitForClose(client)).code).toBe(1011);
    expect(heard).toEqual(['handler bug']);
  });

  it('answer a RateLimitError thrown on a typed message with the error reply carrying its code', async () => {
    @injectable()
    class Limiting implements Interceptor {
      intercept() {
        throw new RateLimitError();
      }
    }
    @WebSocketService({ path: '/limited' })
    class LimitedService {
      @UseInterceptors(Limiting)
      @OnMessage('add')
      add() {
        return 'never';
      }
      @OnOpen() onOpen() {}
    }
    const app = await createTestApp({ services: [LimitedService] });
    const client = await app.client('/limited');
    await client.writeMessage({ type: 'add' });
    expect(JSON.parse(await client.readTextMessage())).toMatchObject({ type: 'error', code: 'DUET_ERR_RATE_LIMITED' });
    expect(client.isOpen()).toBe(true);
  });

  it('refuse to start when an interceptor cannot be resolved, has no intercept method, or is on a method that is not a handler', async () => {
    class NotInjectable {
      constructor(readonly needed: string) {}
      intercept() {}
    }
    @injectable()
    class NoIntercept {}
    @UseInterceptors(NotInjectable as never)
    @WebSocketService({ path: '/a' })
    class A {
      @OnText() onText() {}
    }
    @WebSocketService({ path: '/b' })
    class B {
      @UseInterceptors(NoIntercept as never)
      @OnText()
      onText() {}
    }
    @WebSocketService({ path: '/c' })
    class C {
      @UseInterceptors(Global)
      helper() {}
      @OnText() onText() {}
    }
    await expect(createTestApp({ services: [C], configure: (c) => c.bind(Journal).toSelf() })).rejects.toThrow(
      "C: 'helper' has @UseInterceptors but no handler decorator",
    );
    await expect(createTestApp({ services: [A] })).rejects.toThrow(ServiceConfigError);
    await expect(createTestApp({ services: [B] })).rejects.toThrow(/NoIntercept, which has no intercept/);
  });
});
