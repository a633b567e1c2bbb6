// The client: connect (retrying while the server is not up yet), write, and read the answer.
import path from 'node:path';
import { WebSocketClient } from '@duet/websocket';

export async function askEcho(url = 'ws://localhost:8080/ws/echo', text = 'Hello!'): Promise<string> {
  const client = await WebSocketClient.connect(url, {
    readTimeout: 5, // a read waits at most 5 s, then rejects with ReadTimeoutError
    retryConfig: { maxCount: 10, interval: 0.2, backOffFactor: 2, maxWaitInterval: 2 },
  });
  try {
    await client.writeTextMessage(text);
    return await client.readTextMessage();
  } finally {
    await client.close();
  }
}

/** wss:// with our own CA, and a client certificate for mutual TLS. */
export async function askWhoAmI(url = 'wss://localhost:8443/whoami', keys = 'keys'): Promise<string> {
  const client = await WebSocketClient.connect(url, {
    secureSocket: {
      cert: path.join(keys, 'ca.crt'),
      key: { certFile: path.join(keys, 'client.crt'), keyFile: path.join(keys, 'client.key') },
    },
  });
  try {
    return await client.readTextMessage();
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  void askEcho(process.argv[2]).then((response) => console.log('Response:', response));
}
