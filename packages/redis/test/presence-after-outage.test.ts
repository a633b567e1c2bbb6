// A node whose Redis subscription drops misses the presence signals the others send meanwhile;
// one whose publisher drops cannot send its own. Once connected again it tells the others its
// whole presence and asks for theirs, as at start: every replica is right again, and listeners
// hear what changed while the nodes were apart, as one diff.
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { Caller, LOGGER, type Logger, OnText, type PresenceDiff, WebSocketService } from '@duet/websocket';
import { type TestApp, createTestApp } from '@duet/testing';
import type { WebSocketClient } from '@duet/websocket';
import { RedisBackplane } from '@duet/redis';
import { eventually } from './cluster-helpers';
import { RedisServer } from './redis-server';

/** `track:<room>:<name>` tracks the connection in room with meta `{ name }`; `untrack:<room>`. Answered `ok`. */
@WebSocketService({ path: '/presence' })
class PresenceCommands {
  @OnText() onText(caller: Caller, text: string): string {
    const [command, room, name] = text.split(':');
    if (command === 'track') caller.track(room, { name });
    else if (command === 'untrack') caller.untrack(room);
    return 'ok';
  }
}

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function command(client: WebSocketClient, text: string): Promise<void> {
  await client.writeTextMessage(text);
  expect(await client.readTextMessage()).toBe('ok');
}

/** The names tracked in `room`, as `app` sees the cluster's presence. */
async function names(app: TestApp, room: string): Promise<string[]> {
  const entries = await app.registry.presence(room);
  return entries.flatMap((entry) => entry.metas.map((meta) => String(meta.name))).sort();
}

let redis: RedisServer;
let admin: Redis;
const apps: TestApp[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
  admin = new Redis(redis.url);
});
afterEach(async () => {
  for (const app of apps.splice(0).reverse()) await app.close();
});
afterAll(async () => {
  await admin?.quit();
  await redis?.stop();
});

/** A Duet app on the shared Redis; its connections carry `name`, and reconnect after `retryMs`. */
async function startApp(name: string, retryMs: number, cluster: string): Promise<TestApp> {
  const backplane = new RedisBackplane({
    url: redis.url,
    channel: `${cluster}:broadcast`,
    keyPrefix: `${cluster}:`,
    logger: quiet,
    redis: { connectionName: name, retryStrategy: () => retryMs },
  });
  const app = await createTestApp({ services: [PresenceCommands], backplane, bindings: [[LOGGER, quiet]] });
  apps.push(app);
  return app;
}

/** Drops one connection of the app whose connections are named `name`: its subscriber (`pubsub`) or its publisher (`normal`). */
async function kill(name: string, type: 'pubsub' | 'normal'): Promise<void> {
  const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', type));
  const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
  if (line === undefined) throw new Error(`no ${type} connection named ${name} in:\n${list}`);
  await admin.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(line)![1]);
}

describe('presence after a dropped subscription', () => {
  it('rebuilds the replicas of the other nodes once reconnected, and tells listeners the joins and leaves it missed', async () => {
    const cluster = `presence-outage:${Date.now()}`;
    const one = await startApp('one', 50, cluster);
    // Two stays cut off for a while after its subscription drops: long enough for one to change.
    const two = await startApp('two', 800, cluster);
    const ann = await one.client('/presence');
    await command(ann, 'track:lobby:ann');
    await eventually(async () => (await names(two, 'lobby')).join() === 'ann', 3000, 'two to see ann');
    const diffs: PresenceDiff[] = [];
    two.registry.onPresence('lobby', (diff) => diffs.push(diff));

    await kill('two', 'pubsub');
    await eventually(() => !two.registry.stats().backplane.connected, 2000, 'two to see its subscription drop');
    const bob = await one.client('/presence');
    await command(bob, 'track:lobby:bob');
    await command(ann, 'untrack:lobby');
    expect(await names(one, 'lobby')).toEqual(['bob']);

    await eventually(() => two.registry.stats().backplane.connected, 3000, 'two to reconnect');
    await eventually(async () => (await names(two, 'lobby')).join() === 'bob', 3000, "two's presence of lobby to be rebuilt");
    // One diff with both changes: the two signals never arrived (each would be a diff of its
    // own); one's presence-state answer did.
    expect(diffs).toHaveLength(1);
    expect(diffs[0].room).toBe('lobby');
    expect(diffs[0].joins.flatMap((entry) => entry.metas.map((meta) => meta.name))).toEqual(['bob']);
    expect(diffs[0].leaves.flatMap((entry) => entry.metas.map((meta) => meta.name))).toEqual(['ann']);
  }, 20000);

  it('tells the other nodes its whole presence once reconnected, so what changed while its publisher was down reaches them', async () => {
    const cluster = `presence-outage:${Date.now()}`;
    const one = await startApp('one', 50, cluster);
    const two = await startApp('two', 800, cluster);
    const ann = await two.client('/presence');
    await command(ann, 'track:lobby:ann');
    await eventually(async () => (await names(one, 'lobby')).join() === 'ann', 3000, 'one to see ann');
    const diffs: PresenceDiff[] = [];
    one.registry.onPresence('lobby', (diff) => diffs.push(diff));

    await kill('two', 'normal');
    await eventually(() => !two.registry.stats().backplane.connected, 2000, 'two to see its publisher drop');
    const bob = await two.client('/presence');
    await command(bob, 'track:lobby:bob');
    await command(ann, 'untrack:lobby');
    // Refused and counted, not queued: one can only learn of them from two's state.
    expect(two.registry.stats().backplane.undelivered).toBe(2);

    await eventually(() => two.registry.stats().backplane.connected, 3000, 'two to reconnect');
    await eventually(async () => (await names(one, 'lobby')).join() === 'bob', 3000, "one's presence of lobby to be rebuilt");
    expect(diffs).toHaveLength(1);
    expect(diffs[0].joins.flatMap((entry) => entry.metas.map((meta) => meta.name))).toEqual(['bob']);
    expect(diffs[0].leaves.flatMap((entry) => entry.metas.map((meta) => meta.name))).toEqual(['ann']);
  }, 20000);
});
