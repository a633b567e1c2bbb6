import { OnUpgrade, ServiceConfigError, WebSocketService } from '@duet/websocket';
import { TestClient, cleanup, rawUpgrade, startServices } from './helpers';

afterEach(cleanup);

let hookRuns = 0;

@WebSocketService({ path: '/ws', allowedOrigins: ['https://app.example.com', 'https://*.example.org', 'http://localhost:3000'] })
class OriginService {
  @OnUpgrade()
  onUpgrade(): void {
    hookRuns++;
  }
}

describe('allowedOrigins', () => {
  beforeEach(() => {
    hookRuns = 0;
  });

  it.each(['https://app.example.com', 'https://chat.example.org', 'https://a.b.example.org', 'http://localhost:3000'])(
    'accepts Origin %s',
    async (origin) => {
      const { url } = await startServices([OriginService]);
      expect((await rawUpgrade(url('/ws'), { Origin: origin })).status).toBe(101);
    },
  );

  it.each([
    'https://evil.example.com',
    'http://app.example.com',
    'https://example.org',
    'https://evil-example.org',
    'https://example.org.evil.com',
    'http://localhost:3001',
    'null',
  ])('answers 403 to Origin %s before any service code runs', async (origin) => {
    const { url } = await startServices([OriginService]);
    const response = await rawUpgrade(url('/ws'), { Origin: origin });
    expect(response.status).toBe(403);
    expect(hookRuns).toBe(0);
  });

  it('lets a client that sends no Origin (not a browser) connect', async () => {
    const { url } = await startServices([OriginService]);
    await expect(TestClient.connect(url('/ws'))).resolves.toBeDefined();
  });

  it('rejects a malformed allowedOrigins entry at start', async () => {
    @WebSocketService({ path: '/bad', allowedOrigins: ['example.com'] })
    class BadOrigins {}
    const error = await startServices([BadOrigins]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect((error as ServiceConfigError).field).toBe('allowedOrigins');
  });

  it('checks the Sec-WebSocket-Origin of a version 8 handshake as it checks Origin (Bun takes no version 8)', async () => {
    const { app, url } = await startServices([OriginService]);
    const version8 = { 'Sec-WebSocket-Version': '8' };
    const forged = await rawUpgrade(url('/ws'), { ...version8, 'Sec-WebSocket-Origin': 'https://evil.example.com' });
    // docs/engines.md: Bun speaks version 13 only; a version 8 handshake is answered 426 before any check.
    const version8Allowed = app.engine === 'bun' ? 426 : 101;
    expect(forged.status).toBe(app.engine === 'bun' ? 426 : 403);
    expect(hookRuns).toBe(0);
    expect((await rawUpgrade(url('/ws'), { ...version8, 'Sec-WebSocket-Origin': 'https://app.example.com' })).status).toBe(version8Allowed);
    // Both headers are looked at, whatever the version says.
    const mixed = await rawUpgrade(url('/ws'), { Origin: 'https://app.example.com', 'Sec-WebSocket-Origin': 'https://evil.example.com' });
    expect(mixed.status).toBe(403);
  });
});
