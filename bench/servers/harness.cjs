// Preloaded (`node -r`) into every bench server, whatever it is written in: answers the
// runner's memory questions over IPC, and makes sure no server outlives its runner or runs
// unbounded. Plain JavaScript so that the NestJS server (an ES module) needs no TypeScript.
'use strict';

if (typeof process.send === 'function') {
  process.on('message', (message) => {
    if (message === null || typeof message !== 'object' || message.type !== 'memory') return;
    if (message.gc && typeof global.gc === 'function') {
      global.gc();
      global.gc();
    }
    const usage = process.memoryUsage();
    process.send({
      type: 'memory',
      id: message.id,
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      external: usage.external,
      bufferutil: isLoaded('bufferutil'),
    });
  });
  process.on('disconnect', () => process.exit(0));
}
setTimeout(() => process.exit(0), Number(process.env.BENCH_LIFETIME_MS || 15 * 60 * 1000)).unref();

/** Whether a package was loaded by anyone (ws loads bufferutil itself when it finds it). */
function isLoaded(name) {
  const marker = `/node_modules/${name}/`;
  return Object.keys(require.cache).some((file) => file.includes(marker));
}
