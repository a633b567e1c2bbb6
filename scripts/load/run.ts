// One load run, phase by phase: start Redis, the servers and the generators; open every
// connection; hold them; one server sends one room broadcast and every generator counts what
// each of its connections got; read the cluster-wide count; close everything and read the
// servers' memory again. Every wait is bounded; the caller stops what was started.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { RedisServer } from '../../packages/redis/test/redis-server';
import { ChildScripts } from './child-scripts';
import { LoadChild, StartedProcesses } from './children';
import type { CloseResult, DeliveryReport, GeneratorReady, OpenResult, OpenSpec } from './generator';
import type { LoadOptions } from './options';
import { cpuSeconds } from '../../bench/src/proc';
import { kernelSetting, openFileLimit } from './proc';
import { type LoadResult, MEMORY_BACK_WITHIN, type ServerFigures, quantile, targetsOf } from './result';
import type { BroadcastSent, ClusterCount, ServerReady, ServerStats } from './server';

const ROOM = 'everyone';
const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
/** Sockets one source address carries at most: well under its 28,232 ephemeral ports, so that a
 * previous run's sockets still in TIME_WAIT on it leave enough free. */
const SOCKETS_PER_SOURCE_ADDRESS = 10_000;
const HANDSHAKES_PER_GENERATOR = 64;
const PROGRESS_TICK_MS = 250;
const START_TIMEOUT_MS = 60_000;
const ASK_TIMEOUT_MS = 30_000;
const BROADCAST_TIMEOUT_MS = 20_000;
/** After every receiver has it, how long to wait for a duplicate before counting. */
const SETTLE_MS = 1000;
const MEMORY_ROUNDS = 10;

type Server = LoadChild<ServerReady>;
type Generator = LoadChild<GeneratorReady>;

const seconds = (value: number) => Math.round(value * 100) / 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` items spread over `parts` as evenly as whole numbers allow. */
function shares(count: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, part) => Math.floor(count / parts) + (part < count % parts ? 1 : 0));
}

/** Connections open over all generators at each PROGRESS_TICK_MS, from each one's timed samples. */
function openProgress(opens: readonly OpenResult[], openMs: number): number[] {
  const at = opens.map(() => 0);
  const progress: number[] = [];
  for (let time = PROGRESS_TICK_MS; time < openMs + PROGRESS_TICK_MS; time += PROGRESS_TICK_MS) {
    let open = 0;
    opens.forEach((result, index) => {
      const samples = result.progress;
      while (at[index] + 1 < samples.length && samples[at[index] + 1][0] <= time) at[index]++;
      open += samples[at[index]]?.[0] <= time ? samples[at[index]][1] : 0;
    });
    progress.push(open);
  }
  return progress;
}

async function statsOf(servers: readonly Server[]): Promise<ServerStats[]> {
  // One at a time: each collects its garbage, and two cores are shared by all of them.
  const all: ServerStats[] = [];
  for (const server of servers) all.push(await server.ask<ServerStats>('stats', undefined, ASK_TIMEOUT_MS));
  return all;
}

/** Polls `read` every 250 ms until `done` says so or `timeoutMs` passed; the last reading. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<{ value: T; waitedMs: number }> {
  const started = Date.now();
  let value = await read();
  for (let round = 0; !done(value) && Date.now() - started < timeoutMs && round < 1000; round++) {
    await sleep(250);
    value = await read();
  }
  return { value, waitedMs: Date.now() - started };
}

export async function runLoad(options: LoadOptions, started: StartedProcesses, command: string, log: (line: string) => void): Promise<LoadResult> {
  const date = new Date().toISOString();
  const loadAverage = os.loadavg();
  let redis: RedisServer | undefined;
  if (options.redis) {
    redis = await RedisServer.start();
    const server = redis;
    started.add({ name: 'redis-server', stop: () => server.stop() });
    log(`redis-server pid ${redis.pid} on 127.0.0.1:${redis.port}`);
  }
  const redisPid = redis?.pid;
  const redisCpu = () => (redisPid === undefined ? Number.NaN : cpuSeconds(redisPid));

  const scripts = started.add(ChildScripts.transpile());
  const env: Record<string, string> = redis === undefined ? {} : { REDIS_URL: redis.url };
  if (options.allocator === 'jemalloc') {
    if (!existsSync(JEMALLOC)) throw new Error(`--jemalloc needs ${JEMALLOC} (Debian's libjemalloc2)`);
    env.LD_PRELOAD = JEMALLOC;
  }
  const servers = Array.from({ length: options.processes }, (_, index) =>
    started.add(LoadChild.fork<ServerReady>(scripts.path('server.ts'), `server ${index}`, env, START_TIMEOUT_MS)),
  );
  const generators = Array.from({ length: options.generators }, (_, index) =>
    started.add(LoadChild.fork<GeneratorReady>(scripts.path('generator.ts'), `generator ${index}`, {}, START_TIMEOUT_MS)),
  );
  const serverReady = await Promise.all(servers.map((server) => server.ready));
  const generatorReady = await Promise.all(generators.map((generator) => generator.ready));
  const ports = serverReady.map((ready) => ready.port);
  log(`servers on ports ${ports.join(', ')} (pids ${serverReady.map((ready) => ready.pid).join(', ')}); generators pids ${generatorReady.map((ready) => ready.pid).join(', ')}`);

  const serverShare = Math.ceil(options.connections / options.processes);
  const generatorShares = shares(options.connections, options.generators);
  const limits = [...serverReady.map((ready) => ({ name: 'a server', limit: ready.openFileLimit, needs: serverShare })),
    ...generatorReady.map((ready, index) => ({ name: 'a generator', limit: ready.openFileLimit, needs: generatorShares[index] }))];
  for (const { name, limit, needs } of limits) {
    if (!(limit >= needs + 100)) throw new Error(`${name} may open ${limit} files (ulimit -n) but needs ${needs} sockets and some room`);
  }

  // Source addresses: each generator its own, so that none carries more than its share of ports.
  const sourceAddresses: string[] = [];
  const addressesOf = generatorShares.map((share) => {
    const mine: string[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil(share / SOCKETS_PER_SOURCE_ADDRESS)); i++) {
      const address = `127.0.0.${2 + sourceAddresses.length}`;
      if (sourceAddresses.length >= 250) throw new Error('more than 250 source addresses would be needed');
      sourceAddresses.push(address);
      mine.push(address);
    }
    return mine;
  });

  const before = await statsOf(servers);
  const cpuAtStart = redisCpu();
  const deadline = Date.now() + options.timeoutSeconds * 1000;

  // Open.
  log(`opening ${options.connections} connections from ${options.generators} generators…`);
  const openStarted = performance.now();
  let firstIndex = 0;
  const opens = await Promise.all(
    generators.map((generator, index) => {
      const spec: OpenSpec = {
        ports,
        room: ROOM,
        connections: generatorShares[index],
        firstIndex,
        localAddresses: addressesOf[index],
        concurrency: HANDSHAKES_PER_GENERATOR,
        timeoutMs: Math.max(10_000, deadline - Date.now() - 120_000),
      };
      firstIndex += generatorShares[index];
      return generator.ask<OpenResult>('open', spec, spec.timeoutMs + 30_000);
    }),
  );
  const openMs = performance.now() - openStarted;
  const opened = opens.reduce((sum, open) => sum + open.opened, 0);
  const errors: Record<string, number> = {};
  for (const open of opens) for (const [kind, n] of Object.entries(open.errors)) errors[kind] = (errors[kind] ?? 0) + n;
  const progress = openProgress(opens, openMs);
  const cpuOpened = redisCpu();
  log(`opened ${opened} in ${(openMs / 1000).toFixed(1)} s; per generator ${opens.map((open) => `${(open.ms / 1000).toFixed(1)} s`).join(', ')}`);

  // The cluster-wide count: each node writes its own within 500 ms of a change.
  const count = await pollUntil(
    () => servers[0].ask<ClusterCount>('count', undefined, ASK_TIMEOUT_MS),
    (reading) => reading.count === opened,
    10_000,
  );

  // Hold, then read memory with every connection open.
  await sleep(options.holdSeconds * 1000);
  const held = await statsOf(servers);
  const cpuHeld = redisCpu();

  // The broadcast: generators wait for it first, then server 0 sends it once.
  log('broadcast…');
  const arrivals = Promise.all(generators.map((generator) => generator.ask('awaitBroadcast', { timeoutMs: BROADCAST_TIMEOUT_MS }, BROADCAST_TIMEOUT_MS + ASK_TIMEOUT_MS)));
  const sent = await servers[0].ask<BroadcastSent>('broadcast', { room: ROOM }, ASK_TIMEOUT_MS);
  await arrivals;
  await sleep(SETTLE_MS);
  const reports = await Promise.all(generators.map((generator) => generator.ask<DeliveryReport>('report', undefined, ASK_TIMEOUT_MS)));
  const cpuBroadcast = redisCpu();
  const latencies = reports.flatMap((report) => report.latencies).sort((a, b) => a - b);
  const sum = (pick: (report: DeliveryReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
  const closedEarly: Record<string, number> = {};
  for (const report of reports) for (const [code, n] of Object.entries(report.closedEarly)) closedEarly[code] = (closedEarly[code] ?? 0) + n;
  const missing = sum((report) => report.missing);

  // Close every connection; wait for every server's registry to empty.
  log('closing…');
  const closeStarted = performance.now();
  const closes = await Promise.all(generators.map((generator) => generator.ask<CloseResult>('close', { timeoutMs: 60_000 }, 90_000)));
  const emptied = await pollUntil(() => statsOf(servers), (all) => all.every((stats) => stats.connections === 0), 30_000);
  const closeMs = performance.now() - closeStarted;
  const clusterAfter = await pollUntil(
    () => servers[0].ask<ClusterCount>('count', undefined, ASK_TIMEOUT_MS).catch(() => undefined),
    (reading) => reading?.count === 0,
    5_000,
  );

  // Memory after close: collections, a second at a time, until every server is back or the rounds run out.
  const memoryStarted = Date.now();
  let after = emptied.value;
  let rounds = 1;
  const back = (all: ServerStats[]) => all.every((stats, index) => stats.rss <= before[index].rss * (1 + MEMORY_BACK_WITHIN));
  for (; rounds < MEMORY_ROUNDS && !back(after); rounds++) {
    await sleep(1000);
    after = await statsOf(servers);
  }
  const cpuEnd = redisCpu();

  const serverFigures: ServerFigures[] = servers.map((server, index) => ({
    pid: serverReady[index].pid,
    port: ports[index],
    before: before[index],
    held: held[index],
    after: after[index],
    rssPerConnection: (held[index].rss - before[index].rss) / Math.max(1, held[index].connections),
    heapPerConnection: (held[index].heapUsed - before[index].heapUsed) / Math.max(1, held[index].connections),
  }));
  const total = (all: ServerStats[], pick: (stats: ServerStats) => number) => all.reduce((t, stats) => t + pick(stats), 0);
  const heldConnections = total(held, (stats) => stats.connections);

  const partial: Omit<LoadResult, 'targets' | 'failures'> = {
    date,
    command,
    options,
    machine: {
      cores: os.cpus().length,
      node: process.version,
      loadAverage,
      kernel: {
        'net.ipv4.ip_local_port_range': kernelSetting('net/ipv4/ip_local_port_range'),
        'net.core.somaxconn': kernelSetting('net/core/somaxconn'),
        'net.ipv4.tcp_max_syn_backlog': kernelSetting('net/ipv4/tcp_max_syn_backlog'),
        'net.ipv4.tcp_tw_reuse': kernelSetting('net/ipv4/tcp_tw_reuse'),
      },
      openFileLimit: {
        loadTest: openFileLimit(),
        servers: serverReady.map((ready) => ready.openFileLimit),
        generators: generatorReady.map((ready) => ready.openFileLimit),
      },
    },
    sourceAddresses,
    open: {
      wanted: options.connections,
      opened,
      failed: options.connections - opened,
      errors,
      ms: Math.round(openMs),
      perSecond: opened / (openMs / 1000),
      progress,
      progressTickMs: PROGRESS_TICK_MS,
      generatorMs: opens.map((open) => Math.round(open.ms)),
    },
    clusterCount: { count: count.value.count, expected: options.connections, via: count.value.via, waitedMs: count.waitedMs },
    servers: serverFigures,
    rssPerConnection: (total(held, (stats) => stats.rss) - total(before, (stats) => stats.rss)) / Math.max(1, heldConnections),
    broadcast: {
      sentBy: 0,
      localSent: sent.localSent,
      writeMs: sent.writeMs,
      receivers: latencies.length,
      once: sum((report) => report.once),
      missing,
      duplicated: sum((report) => report.duplicated),
      otherFrames: sum((report) => report.otherFrames),
      firstOther: reports.find((report) => report.firstOther !== undefined)?.firstOther,
      closedEarly,
      firstMs: latencies[0] ?? Number.NaN,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      allMs: missing === 0 && opened === options.connections ? latencies.at(-1) : undefined,
      cdf: Array.from({ length: 201 }, (_, step) => (step === 0 ? (latencies[0] ?? Number.NaN) : quantile(latencies, step / 200))),
    },
    close: {
      closed: closes.reduce((t, close) => t + close.closed, 0),
      notClosed: closes.reduce((t, close) => t + close.notClosed, 0),
      ms: Math.round(closeMs),
      duplicatedAtClose: Math.max(0, closes.reduce((t, close) => t + close.report.duplicated, 0) - sum((report) => report.duplicated)),
      otherFramesAtClose: Math.max(0, closes.reduce((t, close) => t + close.report.otherFrames, 0) - sum((report) => report.otherFrames)),
      registryAfter: emptied.value.map((stats) => stats.connections),
      clusterCountAfter: clusterAfter.value?.count,
    },
    memoryAfterClose: {
      rounds,
      waitedMs: Date.now() - memoryStarted,
      rssBefore: total(before, (stats) => stats.rss),
      rssHeld: total(held, (stats) => stats.rss),
      rssAfter: total(after, (stats) => stats.rss),
    },
    redis:
      redisPid === undefined
        ? undefined
        : {
            pid: redisPid,
            // /proc counts in ticks of 10 ms: two decimals say all there is.
            cpuSeconds: {
              open: seconds(cpuOpened - cpuAtStart),
              hold: seconds(cpuHeld - cpuOpened),
              broadcast: seconds(cpuBroadcast - cpuHeld),
              close: seconds(cpuEnd - cpuBroadcast),
              total: seconds(cpuEnd - cpuAtStart),
            },
          },
  };
  const targets = targetsOf(partial);
  const failures = targets.filter((target) => !target.met).map((target) => `${target.name}: ${target.found}, wanted ${target.wanted}`);
  const early = Object.values(closedEarly).reduce((t, n) => t + n, 0);
  if (early > 0) failures.push(`${early} connections closed before the end: ${JSON.stringify(closedEarly)}`);
  if (emptied.value.some((stats) => stats.connections !== 0)) failures.push(`registries still hold ${emptied.value.map((stats) => stats.connections).join(', ')}`);
  const grown = after.map((stats, index) => stats.handles - before[index].handles).filter((growth) => growth > 0);
  if (grown.length > 0) failures.push(`handles grew on ${grown.length} servers (${after.map((stats, index) => `${before[index].handles}→${stats.handles}`).join(', ')})`);
  const undelivered = total(after, (stats) => stats.undelivered + stats.missed);
  if (undelivered > 0) failures.push(`the backplane counted ${undelivered} undelivered or missed messages`);

  // Stop the servers the orderly way (their backplane removes its count); the caller kills what is left.
  await Promise.all(servers.map((server) => server.ask('stop', undefined, ASK_TIMEOUT_MS).catch(() => {})));
  return { ...partial, targets, failures };
}
