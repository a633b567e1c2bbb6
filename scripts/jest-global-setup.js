// Builds @duet/websocket once before the tests: samples run as their own processes and import
// the built package, which must never be older than the sources under test.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildPackages() {
  const root = path.join(__dirname, '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/websocket'], {
    cwd: root,
    stdio: 'inherit',
  });
};
