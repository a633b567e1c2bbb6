// A listener with maxConnectionsPerIp counts each open connection against its address until
// the socket closes: what counts it must not keep the upgrade's Request (and its headers)
// alive for as long as the connection lives.
import { OnOpen, WebSocketService } from '@duet/websocket';
import { TestClient, eventually } from '../helpers';
import { BunListenerServer } from '../../src/transport/bun-listener';
import { RUNS_ON_BUN, startApp, stopAll } from './engine-helpers';

afterEach(stopAll);

@WebSocketService({ path: '/counted' })
class CountedService {
  @OnOpen()
  onOpen(): void {}
}

/** The Requests Bun's fetch received, held weakly. */
const requests: WeakRef<Request>[] = [];
const prototype = BunListenerServer.prototype as unknown as { fetch(request: Request, server: unknown): unknown };
const fetch = prototype.fetch;
prototype.fetch = function (this: unknown, request: Request, server: unknown) {
  requests.push(new WeakRef(request));
  return fetch.call(this, request, server);
};

function liveRequests(): number {
  (globalThis as unknown as { Bun: { gc(full: boolean): void } }).Bun.gc(true);
  return requests.filter((ref) => ref.deref() !== undefined).length;
}

(RUNS_ON_BUN ? describe : describe.skip)('maxConnectionsPerIp on Bun', () => {
  it('keeps no upgrade request alive for an open connection, and frees the slot at its close', async () => {
    const { url } = await startApp([CountedService], { listener: { port: 0, host: '127.0.0.1', maxConnectionsPerIp: 4 } });
    const clients = await Promise.all([1, 2, 3, 4].map(() => TestClient.connect(url('/counted'))));
    expect(requests.length).toBe(4);
    await eventually(() => liveRequests() === 0, 3000, 'the upgrade requests to be collected');
    clients[0].socket.close();
    await clients[0].closed;
    const again = await TestClient.connect(url('/counted'));
    expect(again.socket.readyState).toBe(again.socket.OPEN);
  });
});
