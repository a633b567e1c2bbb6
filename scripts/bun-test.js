#!/usr/bin/env node
// Runs the Bun engine's suites with `bun test` (Bun's native server under every spec), on the
// sources (bun-test-preload.js). Arguments: spec files or folders; none = every Bun suite.
// Exits non-zero when Bun is missing (scripts/bun-path.js says what) or a spec fails.
'use strict';
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { locateBun } = require('./bun-path');

const ROOT = join(__dirname, '..');
/**
 * The suites run on Bun's native server: the Bun specs, and the socket-level suites of
 * @duet/websocket (they start apps with engine 'auto'): lifecycle, upgrade and security,
 * registry and rooms, the cluster (membership, presence, remote operations, targets), typed messages, shutdown, robustness (whose hostile server is then a Bun
 * process too). Where a behaviour differs on Bun as docs/engines.md's table says, the assertion
 * itself checks `app.engine`. Not here: suites of ws's own machinery (frame-writer, write-batch),
 * of a node:http `server` shared with an app (shared-server; Bun's native server has none), of
 * TLS files and PKCS#12 on Node (tls; the Bun TLS spec is bun/tls.test.ts), the start-time
 * config and error-catalogue checks that open no socket, the fuzz and interop runs, and the soak
 * tooling (a long Node run). The RFC 6455 conformance cases run against the echo sample on
 * Bun's native server (not against the ws reference: under Bun, `ws` is Bun's stand-in).
 */
const SUITES = [
  'packages/websocket/test/bun',
  ...[
    'errors', 'auth', 'sub-protocols', 'upgrade-hook', 'shutdown', 'json-frames', 'messages', 'typed-messages',
    'registry', 'cluster', 'cluster-presence', 'timeouts', 'observers', 'config', 'interceptors', 'message-policy',
    'close', 'upgrade', 'origin', 'upgrade-limits', 'token-expiry', 'slow-consumers', 'idle-timeout', 'control-frames', 'fragments',
    'robustness/faults', 'robustness/hostile-input', 'robustness/memory-bounds',
    'inbound-overflow', 'close-frames', 'message-errors',
    'client/client-handshake', 'client/client-messages', 'client/client-protocol-errors', 'client/client-timeouts',
    'client/client-typed-reads',
  ].map((name) => `packages/websocket/test/${name}.test.ts`),
  'packages/websocket/test/conformance',
  // The Redis backplane between two Bun processes, each on Bun's pub/sub (needs /usr/bin/redis-server, as under jest).
  'packages/redis/test/cross-process.test.ts',
  // Cluster requests, signals and nodes leaving over Redis, with a backplane process killed by SIGKILL (a Bun process too).
  'packages/redis/test/cluster-requests.test.ts',
  'packages/redis/test/nodes-leaving.test.ts',
  'packages/redis/test/cluster-processes.test.ts',
  // Presence rebuilt after one node's Redis connection is killed, two apps on Bun's engine.
  'packages/redis/test/presence-after-outage.test.ts',
];

const bun = locateBun();
if (bun === undefined) {
  process.stderr.write('bun-test: no working Bun binary; run `node scripts/bun-path.js` to see what is missing\n');
  process.exit(1);
}
const targets = process.argv.slice(2);
const result = spawnSync(
  bun,
  ['test', '--preload', './scripts/bun-test-preload.js', '--timeout', '15000', ...(targets.length > 0 ? targets : SUITES).map((target) => (target.startsWith('.') || target.startsWith('/') ? target : `./${target}`))],
  { cwd: ROOT, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
