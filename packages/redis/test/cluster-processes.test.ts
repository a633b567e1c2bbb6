// Three Duet processes on one real redis-server act as one server: cluster-wide membership and
// counts, presence (state, diffs, events on the wire, a SIGKILLed process's leaves), remote
// disconnect/join/leave, and targets over several rooms with exceptions and a filter, each
// connection reached once. (The same behaviour in one process, on the in-memory backplane:
// packages/websocket/test/cluster*.test.ts.)
import WebSocket from 'ws';
import { DuetProcess, TextRecorder, eventually, pause } from './cluster-helpers';
import { RedisServer } from './redis-server';

const FIXTURE = 'cluster-node.ts';
/** Seconds of liveness: a SIGKILLed process is reported gone within about this. */
const COUNT_TTL = 1;

/** A connection to one process: its id, its frames, and the fixture's commands. */
class Peer extends TextRecorder {
  closed: { code: number; reason: string } | undefined;
  id = '';

  private constructor(socket: WebSocket) {
    super(socket);
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async connect(node: DuetProcess, path: string): Promise<Peer> {
    const peer = new Peer(new WebSocket(`ws://127.0.0.1:${node.port}${path}`));
    await eventually(() => peer.texts.some((text) => text.startsWith('id:')) || peer.closed !== undefined, 5000, `a connection to ${path}`);
    if (peer.closed !== undefined) throw new Error(`${path} closed at once: ${JSON.stringify(peer.closed)}`);
    peer.id = peer.texts.find((text) => text.startsWith('id:'))!.slice(3);
    opened.push(peer);
    return peer;
  }

  /** Sends a command and waits for its `ok:`. */
  async command(text: string): Promise<void> {
    const seen = this.texts.length;
    this.socket.send(text);
    await eventually(() => this.texts.slice(seen).includes(`ok:${text}`), 3000, `ok:${text}`);
  }

  /** Asks the registry of this peer's process; resolves with the JSON answer. */
  async q<T = unknown>(question: Record<string, unknown>): Promise<T> {
    const seen = this.texts.length;
    this.socket.send(`q:${JSON.stringify(question)}`);
    let answer: string | undefined;
    await eventually(() => (answer = this.texts.slice(seen).find((text) => text.startsWith('a:'))) !== undefined, 5000, `an answer to ${question.op}`);
    return JSON.parse(answer!.slice(2)) as T;
  }

  /** The JSON frames with this `type`, e.g. '$presence_diff'. */
  events(type: string): Record<string, unknown>[] {
    return this.texts.filter((text) => text.startsWith('{')).map((text) => JSON.parse(text)).filter((frame) => frame.type === type);
  }

  /** Frames that are neither greetings, command answers nor events. */
  get chat(): string[] {
    return this.texts.filter((text) => !/^(id:|ok:|a:|\{)/.test(text));
  }
}

let redis: RedisServer;
let nodes: DuetProcess[] = [];
const opened: Peer[] = [];

beforeEach(async () => {
  redis ??= await RedisServer.start();
  nodes = await Promise.all([0, 1, 2].map(() => DuetProcess.start(redis.url, { COUNT_TTL: String(COUNT_TTL) }, FIXTURE)));
}, 60000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((peer) => peer.close()));
  await Promise.all(nodes.map((node) => node.stop()));
});

afterAll(() => redis?.stop());

const sorted = <T>(items: T[], by: (item: T) => string) => [...items].sort((a, b) => by(a).localeCompare(by(b)));

describe('three Duet processes on one Redis', () => {
  it('list and count the members of a room across every process, and find a connection wherever it is', async () => {
    const [a, b, c] = nodes;
    const ann = await Peer.connect(a, '/users?name=ann');
    const anon = await Peer.connect(b, '/anon');
    const bob = await Peer.connect(c, '/users?name=bob');
    await ann.command('join:lobby');
    await anon.command('join:lobby');
    await bob.command('join:kitchen');

    const members = await bob.q<{ connectionId: string; node: string; principal?: string }[]>({ op: 'members', room: 'lobby' });
    expect(sorted(members, (m) => m.connectionId)).toEqual(
      sorted(
        [
          { connectionId: ann.id, node: expect.any(String), principal: 'ann' },
          { connectionId: anon.id, node: expect.any(String) },
        ],
        (m) => m.connectionId,
      ),
    );
    expect(members.find((m) => m.connectionId === ann.id)!.node).not.toBe(members.find((m) => m.connectionId === anon.id)!.node);
    expect(await bob.q({ op: 'count', room: 'lobby' })).toBe(2);
    expect(await ann.q({ op: 'count', room: 'kitchen' })).toBe(1);
    // Every process's count, written within half a second of a change.
    await eventually(async () => (await anon.q({ op: 'count' })) === 3, 5000, 'a cluster count of 3');
    expect(await ann.q({ op: 'has', id: bob.id })).toBe(true);

    await bob.close();
    await eventually(async () => (await ann.q({ op: 'has', id: bob.id })) === false, 3000, 'bob to be gone');
    await eventually(async () => (await anon.q({ op: 'count' })) === 2, 5000, 'a cluster count of 2');
  });

  it('keeps presence over the processes: one key per user with a meta per tab, diffs to listeners and as events, and the leaves of a SIGKILLed process', async () => {
    const [a, b, c] = nodes;
    const watcher = await Peer.connect(a, '/anon');
    await watcher.q({ op: 'watch', room: 'lobby' });
    const annTab1 = await Peer.connect(a, '/users?name=ann');
    const annTab2 = await Peer.connect(b, '/users?name=ann');
    const carl = await Peer.connect(c, '/users?name=carl');
    await annTab1.command('track:lobby:{"device":"laptop"}');
    await annTab2.command('track:lobby:{"device":"phone"}');
    await carl.command('track:lobby');

    const presence = async (peer: Peer) =>
      sorted(await peer.q<{ key: string; metas: { connectionId: string; device?: string }[] }[]>({ op: 'presence', room: 'lobby' }), (e) => e.key).map(
        (entry) => ({ key: entry.key, metas: sorted(entry.metas, (m) => m.connectionId).map((m) => ({ connectionId: m.connectionId, device: m.device })) }),
      );
    const expected = [
      { key: 'ann', metas: sorted([{ connectionId: annTab1.id, device: 'laptop' }, { connectionId: annTab2.id, device: 'phone' }], (m) => m.connectionId) },
      { key: 'carl', metas: [{ connectionId: carl.id, device: undefined }] },
    ];
    // Each process sees the same state (b from its own replica of a's and c's).
    await eventually(async () => JSON.stringify(await presence(annTab2)) === JSON.stringify(expected), 3000, 'the presence on b');
    expect(await presence(watcher)).toEqual(expected);
    expect(await presence(carl)).toEqual(expected);

    // The listener on a heard three joins, from three processes.
    const diffs = () => a.output.split('\n').filter((line) => line.startsWith('presence ')).map((line) => JSON.parse(line.slice(9)));
    await eventually(() => diffs().length >= 3, 3000, 'three diffs on the watcher');
    expect(diffs().flatMap((diff) => diff.joins.map((entry: { key: string }) => entry.key)).sort()).toEqual(['ann', 'ann', 'carl']);

    // Events on the wire: carl (tracked last) got the state with ann's two tabs, then its own join; ann's first tab heard carl join.
    const carlState = carl.events('$presence_state').at(-1)!;
    expect(carlState.room).toBe('lobby');
    expect((carlState.presences as { key: string; metas: unknown[] }[]).map((entry) => [entry.key, entry.metas.length])).toEqual([['ann', 2]]);
    expect(carl.events('$presence_diff').map((diff) => (diff.joins as { key: string }[]).map((entry) => entry.key))).toEqual([['carl']]);
    await eventually(() => annTab1.events('$presence_diff').some((diff) => (diff.joins as { key: string }[]).some((entry) => entry.key === 'carl')), 3000, 'ann to hear carl join');

    // c dies without a word: every other process produces carl's leave within the liveness window.
    const killedAt = Date.now();
    await c.crash();
    await eventually(() => diffs().some((diff) => diff.leaves.some((entry: { key: string }) => entry.key === 'carl')), COUNT_TTL * 1000 * 3, "carl's leave on a");
    expect(Date.now() - killedAt).toBeLessThan(COUNT_TTL * 1000 * 2.5);
    await eventually(() => annTab2.events('$presence_diff').some((diff) => (diff.leaves as { key: string }[]).some((entry) => entry.key === 'carl')), 3000, 'ann on b to hear carl leave');
    expect((await presence(watcher)).map((entry) => entry.key)).toEqual(['ann']);
    expect((await presence(annTab2)).map((entry) => entry.key)).toEqual(['ann']);
    expect(diffs().flatMap((diff) => diff.leaves.map((entry: { key: string }) => entry.key))).toEqual(['carl']);

    // One tab closing leaves ann present with one meta.
    await annTab1.close();
    await eventually(async () => JSON.stringify((await presence(annTab2))[0]?.metas.map((m) => m.connectionId)) === JSON.stringify([annTab2.id]), 3000, 'one tab of ann');
  });

  it('disconnects, joins and leaves connections held by other processes', async () => {
    const [a, b, c] = nodes;
    const admin = await Peer.connect(a, '/anon');
    const onB = await Peer.connect(b, '/anon');
    const onC = await Peer.connect(c, '/users?name=cy');
    await onB.command('join:red');
    await onC.command('join:red');

    expect(await admin.q({ op: 'join', to: ['red'], room: 'blue' })).toBe(2);
    expect(await admin.q({ op: 'count', room: 'blue' })).toBe(2);
    expect(await admin.q({ op: 'leave', to: [onB.id], room: 'blue' })).toBe(1);
    expect((await admin.q<{ connectionId: string }[]>({ op: 'members', room: 'blue' })).map((m) => m.connectionId)).toEqual([onC.id]);

    expect(await admin.q({ op: 'disconnect', id: onC.id, code: 4001, reason: 'bye' })).toBe(true);
    await eventually(() => onC.closed !== undefined, 3000, 'the remote close');
    expect(onC.closed).toEqual({ code: 4001, reason: 'bye' });
    expect(await admin.q({ op: 'disconnect', id: onC.id })).toBe(false);

    expect(await admin.q({ op: 'kick', to: ['red'], code: 4002, reason: 'room closed' })).toBe(1);
    await eventually(() => onB.closed !== undefined, 3000, 'the room kick');
    expect(onB.closed).toEqual({ code: 4002, reason: 'room closed' });
  });

  it('sends to several rooms once per connection, without the excepted rooms and connections, and through a filter run where each connection lives', async () => {
    const [a, b, c] = nodes;
    const sender = await Peer.connect(a, '/anon');
    const peers = await Promise.all([a, b, c].flatMap((node) => [Peer.connect(node, '/anon'), Peer.connect(node, '/anon'), Peer.connect(node, '/anon')]));
    // On each process: one in both rooms, one in 'x' only, one in 'y' and the muted room.
    for (let i = 0; i < peers.length; i += 3) {
      await peers[i].command('join:x');
      await peers[i].command('join:y');
      await peers[i + 1].command('join:x');
      await peers[i + 2].command('join:y');
      await peers[i + 2].command('join:muted');
    }
    const excepted = peers[3]; // on b, in both rooms
    const result = await sender.q<{ sent: number }>({ op: 'send', to: ['x', 'y'], except: ['muted', excepted.id], text: 'union' });
    expect(result.sent).toBe(2); // the sender's own process: peers[0] and peers[1]
    const reached = peers.filter((peer) => peer !== excepted && peers.indexOf(peer) % 3 !== 2);
    await eventually(() => reached.every((peer) => peer.chat.length >= 1), 3000, 'the union');
    await pause(200); // room for a duplicate to show up
    for (const peer of peers) expect([peers.indexOf(peer), peer.chat]).toEqual([peers.indexOf(peer), reached.includes(peer) ? ['union'] : []]);

    // The filter runs on each process for its own connections: only the marked ones get it.
    await peers[1].command('mark:yes');
    await peers[7].command('mark:yes');
    await peers[8].command('mark:no');
    await sender.q({ op: 'send', to: ['x', 'y'], marked: 'yes', text: 'filtered' });
    await eventually(() => peers[7].chat.includes('filtered'), 3000, 'the filtered message on c');
    await pause(200);
    expect(peers.filter((peer) => peer.chat.includes('filtered'))).toEqual([peers[1], peers[7]]);
  });
});
