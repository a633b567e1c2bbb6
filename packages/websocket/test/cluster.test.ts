// The cluster as one server: membership, remote operations and richer targets, with one app and
// with three apps sharing an InMemoryBus (a cluster in one process), over real sockets.
import { type Caller, InMemoryBackplane, InvalidArgumentError } from '@duet/websocket';
import { closeTestApps, createTestApp } from '@duet/testing';
import { cleanup, eventually, pause } from './helpers';
import { SERVICES, command, connectPeer, startCluster } from './cluster-support';

afterEach(cleanup);
afterEach(closeTestApps);

/** `count` apps from the cluster's, round robin: with one app, every role is played by it. */
function spread<T>(apps: T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => apps[i % apps.length]);
}

const byId = (a: { connectionId: string }, b: { connectionId: string }) => a.connectionId.localeCompare(b.connectionId);

describe('cluster membership', () => {
  it('on one app, lists the members of a room with their node and principal, counts them, and finds connections', async () => {
    const app = await createTestApp({ services: SERVICES });
    const ann = await connectPeer(app, '/users?name=ann');
    const anon = await connectPeer(app, '/anon');
    await command(ann, 'join:lobby');
    await command(anon, 'join:lobby');
    const members = await app.registry.cluster.membersOf('lobby');
    expect(members.sort(byId)).toEqual(
      [
        { connectionId: ann.id, node: app.registry.nodeId, principal: 'ann' },
        { connectionId: anon.id, node: app.registry.nodeId },
      ].sort(byId),
    );
    expect(await app.registry.cluster.count('lobby')).toBe(2);
    expect(await app.registry.cluster.count('nowhere')).toBe(0);
    expect(await app.registry.cluster.count()).toBe(2);
    expect(await app.registry.cluster.has(ann.id)).toBe(true);
    expect(await app.registry.cluster.has('no-such-connection')).toBe(false);
  });

  it('over three apps, merges every node\'s members and counts, and forgets a closed connection', async () => {
    const { apps } = await startCluster(3);
    const [one, two, three] = apps;
    const ann = await connectPeer(one, '/users?name=ann');
    const bob = await connectPeer(two, '/users?name=bob');
    const tab = await connectPeer(three, '/users?name=bob');
    const anon = await connectPeer(three, '/anon');
    for (const peer of [ann, bob, tab]) await command(peer, 'join:lobby');
    await command(anon, 'join:kitchen');
    for (const app of apps) {
      const members = await app.registry.cluster.membersOf('lobby');
      expect(members.sort(byId)).toEqual(
        [
          { connectionId: ann.id, node: one.registry.nodeId, principal: 'ann' },
          { connectionId: bob.id, node: two.registry.nodeId, principal: 'bob' },
          { connectionId: tab.id, node: three.registry.nodeId, principal: 'bob' },
        ].sort(byId),
      );
      expect(await app.registry.cluster.count('lobby')).toBe(3);
      expect(await app.registry.cluster.count('kitchen')).toBe(1);
      expect(await app.registry.cluster.count()).toBe(4);
      expect(app.registry.clusterCount()).resolves.toBe(4);
    }
    expect(one.registry.membersOf('lobby')).toHaveLength(1);
    expect(one.registry.get(bob.id)).toBeUndefined();
    expect(await one.registry.cluster.has(bob.id)).toBe(true);
    bob.client.socket.close(1000);
    await bob.client.waitClosed();
    await eventually(() => two.registry.count() === 0, 2000, 'bob to be gone');
    expect(await one.registry.cluster.has(bob.id)).toBe(false);
    expect(await three.registry.cluster.count('lobby')).toBe(2);
  });

  it('rejects a room or id that is not a string with InvalidArgumentError', async () => {
    const app = await createTestApp({ services: SERVICES });
    const cluster = app.registry.cluster;
    for (const attempt of [() => cluster.membersOf(5 as never), () => cluster.count(null as never), () => cluster.has({} as never)]) {
      await expect(attempt()).rejects.toMatchObject({ name: 'InvalidArgumentError', code: 'DUET_ERR_INVALID_ARGUMENT' });
    }
  });
});

describe('remote operations', () => {
  it.each([1, 3])('disconnects a connection on any app with the code and reason the client sees; false for an unknown id (%i apps)', async (size) => {
    const apps = spread((await startCluster(size)).apps, 3);
    const far = await connectPeer(apps[2], '/anon');
    const near = await connectPeer(apps[0], '/anon');
    expect(await apps[0].registry.disconnect(far.id, 4001, 'moved elsewhere')).toBe(true);
    expect(await far.client.waitClosed()).toEqual({ code: 4001, reason: 'moved elsewhere' });
    expect(await apps[1].registry.disconnect('no-such-connection')).toBe(false);
    expect(await apps[1].registry.disconnect(near.id)).toBe(true);
    expect(await near.client.waitClosed()).toEqual({ code: 1000, reason: '' });
  });

  it('rejects a bad close code or reason with InvalidArgumentError, closing nothing', async () => {
    const { apps } = await startCluster(2);
    const peer = await connectPeer(apps[1], '/anon');
    await command(peer, 'join:lobby');
    const registry = apps[0].registry;
    const attempts = [
      () => registry.disconnect(peer.id, 999),
      () => registry.disconnect(peer.id, 1005),
      () => registry.disconnect(peer.id, 4000, 'x'.repeat(124)),
      () => registry.disconnect(42 as never),
      () => registry.to('lobby').disconnect(1006),
      () => registry.to('lobby').disconnect(1000, 7 as never),
      () => registry.to('lobby').join(3 as never),
      () => registry.to('lobby').leave(undefined as never),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({ name: 'InvalidArgumentError', code: 'DUET_ERR_INVALID_ARGUMENT' });
    }
    await pause(30);
    expect(peer.client.socket.readyState).toBe(peer.client.socket.OPEN);
    expect(await registry.cluster.count('lobby')).toBe(1);
  });

  it.each([1, 3])('makes connections on every app join and leave a room, and counts them over the cluster (%i apps)', async (size) => {
    const [one, two, three] = spread((await startCluster(size)).apps, 3);
    const ann = await connectPeer(one, '/users?name=ann');
    const bob = await connectPeer(two, '/users?name=bob');
    const cat = await connectPeer(three, '/anon');
    for (const peer of [ann, bob, cat]) await command(peer, 'join:lobby');
    expect(await one.registry.to('lobby').except(cat.id).join('vip')).toBe(2);
    expect(await three.registry.cluster.count('vip')).toBe(2);
    expect([...two.registry.get(bob.id)!.rooms()].sort()).toEqual(['lobby', 'vip']);
    // The joined room works as any other: a broadcast from a third app reaches both, once.
    await three.registry.to('vip').writeTextMessage('for vips');
    expect(await ann.client.nextText()).toBe('for vips');
    expect(await bob.client.nextText()).toBe('for vips');
    expect(await two.registry.to(ann.id).leave('vip')).toBe(1);
    expect([...one.registry.get(ann.id)!.rooms()]).toEqual(['lobby']);
    expect(await one.registry.to('vip').disconnect(4002, 'vip closed')).toBe(1);
    expect(await bob.client.waitClosed()).toEqual({ code: 4002, reason: 'vip closed' });
    await pause(30);
    expect([ann.client.messages, cat.client.messages]).toEqual([[], []]);
  });
});

describe('targets', () => {
  it.each([1, 3])('reach each connection of a union of rooms once, on every app, and leave out what except names (%i apps)', async (size) => {
    const [one, two, three] = spread((await startCluster(size)).apps, 3);
    const both = await connectPeer(one, '/anon');
    const bothFar = await connectPeer(two, '/anon');
    const onlyA = await connectPeer(three, '/anon');
    const onlyB = await connectPeer(one, '/anon');
    const muted = await connectPeer(two, '/anon');
    const outside = await connectPeer(three, '/anon');
    for (const peer of [both, bothFar]) {
      await command(peer, 'join:a');
      await command(peer, 'join:b');
    }
    await command(onlyA, 'join:a');
    await command(onlyB, 'join:b');
    await command(muted, 'join:a');
    await command(muted, 'join:muted');
    const result = await one.registry.to(['a', 'b', 'a']).writeTextMessage('union');
    // This app's members of a or b: both and onlyB (all five when it is the only app).
    expect(result).toEqual({ sent: size === 1 ? 5 : 2, skipped: 0 });
    for (const peer of [both, bothFar, onlyA, onlyB, muted]) expect(await peer.client.nextText()).toBe('union');
    // Exceptions accumulate: a room, a connection id, and (on the app that has it) a caller.
    const sender = one.registry.get(onlyB.id) as Caller;
    await one.registry.to(['a', 'b']).except('muted').except([onlyA.id, sender]).writeTextMessage('some');
    for (const peer of [both, bothFar]) expect(await peer.client.nextText()).toBe('some');
    // One room, several left out: on Bun too (whose topic publish can leave out one socket only).
    await one.registry.to('a').except([both.id, 'muted']).writeTextMessage('single room');
    for (const peer of [bothFar, onlyA]) expect(await peer.client.nextText()).toBe('single room');
    await pause(50);
    for (const peer of [both, bothFar, onlyA, onlyB, muted, outside]) expect(peer.client.messages).toEqual([]);
  });

  it.each([1, 2])('take a connection id for a room of one, on any app, and send it once even when it is also in a named room (%i apps)', async (size) => {
    const apps = spread((await startCluster(size)).apps, 2);
    const far = await connectPeer(apps[1], '/anon');
    const other = await connectPeer(apps[1], '/anon');
    await command(far, 'join:a');
    await apps[0].registry.to(far.id).writeMessage({ to: 'you' });
    expect(JSON.parse(await far.client.nextText())).toEqual({ to: 'you' });
    await apps[1].registry.to([far.id, 'a']).writeTextMessage('once');
    expect(await far.client.nextText()).toBe('once');
    await pause(50);
    expect([far.client.messages, other.client.messages]).toEqual([[], []]);
  });

  it.each([1, 3])('run a filter on each app for its own connections, from its source (%i apps)', async (size) => {
    const [one, two, three] = spread((await startCluster(size)).apps, 3);
    const root = await connectPeer(one, '/users?name=root');
    const rootFar = await connectPeer(three, '/users?name=root');
    const ann = await connectPeer(two, '/users?name=ann');
    const marked = await connectPeer(two, '/anon');
    const unmarked = await connectPeer(one, '/anon');
    for (const peer of [root, rootFar, ann, marked]) await command(peer, 'join:lobby');
    await command(marked, 'mark:red');
    const admins = one.registry.to('lobby').filter((caller) => caller.principal?.scopes.includes('admin') === true);
    expect(await admins.writeTextMessage('admins only')).toEqual({ sent: size === 1 ? 2 : 1, skipped: 0 });
    expect(await root.client.nextText()).toBe('admins only');
    expect(await rootFar.client.nextText()).toBe('admins only');
    // Two filters: both must hold. Operations take filters as well.
    const red = three.registry.broadcast().filter((caller) => caller.principal === undefined).filter((caller) => caller.getAttribute('mark') === 'red');
    await red.writeTextMessage('red');
    expect(await marked.client.nextText()).toBe('red');
    expect(await one.registry.to('lobby').filter((caller) => caller.principal?.name === 'ann').join('annex')).toBe(1);
    expect([...two.registry.get(ann.id)!.rooms()].sort()).toEqual(['annex', 'lobby']);
    await pause(50);
    for (const peer of [root, rootFar, ann, marked, unmarked]) expect(peer.client.messages).toEqual([]);
  });

  it.each([1, 2])('leave out the connections a filter throws for, and send to the others (%i apps)', async (size) => {
    const apps = spread((await startCluster(size)).apps, 2);
    const ann = await connectPeer(apps[1], '/users?name=ann');
    const anon = await connectPeer(apps[1], '/anon');
    const warnings: string[] = [];
    apps[1].registry.logger = { debug() {}, info() {}, error() {}, warn: (message) => void warnings.push(message) };
    await apps[0].registry.broadcast().filter((caller) => caller.principal!.name === 'ann').writeTextMessage('for ann');
    await apps[0].registry.broadcast().filter((caller) => caller.principal!.name === 'ann').writeTextMessage('again');
    expect(await ann.client.nextText()).toBe('for ann');
    expect(await ann.client.nextText()).toBe('again');
    await pause(50);
    expect(anon.client.messages).toEqual([]);
    expect(warnings.filter((warning) => warning.includes('filter threw'))).toHaveLength(1);
  });

  it('reach no one with a filter source from another node that does not compile here, logged once', async () => {
    const { apps, bus } = await startCluster(1);
    const peer = await connectPeer(apps[0], '/anon');
    await command(peer, 'join:a');
    const warnings: string[] = [];
    apps[0].registry.logger = { debug() {}, info() {}, error() {}, warn: (message) => void warnings.push(message) };
    // Another publisher on the bus, as anyone who can publish on the backplane could be.
    const intruder = new InMemoryBackplane(bus);
    for (const text of ['one', 'two']) intruder.publish({ origin: 'intruder', rooms: ['a'], filter: 'caller => {', text });
    intruder.publish({ origin: 'intruder', rooms: ['a'], filter: '(caller) => caller.rooms().has("a")', text: 'three' });
    expect(await peer.client.nextText()).toBe('three');
    expect(warnings).toEqual([expect.stringContaining('does not compile here')]);
  });

  it('refuse what they cannot take with InvalidArgumentError, at the call', async () => {
    const app = await createTestApp({ services: SERVICES });
    const registry = app.registry;
    const outside = String(Date.now()); // a value no compiler can inline into the predicate
    const attempts: (() => unknown)[] = [
      () => registry.to(42 as never),
      () => registry.to(['a', 3] as never),
      () => registry.to('a').except({} as never),
      () => registry.to('a').except([null] as never),
      () => registry.to('a').filter('caller => true' as never),
      () => registry.to('a').filter(Math.max as never),
      () => registry.to('a').filter({ method(caller: Caller) { return caller.isOpen(); } }.method),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow(InvalidArgumentError);
    }
    // A closure compiles, but its outer variables are not there where it runs: it reaches no one.
    const peer = await connectPeer(app, '/anon');
    expect(await registry.broadcast().filter(() => outside.length > 0).writeTextMessage('x')).toEqual({ sent: 0, skipped: 0 });
    await pause(30);
    expect(peer.client.messages).toEqual([]);
  });
});
