// Preloaded (`node -r`, or `bun --preload`) into every bench server, whatever it is written in
// and whichever runtime runs it: answers the
// runner's memory questions over IPC, profiles CPU and samples allocations for bench/src/profile.ts,
// exits on request, and makes sure no server outlives its
// runner or runs unbounded. Plain JavaScript so that the NestJS server (an ES module) needs no
// TypeScript.
'use strict';
const { writeFileSync } = require('node:fs');
const inspector = require('node:inspector');

let session;

function post(method, params) {
  if (session === undefined) {
    session = new inspector.Session();
    session.connect();
  }
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

function collectGarbage() {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  } else if (typeof Bun !== 'undefined') {
    // JavaScriptCore's full, synchronous collection: the same treatment as Node's servers get.
    Bun.gc(true);
    Bun.gc(true);
  }
}

const commands = {
  memory(message) {
    if (message.gc) collectGarbage();
    const usage = process.memoryUsage();
    return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, bufferutil: isLoaded('bufferutil') };
  },
  // CPU profile of a window (the V8 profiler that --cpu-prof uses, started and stopped on request).
  async cpuStart(message) {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: message.interval || 200 });
    await post('Profiler.start');
    return {};
  },
  async cpuStop(message) {
    const { profile } = await post('Profiler.stop');
    writeFileSync(message.file, JSON.stringify(profile));
    return {};
  },
  // Allocation sampling: every allocation (liveOnly false), or only what is still alive at the stop.
  async allocStart(message) {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: message.interval || 1024,
      includeObjectsCollectedByMajorGC: !message.liveOnly,
      includeObjectsCollectedByMinorGC: !message.liveOnly,
    });
    return {};
  },
  async allocStop(message) {
    if (message.gc) collectGarbage();
    const { profile } = await post('HeapProfiler.stopSampling');
    writeFileSync(message.file, JSON.stringify(profile));
    return {};
  },
  exit() {
    setImmediate(() => process.exit(0));
    return {};
  },
};

if (typeof process.send === 'function') {
  process.on('message', (message) => {
    if (message === null || typeof message !== 'object' || !Object.hasOwn(commands, message.type)) return;
    Promise.resolve()
      .then(() => commands[message.type](message))
      .then(
        (result) => process.send({ ...result, type: message.type, id: message.id }),
        (error) => process.send({ type: message.type, id: message.id, error: String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
setTimeout(() => process.exit(0), Number(process.env.BENCH_LIFETIME_MS || 15 * 60 * 1000)).unref();

/** Whether a package was loaded by anyone (ws loads bufferutil itself when it finds it). */
function isLoaded(name) {
  const marker = `/node_modules/${name}/`;
  return Object.keys(require.cache).some((file) => file.includes(marker));
}
