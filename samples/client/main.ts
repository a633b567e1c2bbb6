// The guide's client: connects to the data-message sample, writes `Hello!` and prints the
// reply — `Response: Echo: Hello!`.
//   URL   the service, also accepted as the first argument
//         (default ws://localhost:${PORT}/ws, PORT defaulting to 8080)
import { WebSocketClient } from '@duet/websocket';

export async function main(url: string): Promise<void> {
  const client = await WebSocketClient.connect(url, { readTimeout: 10 });
  await client.writeTextMessage('Hello!');
  const reply = await client.readTextMessage();
  console.log(`Response: ${reply}`);
  await client.close();
}

if (require.main === module) {
  const url = process.argv[2] ?? process.env.URL ?? `ws://localhost:${process.env.PORT ?? 8080}/ws`;
  main(url).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
