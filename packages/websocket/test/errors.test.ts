import {
  Caller,
  OnBinary,
  OnClose,
  OnError,
  OnOpen,
  OnText,
  PendingMessagesOverflowError,
  ProtocolError,
  ReplyEncodingError,
  UnsupportedMessageError,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, eventually, startServices } from './helpers';

afterEach(cleanup);

const errors: unknown[] = [];
const closes: number[] = [];

class Oops {
  constructor(readonly detail: string) {}
}

@WebSocketService({ path: '/faulty' })
class FaultyService {
  @OnText()
  async onText(_caller: Caller, text: string): Promise<unknown> {
    if (text === 'throw') throw new Error('secret internal detail');
    if (text === 'reject') return Promise.reject(new Oops('not even an Error'));
    if (text === 'cyclic') {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      return cyclic;
    }
    return `ok ${text}`;
  }

  @OnError()
  onError(_caller: Caller, error: unknown): void {
    errors.push(error);
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    closes.push(code);
  }
}

@WebSocketService({ path: '/sync-throw' })
class SyncThrowingService {
  @OnText()
  onText(): string {
    throw new TypeError('sync failure');
  }
}

@WebSocketService({ path: '/open-throws' })
class OpenThrowingService {
  @OnOpen()
  onOpen(): void {
    throw new Error('cannot open');
  }

  @OnError()
  onError(_caller: Caller, error: Error): void {
    errors.push(error);
  }
}

@WebSocketService({ path: '/small', maxFrameSize: 1024 })
class SmallFramesService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnError()
  onError(_caller: Caller, error: Error): void {
    errors.push(error);
  }
}

@WebSocketService({ path: '/text-only' })
class TextOnlyService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return text;
  }

  @OnError()
  onError(_caller: Caller, error: Error): void {
    errors.push(error);
  }
}

@WebSocketService({ path: '/stuck', maxPendingMessages: 5, inboundOverflow: 'close' })
class StuckService {
  @OnText()
  onText(): Promise<void> {
    return new Promise(() => {}); // never settles
  }

  @OnBinary()
  onBinary(): void {}

  @OnError()
  onError(_caller: Caller, error: Error): void {
    errors.push(error);
  }
}

describe('handler failures', () => {
  beforeEach(() => {
    errors.length = 0;
    closes.length = 0;
  });

  it('gives the thrown error to @OnError, closes with 1011, and other connections keep echoing', async () => {
    const { url } = await startServices([FaultyService]);
    const healthy = await TestClient.connect(url('/faulty'));
    const failing = await TestClient.connect(url('/faulty'));
    failing.send('throw');
    const closed = await failing.waitClosed();
    expect(closed.code).toBe(1011);
    expect(closed.reason).not.toContain('secret'); // internal messages stay on the server
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('secret internal detail');
    healthy.send('still fine');
    expect(await healthy.nextText()).toBe('ok still fine');
    await eventually(() => closes.length === 1, 2000, '@OnClose');
    expect(closes).toEqual([1011]);
  });

  it('passes a rejected non-Error value to @OnError as it was thrown', async () => {
    const { url } = await startServices([FaultyService]);
    const client = await TestClient.connect(url('/faulty'));
    client.send('reject');
    expect((await client.waitClosed()).code).toBe(1011);
    expect(errors[0]).toBeInstanceOf(Oops);
    expect((errors[0] as Oops).detail).toBe('not even an Error');
  });

  it('treats a reply that cannot be encoded as a handler failure', async () => {
    const { url } = await startServices([FaultyService]);
    const client = await TestClient.connect(url('/faulty'));
    client.send('cyclic');
    expect((await client.waitClosed()).code).toBe(1011);
    expect(errors[0]).toBeInstanceOf(ReplyEncodingError);
    expect((errors[0] as ReplyEncodingError).code).toBe('DUET_ERR_REPLY_ENCODING');
  });

  it('logs a synchronous throw when there is no @OnError and still closes with 1011', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { url } = await startServices([SyncThrowingService]);
      const client = await TestClient.connect(url('/sync-throw'));
      client.send('x');
      expect((await client.waitClosed()).code).toBe(1011);
      expect(logged).toHaveBeenCalledWith(
        expect.stringContaining('handler failed'),
        expect.objectContaining({ error: expect.objectContaining({ message: 'sync failure' }) }),
      );
    } finally {
      logged.mockRestore();
    }
  });

  it('closes with 1011 when @OnOpen throws', async () => {
    const { url } = await startServices([OpenThrowingService]);
    const client = await TestClient.connect(url('/open-throws'));
    expect((await client.waitClosed()).code).toBe(1011);
    expect((errors[0] as Error).message).toBe('cannot open');
  });
});

describe('protocol errors and limits', () => {
  beforeEach(() => {
    errors.length = 0;
  });

  it('closes with 1009 when a message exceeds maxFrameSize, and tells @OnError', async () => {
    const { url } = await startServices([SmallFramesService]);
    const client = await TestClient.connect(url('/small'));
    client.send('a'.repeat(1024));
    expect(await client.nextText()).toHaveLength(1024);
    client.send('a'.repeat(1025));
    expect((await client.waitClosed()).code).toBe(1009);
    await eventually(() => errors.length === 1, 2000, '@OnError');
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect((errors[0] as ProtocolError).closeCode).toBe(1009);
  });

  it('closes with 1003 when a binary message reaches a service without @OnBinary', async () => {
    const { url } = await startServices([TextOnlyService]);
    const client = await TestClient.connect(url('/text-only'));
    client.send(Buffer.from([1, 2, 3]));
    expect((await client.waitClosed()).code).toBe(1003);
    await eventually(() => errors.length === 1, 2000, '@OnError');
    expect(errors[0]).toBeInstanceOf(UnsupportedMessageError);
  });

  it('closes with 1013 when messages pile up behind a handler that never settles', async () => {
    const warned = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { url } = await startServices([StuckService]);
      const client = await TestClient.connect(url('/stuck'));
      client.send('first'); // occupies the handler forever
      for (let i = 0; i < 5; i++) client.send(Buffer.from([i])); // fill the queue
      client.send(Buffer.from([9])); // one too many
      expect((await client.waitClosed()).code).toBe(1013);
      expect(warned).toHaveBeenCalledWith(expect.stringContaining('closing with 1013'), expect.objectContaining({ limit: 5 }));
      // @OnError hears of it in order, behind the handler that never settles: not here.
      expect(errors).toEqual([]);
    } finally {
      warned.mockRestore();
    }
  });
});

describe('PendingMessagesOverflowError', () => {
  it('carries its code, limit and close code', () => {
    const error = new PendingMessagesOverflowError(5);
    expect(error.name).toBe('PendingMessagesOverflowError');
    expect(error.code).toBe('DUET_ERR_PENDING_MESSAGES_OVERFLOW');
    expect(error.closeCode).toBe(1013);
    expect(error.limit).toBe(5);
  });
});
