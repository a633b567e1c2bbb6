import { Caller, OnOpen, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, eventually, rawUpgrade, startServices } from './helpers';

afterEach(cleanup);

const negotiated: (string | undefined)[] = [];

@WebSocketService({ path: '/ws', subProtocols: ['json', 'mqtt'] })
class NegotiatingService {
  @OnOpen()
  onOpen(caller: Caller): void {
    negotiated.push(caller.getNegotiatedSubProtocol());
  }
}

@WebSocketService({ path: '/plain' })
class PlainService {}

describe('sub-protocol negotiation', () => {
  beforeEach(() => {
    negotiated.length = 0;
  });

  it("selects the client's first offered protocol that the service supports", async () => {
    const { url } = await startServices([NegotiatingService]);
    const client = await TestClient.connect(url('/ws'), ['xml', 'json']);
    expect(client.socket.protocol).toBe('json');
    expect(negotiated).toEqual(['json']);
  });

  it("follows the client's priority order, not the service's", async () => {
    const { url } = await startServices([NegotiatingService]);
    const client = await TestClient.connect(url('/ws'), ['mqtt', 'json']);
    expect(client.socket.protocol).toBe('mqtt');
    expect(negotiated).toEqual(['mqtt']);
  });

  it('accepts the connection without a sub-protocol when nothing matches', async () => {
    const { url } = await startServices([NegotiatingService]);
    // Answered with 101 and no Sec-WebSocket-Protocol header (ws's own client would then give up).
    const response = await rawUpgrade(url('/ws'), { 'Sec-WebSocket-Protocol': 'xml, soap' });
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    await eventually(() => negotiated.length === 1, 2000, '@OnOpen');
    expect(negotiated).toEqual([undefined]);
  });

  it('selects nothing on a service that supports no sub-protocol, even when the client offers some', async () => {
    const { url } = await startServices([PlainService]);
    const response = await rawUpgrade(url('/plain'), { 'Sec-WebSocket-Protocol': 'json' });
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
  });
});
