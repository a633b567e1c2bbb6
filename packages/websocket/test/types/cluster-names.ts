// Pins the cluster API's names and shapes (docs/cluster.md) at compile time: `npm run typecheck`
// fails when one is renamed or changes its type. Nothing runs here.
import type {
  BroadcastResult,
  BroadcastTarget,
  Caller,
  ClusterMember,
  ClusterView,
  ConnectionRegistry,
  ExceptTarget,
  MemberPredicate,
  PresenceDiff,
  PresenceEntry,
  PresenceListener,
  PresenceMeta,
  WebSocketServiceConfig,
} from '@duet/websocket';
import type { PresenceDiff as ClientPresenceDiff, PresenceList, PresenceState, DuetClient } from '@duet/client';

type Is<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const holds = <T extends true>(): T => true as T;

declare const registry: ConnectionRegistry;
declare const caller: Caller;

holds<Is<typeof registry.cluster, ClusterView>>();
holds<Is<ReturnType<ClusterView['membersOf']>, Promise<ClusterMember[]>>>();
holds<Is<ReturnType<ClusterView['count']>, Promise<number>>>();
holds<Is<ReturnType<ClusterView['has']>, Promise<boolean>>>();
holds<Is<ClusterMember, { readonly connectionId: string; readonly node: string; readonly principal?: string }>>();
holds<Is<ReturnType<ConnectionRegistry['clusterCount']>, Promise<number>>>();
holds<Is<ReturnType<ConnectionRegistry['presence']>, Promise<PresenceEntry[]>>>();
holds<Is<ReturnType<ConnectionRegistry['onPresence']>, () => void>>();
holds<Is<ReturnType<ConnectionRegistry['disconnect']>, Promise<boolean>>>();
holds<Is<Parameters<ConnectionRegistry['to']>[0], string | readonly string[]>>();
holds<Is<PresenceListener, (diff: PresenceDiff) => void>>();
holds<Is<PresenceDiff['joins'], readonly PresenceEntry[]>>();
holds<Is<PresenceEntry['metas'], readonly PresenceMeta[]>>();
holds<Is<ReturnType<BroadcastTarget['join']>, Promise<number>>>();
holds<Is<ReturnType<BroadcastTarget['leave']>, Promise<number>>>();
holds<Is<ReturnType<BroadcastTarget['disconnect']>, Promise<number>>>();
holds<Is<ReturnType<BroadcastTarget['except']>, BroadcastTarget>>();
holds<Is<ReturnType<BroadcastTarget['filter']>, BroadcastTarget>>();
holds<Is<ReturnType<BroadcastTarget['writeTextMessage']>, Promise<BroadcastResult>>>();
holds<Is<MemberPredicate, (caller: Caller) => boolean>>();
holds<Is<ExceptTarget, string | Caller | readonly (string | Caller)[]>>();
holds<Is<WebSocketServiceConfig['presenceEvents'], boolean | undefined>>();
holds<Is<ReturnType<typeof caller.track>, void>>();
holds<Is<ReturnType<typeof caller.untrack>, void>>();

declare const client: DuetClient;
client.on('$presence_diff', (diff) => holds<Is<typeof diff, ClientPresenceDiff>>());
client.on('$presence_state', (state) => holds<Is<typeof state, PresenceState>>());
holds<Is<PresenceList['list'], ClientPresenceDiff['joins'][number][]>>();
