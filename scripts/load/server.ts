// A server of the load test: a Duet app in its own process on 127.0.0.1, where every connection
// to `/load/:room` joins that room. With REDIS_URL it joins the other processes through a
// RedisBackplane. Driven over IPC by load-test.ts: it reports connections, memory and handles,
// reads the cluster-wide count, and sends the one room broadcast on request.
import 'reflect-metadata';
import { Container } from 'inversify';
import { Caller, ConnectionRegistry, LOGGER, type Logger, OnOpen, WebSocketApplication, WebSocketService, webSocketModule } from '@duet/websocket';
import { RedisBackplane } from '@duet/redis';
import { broadcastText, wallClock } from './broadcast-text';
import { serveRequests } from './children';
import { MAX_CONNECTIONS_PER_SERVER } from './options';
import { openFileLimit, residentSplit } from './proc';

@WebSocketService({ path: '/load/:room', scope: 'singleton' })
class LoadService {
  @OnOpen()
  onOpen(caller: Caller): void {
    caller.join(caller.params.room);
  }
}

/** What a server says once it listens. */
export interface ServerReady {
  port: number;
  pid: number;
  openFileLimit: number;
}

/** One reading of a server, taken after a full garbage collection. */
export interface ServerStats {
  connections: number;
  rss: number;
  heapUsed: number;
  /** V8's heap as reserved from the system (used or not), and memory outside it (Buffers, ws's parsers). */
  heapTotal: number;
  external: number;
  /** RSS split as Linux counts it: private anonymous memory, and pages of files (node's own code, shared). */
  rssAnon: number;
  rssFile: number;
  handles: number;
  /** Broadcasts this process could not hand to Redis, and ones it missed from others. */
  undelivered: number;
  missed: number;
}

/** What the broadcast did on the process that sent it. */
export interface BroadcastSent {
  /** Wall-clock milliseconds (sub-millisecond) when it was sent; the text carries it too. */
  sentAt: number;
  /** Connections of this process it was handed to. */
  localSent: number;
  /** Time the call took to hand it to local sockets and the backplane. */
  writeMs: number;
}

/** The cluster-wide count, and the call that read it. */
export interface ClusterCount {
  count: number;
  via: 'registry.cluster.count()' | 'registry.clusterCount()';
}

// `registry.cluster` is being added beside this work; until it is there, `clusterCount()` is the
// same figure (the spec keeps it as a synonym). Whichever exists when the run happens is used,
// and the result says which.
interface ClusterView {
  count(room?: string): Promise<number>;
}

async function clusterCount(registry: ConnectionRegistry): Promise<ClusterCount> {
  const cluster = (registry as unknown as { cluster?: ClusterView }).cluster;
  if (cluster !== undefined && typeof cluster.count === 'function') {
    return { count: await cluster.count(), via: 'registry.cluster.count()' };
  }
  return { count: await registry.clusterCount(), via: 'registry.clusterCount()' };
}

function stats(app: WebSocketApplication): ServerStats {
  // Twice: the first collection can leave weakly held and finalised objects for the second.
  global.gc?.();
  global.gc?.();
  const memory = process.memoryUsage();
  const backplane = app.registry.stats().backplane as { undelivered?: number; missed?: number };
  return {
    connections: app.registry.count(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    ...residentSplit(),
    handles: process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length,
    undelivered: backplane.undelivered ?? 0,
    missed: backplane.missed ?? 0,
  };
}

// Warnings and errors only, to stderr: the run's stdout may be the JSON result.
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => console.error(`server ${process.pid} warn: ${message} ${JSON.stringify(fields ?? {})}`),
  error: (message, fields) => console.error(`server ${process.pid} error: ${message} ${JSON.stringify(fields ?? {})}`),
};

async function main(): Promise<void> {
  const url = process.env.REDIS_URL;
  const backplane = url === undefined || url === '' ? undefined : new RedisBackplane({ url, logger });
  const container = new Container();
  container.load(
    webSocketModule({
      listeners: { default: { port: 0, host: '127.0.0.1', maxConnections: MAX_CONNECTIONS_PER_SERVER } },
      services: [LoadService],
      backplane,
    }),
  );
  container.bind<Logger>(LOGGER).toConstantValue(logger);
  const app = await WebSocketApplication.start(container);
  const ready = serveRequests(async (command, args) => {
    switch (command) {
      case 'stats':
        return stats(app);
      case 'count':
        return clusterCount(app.registry);
      case 'broadcast': {
        const { room } = args as { room: string };
        const sentAt = wallClock();
        const started = performance.now();
        const result = await app.registry.to(room).writeTextMessage(broadcastText(sentAt));
        return { sentAt, localSent: result.sent, writeMs: performance.now() - started } satisfies BroadcastSent;
      }
      case 'stop':
        await app.stop({ timeout: 5 });
        setImmediate(() => process.exit(0));
        return 'stopped';
      default:
        throw new Error(`unknown command '${command}'`);
    }
  });
  ready({ port: app.port(), pid: process.pid, openFileLimit: openFileLimit() } satisfies ServerReady);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
