// Shared by the cluster suites: services whose connections announce their id, an authenticator
// that takes the principal's name from the query, and a cluster of apps on one InMemoryBus.
import { injectable } from 'inversify';
import {
  type Authenticator,
  Caller,
  ConnectionRegistry,
  InMemoryBackplane,
  InMemoryBus,
  OnOpen,
  OnText,
  type Principal,
  type UpgradeRequest,
  WebSocketService,
} from '@duet/websocket';
import { type TestApp, createTestApp } from '@duet/testing';
import { TestClient } from './helpers';

/** `?name=ann` authenticates as ann. */
@injectable()
export class NameAuthenticator implements Authenticator {
  readonly scheme = 'Name';
  authenticate(request: UpgradeRequest): Principal | undefined {
    const name = request.query.get('name');
    return name === null ? undefined : { name, scopes: name === 'root' ? ['admin'] : [] };
  }
}

/**
 * Sends `id:<connection id>` on open. Text commands: `join:<room>`, `leave:<room>`,
 * `track:<room>[:<json meta>]`, `untrack:<room>`, `mark:<value>` (an attribute), each answered
 * `ok:<command>` once done.
 */
class ClusterCommands {
  constructor(readonly registry: ConnectionRegistry) {}

  @OnOpen() onOpen(caller: Caller): Promise<void> {
    return caller.writeTextMessage(`id:${caller.getConnectionId()}`);
  }

  @OnText() onText(caller: Caller, text: string): string {
    const [command, room = '', ...rest] = text.split(':');
    if (command === 'join') caller.join(room);
    else if (command === 'leave') caller.leave(room);
    else if (command === 'track') caller.track(room, rest.length === 0 ? undefined : JSON.parse(rest.join(':')));
    else if (command === 'untrack') caller.untrack(room);
    else if (command === 'mark') caller.setAttribute('mark', room);
    return `ok:${text}`;
  }
}

/** Authenticated (`?name=`). */
@WebSocketService({ path: '/users', auth: [NameAuthenticator] })
export class UserService extends ClusterCommands {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

/** Authenticated (`?name=`), with presence events. */
@WebSocketService({ path: '/presence', auth: [NameAuthenticator], presenceEvents: true })
export class PresenceService extends ClusterCommands {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

/** Anonymous, without presence events. */
@WebSocketService({ path: '/anon' })
export class AnonService extends ClusterCommands {
  constructor(registry: ConnectionRegistry) {
    super(registry);
  }
}

export const SERVICES = [UserService, PresenceService, AnonService];

/** A client and its connection id (the `id:` greeting is taken off its queue). */
export interface Peer {
  readonly client: TestClient;
  readonly id: string;
}

export async function connectPeer(app: TestApp, path: string): Promise<Peer> {
  const client = await TestClient.connect(app.url(path));
  const hello = await client.nextText();
  if (!hello.startsWith('id:')) throw new Error(`expected the id greeting, got ${hello}`);
  return { client, id: hello.slice(3) };
}

/** Sends a command and waits for its `ok:`; the frames that arrived before it are returned (parsed). */
export async function command(peer: Peer, text: string): Promise<unknown[]> {
  peer.client.send(text);
  const before: unknown[] = [];
  for (let i = 0; i < 20; i++) {
    const next = await peer.client.nextText();
    if (next === `ok:${text}`) return before;
    before.push(parsed(next));
  }
  throw new Error(`no ok for ${text}`);
}

/** `count` apps on one bus, as one cluster; each with its backplane, to stop one as if it crashed. */
export async function startCluster(count: number): Promise<{ apps: TestApp[]; backplanes: InMemoryBackplane[]; bus: InMemoryBus }> {
  const bus = new InMemoryBus();
  const backplanes = Array.from({ length: count }, () => new InMemoryBackplane(bus));
  const apps: TestApp[] = [];
  // One after another: each start asks the nodes already there for their presence.
  for (const backplane of backplanes) apps.push(await createTestApp({ services: SERVICES, backplane }));
  return { apps, backplanes, bus };
}

/** The text frames a client has received and not yet taken, parsed as JSON where they are. */
export function takeFrames(client: TestClient): unknown[] {
  return client.messages.splice(0).map(({ data }) => parsed(String(data)));
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
