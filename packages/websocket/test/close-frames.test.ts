// Handlers that close their connection by returning a `CloseFrame`, `@OnOpen`'s return value,
// and `connectionClosureTimeout`. The `test…` cases are ported from Ballerina's websocket module
// tests (close_frame_test.bal, stream_test.bal, connection_closure_timeout.bal), named as there.
import {
  Caller,
  CloseFrame,
  ConnectionClosedError,
  InvalidArgumentError,
  LOGGER,
  type Logger,
  OnClose,
  OnError,
  OnMessage,
  OnOpen,
  OnText,
  WebSocketService,
} from '@duet/websocket';
import { closeTestApps, createTestApp, eventually } from '@duet/testing';
import { Opcode, RawClient, closePayload } from './conformance/raw-client';

afterEach(closeTestApps);

/** Answers any message with the close frame named by `:frame` (or a custom one). */
const FRAMES: Record<string, CloseFrame> = {
  normal: CloseFrame.NormalClosure,
  away: CloseFrame.GoingAway,
  unsupported: CloseFrame.UnsupportedData,
  invalid: CloseFrame.InvalidPayload,
  policy: CloseFrame.PolicyViolation,
  big: CloseFrame.MessageTooBig,
  internal: CloseFrame.InternalServerError,
};

@WebSocketService({ path: '/onCloseFrame/:frame' })
class CloseFrameService {
  @OnText()
  onText(caller: Caller): CloseFrame {
    return FRAMES[caller.params.frame] ?? new CloseFrame(3555, 'Custom close frame message');
  }
}

/** Replies to each message until one says `close`, which gets the close frame. */
@WebSocketService({ path: '/after-replies' })
class AfterRepliesService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<string | CloseFrame> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return text === 'close' ? new CloseFrame(4000, 'done') : text.toUpperCase();
  }
}

const errors: unknown[] = [];

@WebSocketService({ path: '/invalid-code' })
class InvalidCodeService {
  @OnText()
  onText(): CloseFrame {
    return new CloseFrame(1005);
  }

  @OnError()
  onError(_caller: Caller, error: unknown): void {
    errors.push(error);
  }
}

@WebSocketService({ path: '/onJsonStreamOnOpen' })
class StreamJsonOpenService {
  @OnOpen()
  onOpen(): AsyncIterable<object> {
    return (async function* () {
      yield { x: 1, y: 2 };
      yield { x: 4, y: 5 };
    })();
  }
}

let streamFinished = 0;

@WebSocketService({ path: '/endless-open-stream' })
class EndlessOpenStreamService {
  @OnOpen()
  async *onOpen(): AsyncIterable<string> {
    try {
      for (let i = 0; ; i++) {
        yield `tick ${i}`;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      streamFinished++;
    }
  }
}

@WebSocketService({ path: '/open-greets' })
class OpenGreetingService {
  @OnOpen()
  onOpen(): object {
    return { type: 'welcome' };
  }
}

@WebSocketService({ path: '/open-refuses' })
class OpenRefusingService {
  @OnOpen()
  onOpen(): CloseFrame {
    return CloseFrame.PolicyViolation;
  }
}

const callers: Record<string, Caller> = {};
let negativeTimeoutError: unknown;

@WebSocketService({ path: '/', dispatcherKey: 'event', connectionClosureTimeout: 1 })
class ConnectionClosureTimeoutService {
  @OnMessage('subscribe')
  async onSubscribe(caller: Caller): Promise<void> {
    callers.onSubscribe = caller;
    await caller.close();
  }

  @OnMessage('chat')
  onChat(caller: Caller): CloseFrame {
    callers.onChat = caller;
    return CloseFrame.NormalClosure;
  }

  @OnMessage('negative_timeout')
  async onNegativeTimeout(caller: Caller): Promise<void> {
    await caller.close(1000, '', -10).catch((error: unknown) => (negativeTimeoutError = error));
  }
}

@WebSocketService({ path: '/idle', idleTimeout: 0.3, connectionClosureTimeout: 1 })
class IdleClosureService {}

const clientCloses: { code: number; at: number }[] = [];

let releaseLateReply: (() => void) | undefined;

/** Answers only once the test lets it, after the client has gone. */
@WebSocketService({ path: '/late-reply' })
class LateReplyService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<string> {
    await new Promise<void>((resolve) => (releaseLateReply = resolve));
    return text;
  }
}

@WebSocketService({ path: '/client-closes', connectionClosureTimeout: 5 })
class ClientClosingService {
  @OnClose()
  onClose(_caller: Caller, code: number): void {
    clientCloses.push({ code, at: Date.now() });
  }
}

async function closeAfterSending(path: string, text = 'Hi'): Promise<ConnectionClosedError> {
  const app = await createTestApp({ services: [CloseFrameService] });
  const client = await app.client(path);
  await client.writeTextMessage(text);
  const error = await client.readMessage().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectionClosedError);
  return error as ConnectionClosedError;
}

describe('a handler returning a CloseFrame (close_frame_test.bal)', () => {
  it('testNormalClosure', async () => {
    expect((await closeAfterSending('/onCloseFrame/normal')).closeCode).toBe(1000);
  });

  it('testGoingAway', async () => {
    expect((await closeAfterSending('/onCloseFrame/away')).closeCode).toBe(1001);
  });

  it('testUnsupportedData', async () => {
    expect((await closeAfterSending('/onCloseFrame/unsupported')).closeCode).toBe(1003);
  });

  it('testInvalidPayload', async () => {
    expect((await closeAfterSending('/onCloseFrame/invalid')).closeCode).toBe(1007);
  });

  it('testPolicyViolation', async () => {
    expect((await closeAfterSending('/onCloseFrame/policy')).closeCode).toBe(1008);
  });

  it('testMessageTooBig', async () => {
    expect((await closeAfterSending('/onCloseFrame/big')).closeCode).toBe(1009);
  });

  it('testInternalServerError', async () => {
    expect((await closeAfterSending('/onCloseFrame/internal')).closeCode).toBe(1011);
  });

  it('testCustomCloseFrame', async () => {
    const error = await closeAfterSending('/onCloseFrame/custom');
    expect([error.closeCode, error.reason]).toEqual([3555, 'Custom close frame message']);
  });

  it('closes only after the replies to the messages before it are written', async () => {
    const app = await createTestApp({ services: [AfterRepliesService] });
    const client = await RawClient.connect(app.port(), '/after-replies');
    for (const text of ['a', 'b', 'close', 'c']) client.send({ opcode: Opcode.Text, payload: text });
    expect((await client.nextFrame()).payload.toString()).toBe('A');
    expect((await client.nextFrame()).payload.toString()).toBe('B');
    const { code, reason } = await client.nextClose();
    expect([code, reason]).toEqual([4000, 'done']);
    client.close();
  });

  it('a code that may not be sent is an InvalidArgumentError for @OnError, then 1011', async () => {
    errors.length = 0;
    const app = await createTestApp({ services: [InvalidCodeService] });
    const client = await app.client('/invalid-code');
    await client.writeTextMessage('Hi');
    await expect(client.readMessage()).rejects.toMatchObject({ closeCode: 1011 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect((errors[0] as Error).message).toMatch(/1005 is not a close code that may be sent/);
  });

  it('the predefined frames carry their codes and nothing else', () => {
    expect(Object.values(FRAMES).map((frame) => [frame.code, frame.reason])).toEqual(
      [1000, 1001, 1003, 1007, 1008, 1009, 1011].map((code) => [code, '']),
    );
    expect(() => new CloseFrame(4000, 'x'.repeat(124))).toThrow(InvalidArgumentError);
  });
});

describe('what @OnOpen returns (stream_test.bal)', () => {
  it('testStreamJsonOnOpen', async () => {
    const app = await createTestApp({ services: [StreamJsonOpenService] });
    const client = await app.client('/onJsonStreamOnOpen');
    expect(JSON.parse(await client.readTextMessage())).toEqual({ x: 1, y: 2 });
    expect(JSON.parse(await client.readTextMessage())).toEqual({ x: 4, y: 5 });
  });

  it('an open stream ends when the connection closes, and its finally block runs', async () => {
    streamFinished = 0;
    const app = await createTestApp({ services: [EndlessOpenStreamService] });
    const client = await app.client('/endless-open-stream');
    expect(await client.readTextMessage()).toBe('tick 0');
    expect(await client.readTextMessage()).toBe('tick 1');
    await client.close();
    // The generator is told to return at its next yield: its finally block runs then.
    await eventually(() => streamFinished === 1, 2000, 'the stream to finish');
  });

  it('any other value is not sent (a handler may return the promise of a broadcast)', async () => {
    const app = await createTestApp({ services: [OpenGreetingService] });
    const client = await app.client('/open-greets', { readTimeout: 0.3 });
    await expect(client.readMessage()).rejects.toMatchObject({ code: 'DUET_ERR_READ_TIMEOUT' });
  });

  it('a CloseFrame closes the connection at once', async () => {
    const app = await createTestApp({ services: [OpenRefusingService] });
    const client = await app.client('/open-refuses');
    await expect(client.readMessage()).rejects.toMatchObject({ closeCode: 1008 });
  });
});

/**
 * How long the server waited for the client's close frame before ending TCP: about
 * `connectionClosureTimeout` (1 s here). Bun's native server ends it as soon as its close frame
 * is out (docs/engines.md), so there it is at once.
 */
function expectWaitedClosureTimeout(seconds: number): void {
  if ('Bun' in globalThis) {
    expect(seconds).toBeLessThan(0.5);
  } else {
    expect(seconds).toBeGreaterThan(0.8);
    expect(seconds).toBeLessThan(2.5);
  }
}

describe('connectionClosureTimeout (connection_closure_timeout.bal)', () => {
  /** Sends `event`, then never answers the server's close frame: when does the server end TCP? */
  async function secondsToTermination(event: string): Promise<number> {
    const app = await createTestApp({ services: [ConnectionClosureTimeoutService] });
    const client = await RawClient.connect(app.port(), '/');
    client.send({ opcode: Opcode.Text, payload: JSON.stringify({ event }) });
    await client.nextClose();
    const closeSeen = Date.now();
    await client.ended(5000);
    return (Date.now() - closeSeen) / 1000;
  }

  it('testConnectionClosureTimeoutCaller', async () => {
    expectWaitedClosureTimeout(await secondsToTermination('subscribe'));
    expect(callers.onSubscribe.isOpen()).toBe(false);
  });

  it('testConnectionClosureTimeoutCloseFrames', async () => {
    expectWaitedClosureTimeout(await secondsToTermination('chat'));
    expect(callers.onChat.isOpen()).toBe(false);
  });

  it('an idle close waits as long for the client, then ends the connection', async () => {
    const app = await createTestApp({ services: [IdleClosureService] });
    const client = await RawClient.connect(app.port(), '/idle');
    expect((await client.nextClose()).code).toBe(1001);
    const closeSeen = Date.now();
    await client.ended(5000);
    expectWaitedClosureTimeout((Date.now() - closeSeen) / 1000);
  });

  it('a client that keeps its side of TCP open after the close handshake does not hold the connection until the timeout', async () => {
    const app = await createTestApp({ services: [ClientClosingService] });
    const client = await RawClient.connect(app.port(), '/client-closes');
    // The client never sends its FIN: only the server can end the connection.
    client.socket.allowHalfOpen = true;
    const sent = Date.now();
    client.send({ opcode: Opcode.Close, payload: closePayload(1000, 'bye') });
    expect((await client.nextClose()).code).toBe(1000);
    await client.ended(1000);
    await eventually(() => clientCloses.length > 0, 1000, "the server's @OnClose");
    expect(clientCloses.map((close) => close.code)).toEqual([1000]);
    // Well inside connectionClosureTimeout (5 s): the server closed its socket, it did not wait.
    expect(clientCloses[0].at - sent).toBeLessThan(1000);
    expect(app.registry.count()).toBe(0);
  });

  it("a text handler's reply that comes after the client has gone is not sent, and is logged", async () => {
    const debug: string[] = [];
    const logger: Logger = { debug: (message) => debug.push(message), info() {}, warn() {}, error() {} };
    const app = await createTestApp({ services: [LateReplyService], bindings: [[LOGGER, logger]] });
    const client = await RawClient.connect(app.port(), '/late-reply');
    client.send({ opcode: Opcode.Text, payload: 'late' });
    await eventually(() => releaseLateReply !== undefined, 1000, 'the handler to start');
    client.socket.destroy();
    await eventually(() => app.registry.count() === 0, 1000, 'the server to see the drop');
    releaseLateReply!();
    await eventually(() => debug.some((message) => message.startsWith('reply not sent')), 1000, 'the log line');
  });

  it('testConnectionClosureTimeoutCallerNegativeTimeout', async () => {
    const app = await createTestApp({ services: [ConnectionClosureTimeoutService] });
    const client = await app.client('/');
    await client.writeMessage({ event: 'negative_timeout' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(negativeTimeoutError).toBeInstanceOf(InvalidArgumentError);
    expect((negativeTimeoutError as Error).message).toMatch(/timeoutSeconds/);
  });

  it('testConnectionClosureTimeoutNegativeValueInClient', async () => {
    const app = await createTestApp({ services: [ConnectionClosureTimeoutService] });
    const client = await app.client('/');
    await expect(client.close(1000, '', -10)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
