import 'reflect-metadata';
import { WriteOutcome } from './backpressure';
import { HandlerEvent } from './metadata';
import { Outbound, type OutboundOwner } from './outbound';
import { ConnectionRegistry } from './registry/connection-registry';
import { type WebSocketServiceConfig, resolveServiceConfig } from './service-config';
import { MemoryTransport } from './transport/memory-transport';

const KiB = 1024;

function outboundWith(config: Partial<WebSocketServiceConfig>) {
  const transport = new MemoryTransport();
  transport.accepting = false; // a peer that does not read until the spec drains it
  const registry = new ConnectionRegistry();
  const events = { slowConsumers: 0, resumed: 0 };
  // As the connection does: a slow consumer under 'close' is closed, and reading then never resumes.
  const owner: OutboundOwner = {
    slowConsumer: () => {
      events.slowConsumers++;
      transport.close(1013, 'slow consumer');
    },
    runWaiting: () => events.resumed++,
    queueFull: false,
  };
  const resolved = resolveServiceConfig('OutboundSpec', { path: '/spec', maxBufferedBytes: 4 * KiB, ...config });
  const outbound = new Outbound(transport, resolved, registry, undefined, owner);
  return { transport, registry, events, outbound };
}

const flushed = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('outbound', () => {
  it('sends every reply, past maxBufferedBytes too, and holds reading past half of it until the peer reads', async () => {
    const { transport, events, outbound } = outboundWith({});
    for (let i = 0; i < 3; i++) {
      expect(outbound.reply('r'.repeat(2 * KiB))).toBe(true);
      outbound.paceReading();
    }
    expect(transport.texts).toHaveLength(3);
    expect(transport.paused).toBe(true);
    expect(outbound.readingHeld).toBe(true);
    transport.drain();
    await flushed();
    expect(transport.paused).toBe(false);
    expect(outbound.readingHeld).toBe(false);
    expect(events).toEqual({ slowConsumers: 0, resumed: 1 });
  });

  it("closes a reader that misses drainTimeout under 'close'", async () => {
    const { events, outbound } = outboundWith({ drainTimeout: 0.02 });
    outbound.reply('r'.repeat(3 * KiB));
    outbound.paceReading();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(events.slowConsumers).toBe(1);
  });

  it("drops a push past the bound under 'drop' and counts it; closes under 'close'; waits for the flush under 'wait'", async () => {
    const drop = outboundWith({ slowConsumerPolicy: 'drop' });
    drop.outbound.reply('r'.repeat(4 * KiB));
    expect(drop.outbound.write('one more', true)).toBe(WriteOutcome.Dropped);
    expect(drop.registry.stats().droppedMessages).toBe(1);

    const close = outboundWith({ slowConsumerPolicy: 'close' });
    close.outbound.reply('r'.repeat(4 * KiB));
    expect(close.outbound.write('one more', true)).toBe(WriteOutcome.Closed);
    expect(close.events.slowConsumers).toBe(1);

    const wait = outboundWith({ slowConsumerPolicy: 'wait' });
    wait.outbound.reply('r'.repeat(4 * KiB));
    const written = wait.outbound.write('one more', true) as Promise<boolean>;
    let settled = false;
    void written.then(() => (settled = true));
    await flushed();
    expect(settled).toBe(false);
    wait.transport.drain();
    await expect(written).resolves.toBe(true);
  });

  it('never lets a ping or pong wait: past the bound it is dropped, even under wait', () => {
    const { transport, registry, outbound } = outboundWith({ slowConsumerPolicy: 'wait' });
    outbound.reply('r'.repeat(4 * KiB));
    expect(outbound.writeControl(HandlerEvent.Pong, Buffer.from('p'))).toBe(WriteOutcome.Dropped);
    expect(registry.stats().droppedMessages).toBe(1);
    expect(transport.sent.filter((frame) => frame.kind === 'pong')).toEqual([]);
  });

  it('makes a stream item that would go past the bound wait for the drain, then takes it', async () => {
    const { transport, outbound } = outboundWith({});
    expect(outbound.writeStreamItem('s'.repeat(3 * KiB))).toBe(true);
    const waiting = outbound.writeStreamItem('s'.repeat(2 * KiB));
    expect(waiting).toBeInstanceOf(Promise);
    expect(transport.texts).toHaveLength(1);
    transport.drain();
    await waiting;
    expect(outbound.writeStreamItem('s'.repeat(2 * KiB))).toBe(true);
    expect(transport.texts).toHaveLength(2);
  });

  it("drops the stream items that do not fit once the reader missed drainTimeout under 'drop'", async () => {
    const { registry, outbound } = outboundWith({ slowConsumerPolicy: 'drop', drainTimeout: 0.02 });
    outbound.writeStreamItem('s'.repeat(4 * KiB));
    await outbound.writeStreamItem('s'.repeat(KiB)); // released by the deadline
    expect(outbound.writeStreamItem('s'.repeat(KiB))).toBe(true);
    expect(registry.stats().droppedMessages).toBe(1);
  });

  it('sends a reply that is the text just received as the bytes it came in', () => {
    const { transport, outbound } = outboundWith({});
    const bytes = Buffer.from('échó');
    outbound.receivedText = bytes.toString();
    outbound.receivedBytes = bytes;
    const sendTextBytes = jest.spyOn(transport, 'sendTextBytes');
    outbound.reply(outbound.receivedText);
    expect(sendTextBytes).toHaveBeenCalledWith(bytes);
    expect(transport.texts).toEqual(['échó']);
  });
});
