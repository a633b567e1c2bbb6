// The pull client's typed reads: `readMessage({ schema })` resolves with what the schema gives,
// or rejects with the same `MessageValidationError` a service gives, and the connection goes on.
import { z } from 'zod';
import {
  Caller,
  InvalidArgumentError,
  MessageTypeError,
  MessageValidationError,
  OnBinary,
  OnText,
  WebSocketClient,
  WebSocketService,
} from '@duet/websocket';
import { cleanup, startServices } from '../helpers';
import { track } from './support';

/** Echoes text and binary as they came. */
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

const Quote = z.object({ type: z.literal('quote'), symbol: z.string(), price: z.coerce.number() });

afterEach(cleanup);

async function connect(): Promise<WebSocketClient> {
  const { url } = await startServices([EchoService]);
  return track(await WebSocketClient.connect(url('/echo')));
}

describe('readMessage({ schema })', () => {
  it("resolves with the schema's output, typed by it", async () => {
    const client = await connect();
    await client.writeMessage({ type: 'quote', symbol: 'ACME', price: '12.5' });
    const quote = await client.readMessage({ schema: Quote });
    const price: number = quote.price; // the schema's output type (coerced), not the wire's
    expect(quote).toEqual({ type: 'quote', symbol: 'ACME', price: 12.5 });
    expect(price).toBe(12.5);
  });

  it('rejects a message the schema refuses with MessageValidationError and its issues; the next read goes on', async () => {
    const client = await connect();
    await client.writeMessage({ type: 'quote', price: 3 });
    await client.writeMessage({ type: 'quote', symbol: 'ACME', price: 4 });
    const error = await client.readMessage({ schema: Quote }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MessageValidationError);
    expect((error as MessageValidationError).kind).toBe('schema');
    expect((error as MessageValidationError).issues.map((issue) => issue.path)).toEqual([['symbol']]);
    expect(await client.readMessage({ schema: Quote })).toEqual({ type: 'quote', symbol: 'ACME', price: 4 });
  });

  it("rejects text that is not JSON with MessageValidationError of kind 'invalid-json'", async () => {
    const client = await connect();
    await client.writeTextMessage('not json');
    await expect(client.readMessage({ schema: Quote })).rejects.toMatchObject({ kind: 'invalid-json', code: 'DUET_ERR_MESSAGE_VALIDATION' });
    await client.writeTextMessage('"still open"');
    expect(await client.readTextMessage()).toBe('"still open"');
  });

  it('rejects a binary message with MessageTypeError and leaves it queued', async () => {
    const client = await connect();
    await client.writeBinaryMessage(Buffer.from([1, 2]));
    await expect(client.readMessage({ schema: Quote })).rejects.toBeInstanceOf(MessageTypeError);
    expect(await client.readBinaryMessage()).toEqual(Buffer.from([1, 2]));
  });

  it('rejects options without a Standard Schema with InvalidArgumentError, reading nothing', async () => {
    const client = await connect();
    await client.writeTextMessage('{"type":"quote"}');
    await expect(client.readMessage({ schema: {} as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await client.readTextMessage()).toBe('{"type":"quote"}');
  });
});
