import { execFile } from 'node:child_process';
import path from 'node:path';
import { Caller, OnBinary, OnClose, OnText, WebSocketService } from '@duet/websocket';
import { cleanup, eventually, startServices } from '../helpers';
import { type TlsFixtures, makeTlsFixtures } from '../tls-fixtures';

// Debian's python3-websockets lives in the system interpreter, not in a pyenv one on PATH.
const PYTHON = '/usr/bin/python3';
const closes: number[] = [];

@WebSocketService({ path: '/ws', subProtocols: ['json'] })
class InteropService {
  @OnText()
  onText(_caller: Caller, text: string): string {
    return `Echo: ${text}`;
  }

  @OnBinary()
  onBinary(_caller: Caller, data: Buffer): Buffer {
    return Buffer.from(data).reverse();
  }

  @OnClose()
  onClose(_caller: Caller, code: number): void {
    closes.push(code);
  }
}

function runPython(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [path.join(__dirname, 'python-client.py'), ...args], { timeout: 15000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python client failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('a Duet service driven by python3-websockets', () => {
  let tls: TlsFixtures;

  beforeAll(async () => {
    const probe = await new Promise<string>((resolve) =>
      execFile(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], (error, stdout) =>
        resolve(error ? '' : stdout.trim()),
      ),
    );
    if (probe === '') {
      throw new Error(`${PYTHON} cannot import websockets: install Debian's python3-websockets (.ci/run does)`);
    }
    tls = makeTlsFixtures();
  });
  afterAll(() => tls?.remove());
  afterEach(cleanup);
  beforeEach(() => {
    closes.length = 0;
  });

  const expected = 'subprotocol json\ntext Echo: Hello!\npong ok\nbinary fffe0100\nclosed 4000\n';

  it('talks text, binary, ping and close over ws', async () => {
    const { url } = await startServices([InteropService]);
    expect(await runPython([url('/ws')])).toBe(expected);
    await eventually(() => closes.length === 1, 2000, '@OnClose');
    expect(closes).toEqual([4000]);
  });

  it('talks over wss with a certificate the client trusts through its CA', async () => {
    const { url } = await startServices([InteropService], undefined, {
      port: 0,
      host: '127.0.0.1',
      secureSocket: { key: { certFile: tls.serverCert, keyFile: tls.serverKey } },
    });
    expect(await runPython([url('/ws'), tls.caCert])).toBe(expected);
  });
});
