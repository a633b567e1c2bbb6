import 'reflect-metadata';
import { Caller, InvalidArgumentError, OnText, WebSocketService } from '@duet/websocket';
import {
  ClosedWhileWaitingError,
  WaitTimeoutError,
  closeTestApps,
  createTestApp,
  eventually,
  waitFor,
  waitForClose,
} from '@duet/testing';

afterEach(closeTestApps);

/** Answers `count:N` with N numbered messages, `later:text` after 300 ms, `close:code` with a close. */
@WebSocketService({ path: '/talk' })
class TalkService {
  @OnText()
  async onText(caller: Caller, text: string): Promise<void> {
    const [command, argument] = text.split(':');
    if (command === 'count') {
      for (let i = 1; i <= Number(argument); i++) await caller.writeTextMessage(`n${i}`);
    } else if (command === 'later') {
      setTimeout(() => void caller.writeTextMessage(argument).catch(() => {}), 300);
    } else if (command === 'bytes') {
      await caller.writeBinaryMessage(Buffer.from(argument));
    } else if (command === 'close') {
      await caller.close(Number(argument), 'asked to');
    }
  }
}

async function talk() {
  const app = await createTestApp({ services: [TalkService] });
  return app.client('/talk');
}

describe('waitFor', () => {
  it('returns the first message matching the predicate, skipping the ones before it', async () => {
    const client = await talk();
    await client.writeTextMessage('count:5');
    expect(await waitFor(client, (m) => m === 'n3')).toBe('n3');
    expect(await client.readTextMessage()).toBe('n4');
  });

  it('narrows the type with a type-guard predicate', async () => {
    const client = await talk();
    await client.writeTextMessage('count:1');
    await client.writeTextMessage('bytes:raw');
    const binary: Buffer = await waitFor(client, (m): m is Buffer => Buffer.isBuffer(m));
    expect(binary.toString()).toBe('raw');
  });

  it('rejects with WaitTimeoutError naming what it awaited and showing what it skipped', async () => {
    const client = await talk();
    await client.writeTextMessage('count:2');
    const error = await waitFor(client, (m) => m === 'n9', 200).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ code: 'DUET_ERR_WAIT_TIMEOUT', timeoutMs: 200, skippedCount: 2, lastSkipped: ['n1', 'n2'] });
    expect((error as Error).message).toBe(
      `Timed out after 200 ms waiting for a message matching (m) => m === 'n9'; skipped 2 messages: "n1", "n2".`,
    );
  });

  it('names the awaited thing by its description when given one', async () => {
    const client = await talk();
    await expect(waitFor(client, () => true, { timeoutMs: 50, description: 'the welcome' })).rejects.toThrow(
      'Timed out after 50 ms waiting for the welcome; no message arrived.',
    );
  });

  it('loses no message after a timed-out wait: the next wait gets the one that arrived late', async () => {
    const client = await talk();
    await client.writeTextMessage('later:late news');
    await expect(waitFor(client, () => true, 50)).rejects.toThrow(WaitTimeoutError);
    expect(await waitFor(client, () => true, 2000)).toBe('late news');
  });

  it('rejects with ClosedWhileWaitingError when the connection closes first', async () => {
    const client = await talk();
    await client.writeTextMessage('count:1');
    await client.writeTextMessage('close:4000');
    const error = await waitFor(client, (m) => m === 'never').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClosedWhileWaitingError);
    expect(error).toMatchObject({ closeCode: 4000, reason: 'asked to', skippedCount: 1 });
  });
});

describe('waitForClose', () => {
  it('returns the close code and reason, skipping unread messages', async () => {
    const client = await talk();
    await client.writeTextMessage('count:3');
    await client.writeTextMessage('close:4001');
    expect(await waitForClose(client)).toEqual({ code: 4001, reason: 'asked to' });
  });

  it('rejects with WaitTimeoutError while the connection stays open', async () => {
    const client = await talk();
    await expect(waitForClose(client, 100)).rejects.toThrow('Timed out after 100 ms waiting for the connection to close');
  });
});

describe('eventually', () => {
  it('resolves once the condition holds', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 30);
    await eventually(() => ready, 1000, 'readiness');
    expect(ready).toBe(true);
  });

  it('rejects with WaitTimeoutError naming the condition', async () => {
    await expect(eventually(() => false, 50, 'the registry to empty')).rejects.toThrow(
      new WaitTimeoutError('the registry to empty', 50),
    );
  });
});

describe('the wait options', () => {
  it("refuse the old 'timeout' key with InvalidArgumentError naming timeoutMs, instead of waiting the default 3 s", async () => {
    const client = await talk();
    const started = Date.now();
    const error = await waitFor(client, () => false, { timeout: 50 } as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/timeoutMs/);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(waitForClose(client, { timeout: 50 } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('wait timeouts', () => {
  it.each([Infinity, 2 ** 31, -1, Number.NaN])(
    'refuses a timeout of %s ms with InvalidArgumentError, instead of a timer that would fire at once',
    async (timeout) => {
      const client = await talk();
      await client.writeTextMessage('later:late');
      await expect(waitFor(client, (m) => m === 'late', timeout)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(waitForClose(client, { timeoutMs: timeout })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(eventually(() => false, timeout)).rejects.toBeInstanceOf(InvalidArgumentError);
      // The refused waits took nothing: the message is still there for a valid wait.
      expect(await waitFor(client, (m) => m === 'late', 2000)).toBe('late');
    },
  );

  it('waits with the longest timeout a timer allows (2^31-1 ms) instead of failing at once', async () => {
    const client = await talk();
    await client.writeTextMessage('later:late');
    expect(await waitFor(client, (m) => m === 'late', 2 ** 31 - 1)).toBe('late');
  });
});
