// RFC 6455 §4.1–4.2 opening handshake, as Duet's listener and ws answer it together. Only the
// Duet echo is tested here: routing (404) and the version check (426) are Duet's own, in front
// of ws; where ws answers, the comment says so.
import {
  Opcode,
  RawClient,
  acceptFor,
  closeAllRawSockets,
  closePayload,
  encodeFrame,
  httpExchange,
  newKey,
  requestText,
  serverFrame,
  upgradeRequest,
} from './raw-client';
import { type EchoTarget, Path, startDuet } from './targets';

describe('opening handshake — Duet echo sample', () => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await startDuet();
  });
  afterAll(() => target.stop());
  afterEach(closeAllRawSockets);

  const upgradeHeaders = (key: string) => ({
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
  });

  it('answers a correct handshake with 101, Upgrade, Connection and the right Sec-WebSocket-Accept', async () => {
    const client = await RawClient.connect(target.port, Path.Echo);
    expect(client.handshake.status).toBe(101);
    expect(client.handshake.headers.upgrade?.toLowerCase()).toBe('websocket');
    expect(client.handshake.headers.connection?.toLowerCase()).toBe('upgrade');
    client.send({ opcode: Opcode.Text, payload: 'open' });
    expect((await client.nextFrame()).raw).toEqual(serverFrame(Opcode.Text, 'open'));
  });

  it('checks Sec-WebSocket-Accept the way the RFC 6455 §1.3 example computes it', () => {
    // The key and answer printed in the RFC: this guards the raw client every handshake relies on.
    expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it("answers the RFC 6455 §1.3 example key with the RFC's accept value, and with no header it did not negotiate", async () => {
    // The server's own hash against the value printed in the RFC (Duet writes the 101 itself).
    const response = await httpExchange(target.port, withClose(upgradeRequest(Path.Echo, 'dGhlIHNhbXBsZSBub25jZQ==')));
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    // Nothing negotiated: no sub-protocol, no extension (Bun's server may add headers of its own, a Date).
    expect(Object.keys(response.headers).filter((name) => name.startsWith('sec-websocket-'))).toEqual(['sec-websocket-accept']);
    expect(response.headers.upgrade).toBe('websocket');
    expect(response.headers.connection).toBe('Upgrade');
  });

  it('accepts upgrade header values in any letter case and among other tokens', async () => {
    const key = newKey();
    const headers = { ...upgradeHeaders(key), Upgrade: 'WebSocket', Connection: 'keep-alive, Upgrade' };
    const response = await httpExchange(target.port, withClose(requestText('GET', Path.Echo, headers)));
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe(acceptFor(key));
  });

  it('declines permessage-deflate, so no extension is in effect and RSV1 stays reserved', async () => {
    const key = newKey();
    const request = upgradeRequest(Path.Echo, key, { 'Sec-WebSocket-Extensions': 'permessage-deflate' });
    const response = await httpExchange(target.port, withClose(request));
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('answers a request without Sec-WebSocket-Key with 400', async () => {
    const { 'Sec-WebSocket-Key': _key, ...headers } = upgradeHeaders(newKey());
    const response = await httpExchange(target.port, requestText('GET', Path.Echo, headers));
    expect(response.status).toBe(400);
  });

  it('answers a Sec-WebSocket-Key that is not 16 bytes in base64 with 400', async () => {
    const response = await httpExchange(target.port, upgradeRequest(Path.Echo, 'dG9vIHNob3J0'));
    expect(response.status).toBe(400);
  });

  it('answers an unsupported Sec-WebSocket-Version with 426 and the version it speaks', async () => {
    const headers = { ...upgradeHeaders(newKey()), 'Sec-WebSocket-Version': '12' };
    const response = await httpExchange(target.port, requestText('GET', Path.Echo, headers));
    expect(response.status).toBe(426);
    expect(response.headers['sec-websocket-version']?.split(/\s*,\s*/)).toContain('13');
  });

  it('answers a request without Sec-WebSocket-Version with 400 and the versions it speaks (ws)', async () => {
    const { 'Sec-WebSocket-Version': _version, ...headers } = upgradeHeaders(newKey());
    const response = await httpExchange(target.port, requestText('GET', Path.Echo, headers));
    expect(response.status).toBe(400);
    expect(response.headers['sec-websocket-version']?.split(/\s*,\s*/)).toContain('13');
  });

  it('answers an upgrade to a path no service has with 404', async () => {
    const response = await httpExchange(target.port, upgradeRequest('/nowhere', newKey()));
    expect(response.status).toBe(404);
  });

  it('answers an upgrade with a method other than GET with 405 (ws)', async () => {
    const headers = { ...upgradeHeaders(newKey()), 'Content-Length': '0' };
    const response = await httpExchange(target.port, requestText('POST', Path.Echo, headers));
    expect(response.status).toBe(405);
  });

  it('answers an Upgrade header naming another protocol with 400 (ws)', async () => {
    const headers = { ...upgradeHeaders(newKey()), Upgrade: 'h2c' };
    const response = await httpExchange(target.port, requestText('GET', Path.Echo, headers));
    expect(response.status).toBe(400);
  });

  it('answers a handshake without an Upgrade header, a plain request, with 426 Upgrade: websocket', async () => {
    const { Upgrade: _upgrade, ...headers } = upgradeHeaders(newKey());
    const response = await httpExchange(target.port, requestText('GET', Path.Echo, headers));
    expect(response.status).toBe(426);
    expect(response.headers.upgrade?.toLowerCase()).toBe('websocket');
  });

  it('answers a plain HTTP GET on the service path with 426 Upgrade: websocket', async () => {
    const response = await httpExchange(target.port, requestText('GET', Path.Echo, { Host: '127.0.0.1', Connection: 'close' }));
    expect(response.status).toBe(426);
    expect(response.headers.upgrade?.toLowerCase()).toBe('websocket');
  });

  it('answers a plain HTTP GET on an unknown path with 404', async () => {
    const response = await httpExchange(target.port, requestText('GET', '/nowhere', { Host: '127.0.0.1', Connection: 'close' }));
    expect(response.status).toBe(404);
  });
});

/** A handshake followed by a close frame, so that the server ends the exchange by itself once upgraded. */
function withClose(request: string): Buffer {
  return Buffer.concat([Buffer.from(request, 'latin1'), encodeFrame({ opcode: Opcode.Close, payload: closePayload(1000) })]);
}
