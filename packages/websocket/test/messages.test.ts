import { inject, injectable } from 'inversify';
import { Caller, OnBinary, OnOpen, OnText, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, startServices } from './helpers';

afterEach(cleanup);

@WebSocketService({ path: '/echo' })
class EchoService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return data;
  }
}

@WebSocketService({ path: '/replies' })
class RepliesService {
  @OnText()
  async onText(caller: Caller, text: string): Promise<unknown> {
    switch (text) {
      case 'object':
        return { kind: 'object', n: 1 };
      case 'array':
        return [1, 'two'];
      case 'number':
        return 42;
      case 'null':
        return null;
      case 'bytes':
        return new Uint8Array([1, 2, 3]);
      case 'nothing':
        await caller.writeTextMessage('written, not returned');
        return undefined;
      default:
        return `async ${text}`;
    }
  }
}

describe('messages and replies', () => {
  it('echoes text as text and binary as binary', async () => {
    const { url } = await startServices([EchoService]);
    const client = await TestClient.connect(url('/echo'));
    client.send('héllo ✓');
    expect(await client.next()).toEqual({ data: 'héllo ✓', isBinary: false });
    client.send(Buffer.from([0, 1, 2, 255]));
    expect(await client.next()).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
  });

  it('sends a returned object as JSON text, bytes as binary, and nothing for undefined', async () => {
    const { url } = await startServices([RepliesService]);
    const client = await TestClient.connect(url('/replies'));
    for (const text of ['object', 'array', 'number', 'null', 'bytes', 'nothing', 'plain']) client.send(text);
    expect(await client.nextText()).toBe('{"kind":"object","n":1}');
    expect(await client.nextText()).toBe('[1,"two"]');
    expect(await client.nextText()).toBe('42');
    expect(await client.nextText()).toBe('null');
    expect(await client.next()).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
    expect(await client.nextText()).toBe('written, not returned');
    expect(await client.nextText()).toBe('async plain');
  });

  it('sends nothing more when a handler returns the promise of its own write', async () => {
    @WebSocketService({ path: '/returns-write' })
    class ReturnsWrite {
      @OnText()
      onText(caller: Caller, text: string): Promise<void> {
        return caller.writeTextMessage(`Echo: ${text}`);
      }
    }
    const { url } = await startServices([ReturnsWrite]);
    const client = await TestClient.connect(url('/returns-write'));
    client.send('one');
    client.send('two');
    expect(await client.nextText()).toBe('Echo: one');
    expect(await client.nextText()).toBe('Echo: two');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.messages).toEqual([]);
  });

  it('matches the path without its query string', async () => {
    const { url } = await startServices([EchoService]);
    const client = await TestClient.connect(url('/echo?token=abc&x=1'));
    client.send('q');
    expect(await client.nextText()).toBe('q');
  });
});

describe('ordering', () => {
  @WebSocketService({ path: '/ordered' })
  class OrderedService {
    private log: string[] = [];

    @OnOpen()
    async onOpen(): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 100));
      this.log.push('open');
    }

    @OnText()
    async onText(_caller: Caller, text: string): Promise<string> {
      // Later messages wait less, so out-of-order dispatch would reorder the replies.
      const delay = 40 - Number(text) * 4;
      await new Promise((resolve) => setTimeout(resolve, Math.max(delay, 0)));
      this.log.push(text);
      return this.log.join(',');
    }
  }

  it('settles an async @OnOpen before any message handler and handles messages in arrival order', async () => {
    const { url } = await startServices([OrderedService]);
    const client = await TestClient.connect(url('/ordered'));
    for (let i = 0; i < 10; i++) client.send(String(i));
    const replies: string[] = [];
    for (let i = 0; i < 10; i++) replies.push(await client.nextText());
    expect(replies[0]).toBe('open,0');
    expect(replies[9]).toBe('open,0,1,2,3,4,5,6,7,8,9');
  });
});

describe('service instances and injection', () => {
  @injectable()
  class Greeter {
    greet(name: string): string {
      return `Hello, ${name}!`;
    }
  }

  let constructed = 0;

  @WebSocketService({ path: '/per-connection' })
  class PerConnectionService {
    private readonly seen: string[] = [];

    constructor(private readonly greeter: Greeter) {
      constructed++;
    }

    @OnText()
    onText(_caller: Caller, text: string): string {
      this.seen.push(text);
      return `${this.greeter.greet(text)} seen=${this.seen.join('+')}`;
    }
  }

  @WebSocketService({ path: '/shared', scope: 'singleton' })
  class SharedService {
    private readonly seen: string[] = [];

    constructor(@inject(Greeter) private readonly greeter: Greeter) {}

    @OnText()
    onText(_caller: Caller, text: string): string {
      this.seen.push(text);
      return `${this.greeter.greet(text)} seen=${this.seen.join('+')}`;
    }
  }

  const bindGreeter = (container: import('inversify').Container) => {
    container.bind(Greeter).toSelf().inSingletonScope();
  };

  it('gives each connection its own instance, built with its constructor dependencies', async () => {
    constructed = 0;
    const { url } = await startServices([PerConnectionService], bindGreeter);
    const a = await TestClient.connect(url('/per-connection'));
    const b = await TestClient.connect(url('/per-connection'));
    a.send('a1');
    expect(await a.nextText()).toBe('Hello, a1! seen=a1');
    b.send('b1');
    expect(await b.nextText()).toBe('Hello, b1! seen=b1');
    a.send('a2');
    expect(await a.nextText()).toBe('Hello, a2! seen=a1+a2');
    expect(constructed).toBe(2);
  });

  it("shares one instance between connections with scope 'singleton'", async () => {
    const { url } = await startServices([SharedService], bindGreeter);
    const a = await TestClient.connect(url('/shared'));
    const b = await TestClient.connect(url('/shared'));
    a.send('a1');
    expect(await a.nextText()).toBe('Hello, a1! seen=a1');
    b.send('b1');
    expect(await b.nextText()).toBe('Hello, b1! seen=a1+b1');
  });
});
