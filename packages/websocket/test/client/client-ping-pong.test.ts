// Pings and pongs: automatic pongs without an onPing hook, manual ones with it, and the
// client's own pings answered by a Duet service and by a plain `ws` server.
import { Caller, OnOpen, OnPong, OnText, WebSocketClient, WebSocketService } from '@duet/websocket';
import { cleanup, eventually, pause, startServices } from '../helpers';
import { closeAll, startPlainServer, track } from './support';

const duetPongs: string[] = [];

@WebSocketService({ path: '/pinger' })
class PingingService {
  @OnOpen()
  async onOpen(caller: Caller): Promise<void> {
    await caller.ping('from duet');
  }

  @OnPong()
  onPong(_caller: Caller, data: Buffer): void {
    duetPongs.push(data.toString());
  }

  @OnText()
  onText(): undefined {
    return undefined;
  }
}

afterEach(async () => {
  await closeAll();
  await cleanup();
  duetPongs.length = 0;
});

/** A plain server that pings each connection once with `data` and records the pongs it gets. */
async function pingingServer(data: string) {
  const pongs: string[] = [];
  const server = await startPlainServer({
    onConnection: (socket) => {
      socket.on('pong', (payload: Buffer) => pongs.push(payload.toString()));
      socket.ping(data);
    },
  });
  return { server, pongs };
}

describe('WebSocketClient pings and pongs', () => {
  it('answers a plain server’s ping with an automatic pong carrying the same data', async () => {
    const { server, pongs } = await pingingServer('are you there');
    track(await WebSocketClient.connect(server.url()));
    await eventually(() => pongs.length > 0, 2000, 'the pong');
    expect(pongs).toEqual(['are you there']);
  });

  it('answers a Duet service’s ping with an automatic pong', async () => {
    const { url } = await startServices([PingingService]);
    track(await WebSocketClient.connect(url('/pinger')));
    await eventually(() => duetPongs.length > 0, 2000, 'the pong at the service');
    expect(duetPongs).toEqual(['from duet']);
  });

  it('sends the Buffer onPing returns as the pong, and no automatic one', async () => {
    const { server, pongs } = await pingingServer('ping-data');
    const seen: string[] = [];
    track(
      await WebSocketClient.connect(server.url(), {
        pingPongHandler: {
          onPing: (client, data) => {
            seen.push(`${client.isOpen()}:${data.toString()}`);
            return Buffer.from('custom pong');
          },
        },
      }),
    );
    await eventually(() => pongs.length > 0, 2000, 'the pong');
    await pause(50);
    expect(seen).toEqual(['true:ping-data']);
    expect(pongs).toEqual(['custom pong']);
  });

  it('sends no pong at all when onPing returns nothing', async () => {
    const { server, pongs } = await pingingServer('silence');
    let pinged = false;
    track(
      await WebSocketClient.connect(server.url(), {
        pingPongHandler: {
          onPing: () => {
            pinged = true;
          },
        },
      }),
    );
    await eventually(() => pinged, 2000, 'the ping');
    await pause(100);
    expect(pongs).toEqual([]);
  });

  it('lets onPing answer by calling pong() itself, asynchronously', async () => {
    const { server, pongs } = await pingingServer('later');
    track(
      await WebSocketClient.connect(server.url(), {
        pingPongHandler: {
          onPing: async (client, data) => {
            await pause(10);
            await client.pong(Buffer.concat([Buffer.from('re: '), data]));
          },
        },
      }),
    );
    await eventually(() => pongs.length > 0, 2000, 'the pong');
    expect(pongs).toEqual(['re: later']);
  });

  it.each([
    ['a Duet service', async () => (await startServices([PingingService])).url('/pinger')],
    ['a plain ws server', async () => (await startPlainServer()).url()],
  ])('gets the pong of its own ping from %s through onPong', async (_name, start) => {
    const pongs: string[] = [];
    const client = track(
      await WebSocketClient.connect(await start(), {
        pingPongHandler: { onPong: (_client, data) => void pongs.push(data.toString()) },
      }),
    );
    await client.ping('client ping');
    await eventually(() => pongs.includes('client ping'), 2000, 'the pong of the client ping');
  });

  it('sends an unsolicited pong the server receives', async () => {
    const server = await startPlainServer();
    const client = track(await WebSocketClient.connect(server.url()));
    const { socket } = await server.nextConnection();
    const received = new Promise<string>((resolve) => socket.once('pong', (data: Buffer) => resolve(data.toString())));
    await client.pong('heartbeat');
    expect(await received).toBe('heartbeat');
  });

  it('closes the connection with 1011 and warns on stderr when onPing throws', async () => {
    const { server } = await pingingServer('boom');
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const client = track(
        await WebSocketClient.connect(server.url(), {
          pingPongHandler: {
            onPing: () => {
              throw new Error('hook broke');
            },
          },
        }),
      );
      await expect(client.readMessage()).rejects.toMatchObject({ statusCode: 1011, reason: 'ping/pong handler failed' });
      expect(emitWarning).toHaveBeenCalledWith(
        'pingPongHandler failed: hook broke',
        expect.objectContaining({ type: 'DuetPingPongHandlerWarning' }),
      );
    } finally {
      emitWarning.mockRestore();
    }
  });
});
