#!/usr/bin/env node
// Runs samples/<name>/main.ts with ts-node: `npm run sample -- <name>`.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const samplesDir = path.join(__dirname, '..', 'samples');
const name = process.argv[2];
const available = readdirSync(samplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(samplesDir, entry.name, 'main.ts')))
  .map((entry) => entry.name);

if (!name || !available.includes(name)) {
  console.error(`${name ? `Unknown sample '${name}'. ` : ''}Usage: npm run sample -- <name>`);
  console.error(`Samples: ${available.join(', ')}`);
  process.exit(2);
}

const child = spawn(
  process.execPath,
  ['-r', 'ts-node/register/transpile-only', path.join(samplesDir, name, 'main.ts'), ...process.argv.slice(3)],
  {
    stdio: 'inherit',
    env: { ...process.env, TS_NODE_PROJECT: path.join(samplesDir, 'tsconfig.json') },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
