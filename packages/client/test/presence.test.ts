// Presence reaches @duet/client users: the `$presence_state` / `$presence_diff` events of a
// service with `presenceEvents: true` come to `client.on`, and `PresenceList` folds them into
// who is in the room now — against a real Duet app on 127.0.0.1.
import { z } from 'zod';
import { Caller, OnOpen, WebSocketService } from '@duet/websocket';
import { type PresenceDiff, type PresenceEntry, PresenceList, type PresenceState, createClient, defineContract } from '@duet/client';
import { cleanup, eventually, startApp, track } from './helpers';

afterEach(cleanup);

const lobby = defineContract({ path: '/lobby', events: { said: z.object({ type: z.literal('said'), text: z.string() }) } });

@WebSocketService({ contract: lobby, presenceEvents: true })
class LobbyService {
  @OnOpen() onOpen(caller: Caller): void {
    caller.track('lobby', { nick: caller.request.query.get('nick') });
  }
}

const nicks = (entries: readonly PresenceEntry[]) => entries.flatMap((entry) => entry.metas.map((meta) => meta.nick)).sort();

describe('presence in @duet/client', () => {
  it('hands $presence_state and $presence_diff to on(), not to *, and PresenceList keeps who is in the room', async () => {
    const { port } = await startApp([LobbyService]);
    const ann = track(createClient(lobby, `ws://127.0.0.1:${port}/lobby?nick=ann`));
    const states: PresenceState[] = [];
    const diffs: PresenceDiff[] = [];
    const everything: unknown[] = [];
    ann.on('$presence_state', (state) => states.push(state));
    ann.on('$presence_diff', (diff) => diffs.push(diff));
    ann.on('*', (message) => everything.push(message));
    const list = new PresenceList(ann, 'lobby');
    const changes: unknown[][] = [];
    list.onChange((entries) => changes.push(nicks(entries)));
    await eventually(() => diffs.length === 1, 3000, "ann's own join");
    expect(states).toMatchObject([{ room: 'lobby', presences: [] }]);
    expect(diffs[0].joins[0].metas[0]).toMatchObject({ nick: 'ann' });
    const bob = track(createClient(lobby, `ws://127.0.0.1:${port}/lobby?nick=bob`));
    const bobsList = new PresenceList(bob, 'lobby');
    await eventually(() => nicks(list.list).length === 2 && nicks(bobsList.list).length === 2, 3000, 'both to see both');
    expect(nicks(list.list)).toEqual(['ann', 'bob']);
    expect(nicks(bobsList.list)).toEqual(['ann', 'bob']);
    await bob.close();
    await eventually(() => nicks(list.list).length === 1, 3000, "bob's leave");
    expect(nicks(list.list)).toEqual(['ann']);
    expect(changes).toEqual([[], ['ann'], ['ann', 'bob'], ['ann']]);
    expect(everything).toEqual([]);
    list.stop();
  });
});
