#!/usr/bin/env node
// `npm run bench`: installs what is missing (the root's dev tools on a fresh clone, the
// bench's own pinned dependencies), builds @duet/websocket, then runs bench/src/main.ts with
// the arguments given after `--` (`npm run bench -- profile …` runs bench/src/profile.ts
// instead). Plain JavaScript: it runs before TypeScript is installed.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bench = __dirname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`bench: '${[command, ...args].join(' ')}' failed (${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

/** npm records what it installed in node_modules/.package-lock.json; stale or missing → install. */
function needsInstall(directory) {
  const installed = path.join(directory, 'node_modules', '.package-lock.json');
  const lock = path.join(directory, 'package-lock.json');
  return !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
}

if (!existsSync(path.join(root, 'node_modules', 'ts-node'))) {
  console.log('bench: installing the repository dependencies (npm ci)');
  run(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root });
}
if (needsInstall(bench)) {
  console.log('bench: installing the bench dependencies (npm ci --prefix bench)');
  run(npm, ['ci', '--no-audit', '--no-fund', '--prefix', bench], { cwd: root });
}
console.log('bench: building @duet/websocket');
run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-b', 'packages/websocket'], { cwd: root });

const args = process.argv.slice(2);
const entry = args[0] === 'profile' ? 'profile.ts' : 'main.ts';
if (entry === 'profile.ts') args.shift();
const result = spawnSync(
  process.execPath,
  ['-r', 'ts-node/register/transpile-only', path.join(bench, 'src', entry), ...args],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TS_NODE_PROJECT: path.join(bench, 'tsconfig.json') } },
);
process.exit(result.status ?? 1);
