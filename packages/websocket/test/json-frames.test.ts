// "No JSON form" is one error wherever a value is turned into JSON text: a handler's reply, a
// Caller's writeMessage, a broadcast and the client all refuse a cyclic object or a BigInt with
// ReplyEncodingError (DUET_ERR_REPLY_ENCODING), and nothing reaches the wire.
import { Caller, ConnectionRegistry, OnOpen, OnText, ReplyEncodingError, WebSocketClient, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, pause, startServices } from './helpers';

afterEach(cleanup);

function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
}

function outcome(error: unknown): string {
  const { name, code } = error as { name: string; code: string };
  return `${name} ${code}`;
}

@WebSocketService({ path: '/json' })
class JsonService {
  constructor(private readonly registry: ConnectionRegistry) {}

  @OnOpen()
  onOpen(caller: Caller): void {
    caller.join('room');
  }

  @OnText()
  async onText(caller: Caller, text: string): Promise<string> {
    if (text !== 'try') return `echo:${text}`;
    const attempts = [
      caller.writeMessage(cyclic()),
      caller.writeMessage(10n),
      this.registry.to('room').writeMessage(cyclic()),
      this.registry.to('room').writeMessage(10n),
    ];
    const outcomes: string[] = [];
    for (const attempt of attempts) outcomes.push(await attempt.then(() => 'sent', outcome));
    return outcomes.join('; ');
  }
}

describe('a value without a JSON form', () => {
  it('is refused with the same ReplyEncodingError by a Caller, a broadcast and the client, and nothing is sent', async () => {
    const { url } = await startServices([JsonService]);
    const refused = 'ReplyEncodingError DUET_ERR_REPLY_ENCODING';
    const observer = await TestClient.connect(url('/json'));
    observer.send('try');
    expect(await observer.nextText()).toBe(Array(4).fill(refused).join('; '));

    const client = await WebSocketClient.connect(url('/json'));
    try {
      const writes = [client.writeMessage(cyclic()), client.writeMessage(10n), client.writeMessage(() => 1)];
      expect(await Promise.all(writes.map((write) => write.then(() => 'sent', outcome)))).toEqual(Array(3).fill(refused));
      await expect(client.writeMessage(undefined)).rejects.toMatchObject({ code: 'DUET_ERR_INVALID_ARGUMENT' });
      await client.writeMessage({ a: 1 });
      expect(await client.readTextMessage()).toBe('echo:{"a":1}');
    } finally {
      await client.close();
    }
    await pause(20);
    expect(observer.messages).toEqual([]);
  });

  it('is also an InvalidArgumentError, so code matching on the older class still catches it', async () => {
    const { url } = await startServices([JsonService]);
    const client = await WebSocketClient.connect(url('/json'));
    try {
      const error = await client.writeMessage(10n).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReplyEncodingError);
      expect((await import('@duet/websocket')).InvalidArgumentError.prototype.isPrototypeOf(error as object)).toBe(true);
    } finally {
      await client.close();
    }
  });
});
