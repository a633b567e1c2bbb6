import {
  Caller,
  OnOpen,
  OnText,
  OnUpgrade,
  UpgradeError,
  UpgradeRequest,
  WebSocketService,
} from '@duet/websocket';
import { TestClient, cleanup, rawUpgrade, startServices } from './helpers';

afterEach(cleanup);

const seen: Record<string, unknown>[] = [];

@WebSocketService({ path: '/rooms/:room' })
class GuardedService {
  private user = '';

  @OnUpgrade()
  async onUpgrade(request: UpgradeRequest): Promise<unknown> {
    seen.push({
      method: request.method,
      url: request.url,
      path: request.path,
      params: { ...request.params },
      token: request.query.get('token'),
      cookies: { ...request.cookies },
      header: request.headers['x-client'],
      remoteAddress: request.remoteAddress,
      secure: request.secure,
    });
    if (request.query.get('token') !== 'good') {
      throw new UpgradeError(401, 'a valid token is required', { 'WWW-Authenticate': 'Token', 'X-Reason': 'no-token' });
    }
    if (request.params.room === 'closed') throw new UpgradeError(451, 'room closed for legal reasons');
    if (request.params.room === 'broken') throw new Error('secret failure inside the hook');
    await new Promise((resolve) => setTimeout(resolve, 10));
    this.user = request.cookies.user ?? 'anonymous';
    return { headers: { 'X-Room': request.params.room, 'Bad\nHeader': 'x' } };
  }

  @OnOpen()
  onOpen(caller: Caller): Promise<void> {
    // State set by @OnUpgrade on this connection's own instance, and the request on the caller.
    return caller.writeTextMessage(`${this.user} in ${caller.params.room} via ${caller.request.query.get('token')}`);
  }

  @OnText()
  onText(caller: Caller, text: string): string {
    return `${text}@${caller.request.path}`;
  }
}

describe('@OnUpgrade', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('refuses the upgrade with the status, body and headers of a thrown UpgradeError', async () => {
    const { url } = await startServices([GuardedService]);
    const response = await rawUpgrade(url('/rooms/lobby?token=bad'));
    expect(response.status).toBe(401);
    expect(response.body).toBe('a valid token is required\n');
    expect(response.headers['www-authenticate']).toBe('Token');
    expect(response.headers['x-reason']).toBe('no-token');
    expect((await rawUpgrade(url('/rooms/closed?token=good'))).status).toBe(451);
  });

  it('answers 500 without the internal message when the hook throws something else', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { url } = await startServices([GuardedService]);
      const response = await rawUpgrade(url('/rooms/broken?token=good'));
      expect(response.status).toBe(500);
      expect(response.body).not.toContain('secret');
      expect(logged).toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });

  it('sees method, path, params, query, headers, cookies and address, and adds returned headers to the 101', async () => {
    const { url } = await startServices([GuardedService]);
    const response = await rawUpgrade(url('/rooms/lobby?token=good&x=1'), {
      Cookie: 'user=ann%20lee; theme=dark',
      'X-Client': 'test-suite',
    });
    expect(response.status).toBe(101);
    expect(response.headers['x-room']).toBe('lobby');
    expect(response.headers['bad\nheader']).toBeUndefined();
    expect(seen[0]).toEqual({
      method: 'GET',
      url: '/rooms/lobby?token=good&x=1',
      path: '/rooms/lobby',
      params: { room: 'lobby' },
      token: 'good',
      cookies: { user: 'ann lee', theme: 'dark' },
      header: 'test-suite',
      remoteAddress: '127.0.0.1',
      secure: false,
    });
  });

  it('keeps the request and what the hook set reachable from the connection', async () => {
    const { url } = await startServices([GuardedService]);
    const client = await TestClient.connect(url('/rooms/lobby?token=good'), undefined, {
      headers: { Cookie: 'user=bob' },
    });
    expect(await client.nextText()).toBe('bob in lobby via good');
    client.send('hi');
    expect(await client.nextText()).toBe('hi@/rooms/lobby');
  });
});
