// Two (and more) Duet processes on one real redis-server: room messages cross processes once
// per connection, and the cluster count adds up every process's connections.
import { ChatClient, DuetProcess, eventually, pause } from './cluster-helpers';
import { RedisServer } from './redis-server';

let redis: RedisServer;
let one: DuetProcess;
let two: DuetProcess;
const opened: ChatClient[] = [];
const started: DuetProcess[] = [];

async function connect(node: DuetProcess, room: string): Promise<ChatClient> {
  const client = await ChatClient.connect(node.url(room));
  opened.push(client);
  // Handlers of a connection run in order: once /stats is answered, @OnOpen has joined the room.
  await client.ask('/stats');
  return client;
}

async function countSeenBy(client: ChatClient, expected: number, ms = 3000): Promise<void> {
  await eventually(async () => (await client.ask('/count')) === String(expected), ms, `a cluster count of ${expected}`);
}

beforeAll(async () => {
  redis = await RedisServer.start();
  [one, two] = await Promise.all([DuetProcess.start(redis.url), DuetProcess.start(redis.url)]);
}, 30000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
  await Promise.all(started.splice(0).map((node) => node.stop()));
});

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await redis?.stop();
});

describe('RedisBackplane between two processes', () => {
  it('delivers every room message to the room members of both processes exactly once, in order, never to the sender or another room', async () => {
    const ann = await connect(one, 'burst');
    const al = await connect(one, 'burst');
    const bob = await connect(two, 'burst');
    const bea = await connect(two, 'burst');
    const cat = await connect(two, 'elsewhere');
    const dan = await connect(one, 'elsewhere');
    const fromAnn = Array.from({ length: 200 }, (_, i) => `ann ${i}`);
    const fromBob = Array.from({ length: 200 }, (_, i) => `bob ${i}`);
    for (let i = 0; i < 200; i++) {
      ann.send(fromAnn[i]);
      bob.send(fromBob[i]);
    }
    const expected = new Map([
      [ann, { ann: [], bob: fromBob }],
      [al, { ann: fromAnn, bob: fromBob }],
      [bob, { ann: fromAnn, bob: [] }],
      [bea, { ann: fromAnn, bob: fromBob }],
      [cat, { ann: [], bob: [] }],
      [dan, { ann: [], bob: [] }],
    ]);
    const total = (client: ChatClient) => expected.get(client)!.ann.length + expected.get(client)!.bob.length;
    await eventually(() => [ann, al, bob, bea].every((c) => c.chat.length >= total(c)), 10000, 'every message to arrive');
    await pause(200); // room for a duplicate to show up
    for (const [client, { ann: annMessages, bob: bobMessages }] of expected) {
      expect(client.chat.filter((text) => text.startsWith('ann '))).toEqual(annMessages);
      expect(client.chat.filter((text) => text.startsWith('bob '))).toEqual(bobMessages);
      expect(client.chat).toHaveLength(total(client));
    }
  });

  it('counts the connections of every process in clusterCount(), and follows closes', async () => {
    const onOne = await Promise.all([connect(one, 'count'), connect(one, 'count')]);
    const onTwo = await Promise.all([connect(two, 'count'), connect(two, 'count'), connect(two, 'count')]);
    await countSeenBy(onOne[0], 5);
    await countSeenBy(onTwo[0], 5);
    await onTwo[2].close();
    await onOne[1].close();
    await countSeenBy(onOne[0], 3);
    await countSeenBy(onTwo[0], 3);
  });

  it('drops a stopped process from the count at once, and a crashed one when its count expires', async () => {
    const observer = await connect(one, 'count');
    const [stopping, crashing] = await Promise.all([
      DuetProcess.start(redis.url),
      DuetProcess.start(redis.url, { COUNT_TTL: '1' }),
    ]);
    started.push(stopping, crashing);
    await Promise.all([connect(stopping, 'count'), connect(crashing, 'count'), connect(crashing, 'count')]);
    await countSeenBy(observer, 4);
    await stopping.stop();
    expect(await observer.ask('/count')).toBe('3');
    await crashing.crash();
    expect(await observer.ask('/count')).toBe('3'); // a crashed process cannot say it left…
    await countSeenBy(observer, 1, 5000); // …its count expires instead (COUNT_TTL=1 s)
  });
});
