// Builds @duet/websocket and @duet/cli once before the tests: samples and the CLI run as their
// own processes on the built packages, which must never be older than the sources under test.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildPackages() {
  const root = path.join(__dirname, '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/websocket', 'packages/cli', 'packages/redis', 'packages/testing', 'packages/metrics', 'packages/contract', 'packages/client'], {
    cwd: root,
    stdio: 'inherit',
  });
  // The Chromium test loads the client's browser bundle: a fresh clone must have it.
  require('../packages/client/scripts/build-browser.js').buildBrowser();
};
