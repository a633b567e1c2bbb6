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
 * @duet/websocket that hold on both engines as they are (they start apps with engine 'auto').
 * The others test what docs/engines.md lists as different, or lean on Node's ws client
 * internals or Node-only tooling (async_hooks, a function's source text).
 */
const SUITES = [
  'packages/websocket/test/bun',
  ...[
    'errors', 'auth', 'sub-protocols', 'upgrade-hook', 'shutdown', 'json-frames', 'messages', 'typed-messages',
    'registry', 'timeouts', 'observers', 'config',
    'client/client-handshake', 'client/client-messages', 'client/client-protocol-errors', 'client/client-timeouts',
  ].map((name) => `packages/websocket/test/${name}.test.ts`),
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
