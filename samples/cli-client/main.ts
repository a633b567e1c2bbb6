// A small command-line WebSocket client for trying services by hand: prints every message it
// reads, sends each line typed on stdin as a text message, and closes when stdin ends.
//   npm run sample -- cli-client ws://localhost:8080/ws [-p <sub-protocol>]... [-H 'Name: value']...
// Text is printed as `< text`, binary as `< [binary N bytes] <hex>`, the close as
// `closed: <code> <reason>`.
import { createInterface } from 'node:readline';
import { ConnectionClosedError, WebSocketClient, type WebSocketClientConfig } from '@duet/websocket';

/** Reads `<url> [-p protocol]... [-H 'Name: value']...`. */
export function parseArguments(args: string[]): { url: string; config: WebSocketClientConfig } {
  const subProtocols: string[] = [];
  const customHeaders: Record<string, string> = {};
  let url: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-p' || arg === '--protocol') subProtocols.push(args[++i] ?? '');
    else if (arg === '-H' || arg === '--header') {
      const header = args[++i] ?? '';
      const colon = header.indexOf(':');
      if (colon <= 0) throw new Error(`a header looks like 'Name: value', got '${header}'`);
      customHeaders[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    } else if (url === undefined) url = arg;
    else throw new Error(`unexpected argument '${arg}'`);
  }
  if (url === undefined) throw new Error('usage: cli-client <ws://… or wss://… URL> [-p protocol]... [-H "Name: value"]...');
  const config: WebSocketClientConfig = {};
  if (subProtocols.length > 0) config.subProtocols = subProtocols;
  if (Object.keys(customHeaders).length > 0) config.customHeaders = customHeaders;
  return { url, config };
}

export async function main(args: string[]): Promise<void> {
  const { url, config } = parseArguments(args);
  const client = await WebSocketClient.connect(url, config);
  const protocol = client.getNegotiatedSubProtocol();
  console.log(`connected to ${url}${protocol === undefined ? '' : ` (sub-protocol: ${protocol})`}`);

  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    client.writeTextMessage(line).catch((error: Error) => console.error(`not sent: ${error.message}`));
  });
  lines.once('close', () => void client.close());

  for (;;) {
    let message: string | Buffer;
    try {
      message = await client.readMessage();
    } catch (error) {
      if (!(error instanceof ConnectionClosedError)) throw error;
      console.log(`closed: ${error.statusCode ?? ''} ${error.reason}`.trimEnd());
      break;
    }
    if (typeof message === 'string') console.log(`< ${message}`);
    else console.log(`< [binary ${message.length} bytes] ${message.toString('hex')}`);
  }
  lines.close();
  process.stdin.destroy(); // nothing more to send; let the process end
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
