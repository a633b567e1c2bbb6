// Presence over the cluster: who is tracked in a room, the diffs, the leaves of a node that goes
// away, and the `$presence_state` / `$presence_diff` frames a `presenceEvents` service sends,
// with one app and with three apps sharing an InMemoryBus, over real sockets.
import {
  type BackplaneMessage,
  type BackplaneNode,
  type ClusterSignal,
  InMemoryBackplane,
  InMemoryBus,
  InvalidArgumentError,
  type PresenceDiff,
  type PresenceEntry,
} from '@duet/websocket';
import { closeTestApps, createTestApp } from '@duet/testing';
import { cleanup, eventually, pause } from './helpers';
import { SERVICES, command, connectPeer, startCluster, takeFrames } from './cluster-support';

afterEach(cleanup);
afterEach(closeTestApps);

/** key → the connection ids of its metas, sorted: what a presence list says, without order. */
function summary(entries: readonly PresenceEntry[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const { key, metas } of entries) result[key] = [...(result[key] ?? []), ...metas.map((meta) => meta.connectionId)].sort();
  return result;
}

/**
 * An in-memory backplane whose link can be cut, as Redis connections drop: while cut, the other
 * nodes' broadcasts and signals do not reach its node, and its own signals are lost;
 * `reconnect()` tells its node it is connected again, as RedisBackplane does after an outage.
 */
class CuttableBackplane extends InMemoryBackplane {
  cut = false;
  private node: BackplaneNode | undefined;

  override start(nodeId: string, node: BackplaneNode): Promise<void> {
    this.node = node;
    const link: BackplaneNode = {
      deliver: (message: BackplaneMessage) => {
        if (!this.cut) node.deliver(message);
      },
      signal: (signal: ClusterSignal) => {
        if (!this.cut) node.signal(signal);
      },
      answer: (request) => node.answer(request),
      nodesLeft: (nodes) => node.nodesLeft(nodes),
    };
    return super.start(nodeId, link);
  }

  override signal(kind: string, body: unknown): void {
    if (!this.cut) super.signal(kind, body);
  }

  reconnect(): void {
    this.cut = false;
    this.node!.reconnected?.();
  }
}

function diffSummary(diff: PresenceDiff): { joins: Record<string, string[]>; leaves: Record<string, string[]> } {
  return { joins: summary(diff.joins), leaves: summary(diff.leaves) };
}

describe('presence', () => {
  it('on one app, lists tracked connections by key (the principal, else the connection id), with their metas', async () => {
    const app = await createTestApp({ services: SERVICES });
    const tab1 = await connectPeer(app, '/users?name=ann');
    const tab2 = await connectPeer(app, '/users?name=ann');
    const anon = await connectPeer(app, '/anon');
    const joinedOnly = await connectPeer(app, '/anon');
    await command(tab1, 'track:lobby:{"device":"phone"}');
    await command(tab2, 'track:lobby:{"device":"laptop"}');
    await command(anon, 'track:lobby');
    await command(joinedOnly, 'join:lobby');
    const presence = await app.registry.presence('lobby');
    expect(summary(presence)).toEqual({ ann: [tab1.id, tab2.id].sort(), [anon.id]: [anon.id] });
    const ann = presence.find((entry) => entry.key === 'ann')!;
    expect(ann.metas).toContainEqual({ device: 'phone', connectionId: tab1.id, node: app.registry.nodeId });
    expect(ann.metas).toContainEqual({ device: 'laptop', connectionId: tab2.id, node: app.registry.nodeId });
    // track joins the room; untrack keeps it there; leave and close untrack.
    expect([...app.registry.get(anon.id)!.rooms()]).toEqual(['lobby']);
    await command(anon, 'untrack:lobby');
    expect([...app.registry.get(anon.id)!.rooms()]).toEqual(['lobby']);
    await command(tab1, 'leave:lobby');
    tab2.client.socket.close(1000);
    await eventually(() => app.registry.count() === 3, 2000, 'the tab to close');
    expect(await app.registry.presence('lobby')).toEqual([]);
  });

  it('over three apps, lists every node\'s tracked connections, one key for several tabs of one user', async () => {
    const { apps } = await startCluster(3);
    const [one, two, three] = apps;
    const tab1 = await connectPeer(one, '/users?name=ann');
    const tab2 = await connectPeer(three, '/users?name=ann');
    const bob = await connectPeer(two, '/users?name=bob');
    await command(tab1, 'track:lobby:{"tab":1}');
    await command(tab2, 'track:lobby:{"tab":2}');
    await command(bob, 'track:lobby');
    for (const app of apps) {
      const presence = await app.registry.presence('lobby');
      expect(summary(presence)).toEqual({ ann: [tab1.id, tab2.id].sort(), bob: [bob.id] });
      expect(presence.find((entry) => entry.key === 'ann')!.metas).toContainEqual({ tab: 2, connectionId: tab2.id, node: three.registry.nodeId });
    }
  });

  it('tells onPresence listeners on every app each join and leave once: track, re-track, untrack, leave, close', async () => {
    const { apps } = await startCluster(3);
    const [one, two, three] = apps;
    const heard: PresenceDiff[][] = apps.map(() => []);
    apps.forEach((app, i) => app.registry.onPresence('lobby', (diff) => heard[i].push(diff)));
    const other: PresenceDiff[] = [];
    const stop = one.registry.onPresence('kitchen', (diff) => other.push(diff));
    const ann = await connectPeer(two, '/users?name=ann');
    const anon = await connectPeer(three, '/anon');
    await command(ann, 'track:lobby:{"v":1}');
    await command(ann, 'track:lobby:{"v":2}');
    await command(anon, 'track:lobby');
    await command(anon, 'untrack:lobby');
    await command(anon, 'track:lobby');
    await command(anon, 'leave:lobby');
    await command(ann, 'track:kitchen');
    ann.client.socket.close(1000);
    await eventually(() => two.registry.count() === 0, 2000, 'ann to close');
    const expected = [
      { joins: { ann: [ann.id] }, leaves: {} },
      { joins: { ann: [ann.id] }, leaves: { ann: [ann.id] } },
      { joins: { [anon.id]: [anon.id] }, leaves: {} },
      { joins: {}, leaves: { [anon.id]: [anon.id] } },
      { joins: { [anon.id]: [anon.id] }, leaves: {} },
      { joins: {}, leaves: { [anon.id]: [anon.id] } },
      { joins: {}, leaves: { ann: [ann.id] } },
    ];
    for (const diffs of heard) expect(diffs.map(diffSummary)).toEqual(expected);
    expect(heard[0][1].leaves[0].metas[0]).toMatchObject({ v: 1 });
    expect(heard[0][1].joins[0].metas[0]).toMatchObject({ v: 2 });
    expect(other.map(diffSummary)).toEqual([
      { joins: { ann: [ann.id] }, leaves: {} },
      { joins: {}, leaves: { ann: [ann.id] } },
    ]);
    stop();
    const later = await connectPeer(three, '/anon');
    await command(later, 'track:kitchen');
    expect(other).toHaveLength(2);
    expect(heard[0].every((diff) => diff.room === 'lobby')).toBe(true);
  });

  it('gives an app that starts later the presence of the apps already running', async () => {
    const { apps, bus } = await startCluster(2);
    const ann = await connectPeer(apps[0], '/users?name=ann');
    const bob = await connectPeer(apps[1], '/users?name=bob');
    await command(ann, 'track:lobby');
    await command(bob, 'track:kitchen:{"cooking":true}');
    const late = await createTestApp({ services: SERVICES, backplane: new InMemoryBackplane(bus) });
    expect(summary(await late.registry.presence('lobby'))).toEqual({ ann: [ann.id] });
    expect(await late.registry.presence('kitchen')).toEqual([
      { key: 'bob', metas: [{ cooking: true, connectionId: bob.id, node: apps[1].registry.nodeId }] },
    ]);
  });

  it('produces the leaves of a node that stops, and of one that vanishes, on every other node, once per listener', async () => {
    const { apps, backplanes } = await startCluster(3);
    const [one, two, three] = apps;
    const heard: PresenceDiff[][] = [[], [], []];
    apps.forEach((app, i) => app.registry.onPresence('lobby', (diff) => heard[i].push(diff)));
    const onTwo = [await connectPeer(two, '/users?name=ann'), await connectPeer(two, '/users?name=ann')];
    const onThree = await connectPeer(three, '/users?name=bob');
    for (const peer of [...onTwo, onThree]) await command(peer, 'track:lobby');
    const stay = await connectPeer(one, '/users?name=cat');
    await command(stay, 'track:lobby');
    for (const diffs of heard) diffs.length = 0;
    // Three vanishes as a crashed process would: its backplane leaves, its sockets stay open.
    await backplanes[2].stop();
    for (const i of [0, 1]) expect(heard[i].map(diffSummary)).toEqual([{ joins: {}, leaves: { bob: [onThree.id] } }]);
    expect(summary(await one.registry.presence('lobby'))).toEqual({ ann: onTwo.map((peer) => peer.id).sort(), cat: [stay.id] });
    // Two stops: its connections close and their leaves reach one.
    await two.close();
    expect(heard[0].slice(1).flatMap((diff) => diff.leaves.flatMap((entry) => entry.metas.map((meta) => meta.connectionId))).sort()).toEqual(
      onTwo.map((peer) => peer.id).sort(),
    );
    expect(heard[0].slice(1).every((diff) => diff.joins.length === 0)).toBe(true);
    expect(summary(await one.registry.presence('lobby'))).toEqual({ cat: [stay.id] });
    await three.close();
    await pause(30);
    expect(heard[0].flatMap((diff) => diff.leaves).filter((entry) => entry.key === 'bob')).toHaveLength(1);
  });

  it('after its backplane reconnects, tells the other apps its presence and asks for theirs; each side hears what it missed as one diff', async () => {
    const bus = new InMemoryBus();
    const one = await createTestApp({ services: SERVICES, backplane: new InMemoryBackplane(bus) });
    const cuttable = new CuttableBackplane(bus);
    const two = await createTestApp({ services: SERVICES, backplane: cuttable });
    const ann = await connectPeer(one, '/users?name=ann');
    const bob = await connectPeer(one, '/users?name=bob');
    const watcher = await connectPeer(two, '/presence?name=eve');
    await command(ann, 'track:lobby');
    await command(watcher, 'join:lobby');
    const heard: PresenceDiff[] = [];
    two.registry.onPresence('lobby', (diff) => heard.push(diff));
    const heardOnOne: PresenceDiff[] = [];
    one.registry.onPresence('lobby', (diff) => heardOnOne.push(diff));

    cuttable.cut = true;
    await command(ann, 'untrack:lobby');
    await command(bob, 'track:lobby');
    const cal = await connectPeer(two, '/users?name=cal');
    await command(cal, 'track:lobby');
    // Stale both ways: the signals were lost.
    expect(summary(await two.registry.presence('lobby'))).toEqual({ ann: [ann.id], cal: [cal.id] });
    expect(summary(await one.registry.presence('lobby'))).toEqual({ bob: [bob.id] });
    heardOnOne.length = 0;
    await watcher.client.until(() => watcher.client.messages.length === 1, 2000, "cal's join");
    takeFrames(watcher.client);
    cuttable.reconnect();
    await eventually(() => heard.length > 1, 2000, 'two to ask again');
    expect(summary(await two.registry.presence('lobby'))).toEqual({ bob: [bob.id], cal: [cal.id] });
    expect(summary(await one.registry.presence('lobby'))).toEqual({ bob: [bob.id], cal: [cal.id] });
    expect(heard.slice(1).map(diffSummary)).toEqual([{ joins: { bob: [bob.id] }, leaves: { ann: [ann.id] } }]);
    expect(heardOnOne.map(diffSummary)).toEqual([{ joins: { cal: [cal.id] }, leaves: {} }]);
    // A presenceEvents member hears the same, as one $presence_diff.
    await watcher.client.until(() => watcher.client.messages.length === 1, 2000, 'the diff');
    expect(takeFrames(watcher.client)).toEqual([
      {
        type: '$presence_diff',
        room: 'lobby',
        joins: [{ key: 'bob', metas: [{ connectionId: bob.id, node: one.registry.nodeId }] }],
        leaves: [{ key: 'ann', metas: [{ connectionId: ann.id, node: one.registry.nodeId }] }],
      },
    ]);
  });

  it('refuses a meta that is not a plain JSON object, and a bad room or listener, with InvalidArgumentError', async () => {
    const app = await createTestApp({ services: SERVICES });
    const peer = await connectPeer(app, '/anon');
    const caller = app.registry.get(peer.id)!;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const attempt of [
      () => caller.track('lobby', cyclic),
      () => caller.track('lobby', [1, 2] as never),
      () => caller.track('lobby', 'online' as never),
      () => caller.track(7 as never),
      () => app.registry.onPresence('lobby', 'listener' as never),
      () => app.registry.onPresence(1 as never, () => {}),
    ]) {
      expect(attempt).toThrow(InvalidArgumentError);
    }
    await expect(app.registry.presence(3 as never)).rejects.toMatchObject({ code: 'DUET_ERR_INVALID_ARGUMENT' });
    expect(await app.registry.presence('lobby')).toEqual([]);
    expect([...caller.rooms()]).toEqual([]);
  });
});

describe('presenceEvents', () => {
  it('sends $presence_state on join and $presence_diff on each change, to members of the room on every app, as they arrive on the wire', async () => {
    const { apps } = await startCluster(3);
    const [one, two, three] = apps;
    const ann = await connectPeer(one, '/presence?name=ann');
    // The first in the room: an empty state, then its own join.
    expect(await command(ann, 'track:lobby:{"s":"here"}')).toEqual([
      { type: '$presence_state', room: 'lobby', presences: [] },
      { type: '$presence_diff', room: 'lobby', joins: [{ key: 'ann', metas: [{ s: 'here', connectionId: ann.id, node: one.registry.nodeId }] }], leaves: [] },
    ]);
    const bob = await connectPeer(two, '/presence?name=bob');
    const watcher = await connectPeer(three, '/presence?name=eve');
    const anon = await connectPeer(three, '/anon');
    await command(anon, 'join:lobby'); // no presenceEvents on its service: it gets none
    // A plain join gets the state (ann, on another app); tracking comes as a diff.
    expect(await command(watcher, 'join:lobby')).toEqual([
      { type: '$presence_state', room: 'lobby', presences: [{ key: 'ann', metas: [{ s: 'here', connectionId: ann.id, node: one.registry.nodeId }] }] },
    ]);
    await command(bob, 'track:lobby');
    const bobJoin = { type: '$presence_diff', room: 'lobby', joins: [{ key: 'bob', metas: [{ connectionId: bob.id, node: two.registry.nodeId }] }], leaves: [] };
    await watcher.client.until(() => watcher.client.messages.length === 1, 2000, "bob's join");
    expect(takeFrames(watcher.client)).toEqual([bobJoin]);
    await ann.client.until(() => ann.client.messages.length === 1, 2000, "bob's join");
    expect(takeFrames(ann.client)).toEqual([bobJoin]);
    bob.client.socket.close(1000);
    const bobLeave = { type: '$presence_diff', room: 'lobby', joins: [], leaves: [{ key: 'bob', metas: [{ connectionId: bob.id, node: two.registry.nodeId }] }] };
    await watcher.client.until(() => watcher.client.messages.length === 1, 2000, "bob's leave");
    expect(takeFrames(watcher.client)).toEqual([bobLeave]);
    await ann.client.until(() => ann.client.messages.length === 1, 2000, "bob's leave");
    expect(takeFrames(ann.client)).toEqual([bobLeave]);
    // A member that left the room hears nothing more of it.
    await command(watcher, 'leave:lobby');
    expect(await command(ann, 'untrack:lobby')).toEqual([
      { type: '$presence_diff', room: 'lobby', joins: [], leaves: [{ key: 'ann', metas: [{ s: 'here', connectionId: ann.id, node: one.registry.nodeId }] }] },
    ]);
    await pause(50);
    expect([watcher.client.messages, anon.client.messages]).toEqual([[], []]);
  });
});
