#!/usr/bin/env node
// Runs samples/<name>/main.ts under Bun: `npm run sample:bun -- <name>`. Engine 'auto' puts
// the sample on Bun's native server (unless a listener needs node:http, see docs/engines.md).
// The sample imports the built @duet packages, like `npm run sample`; presample:bun builds them.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');
const { locateBun } = require('./bun-path');

const samplesDir = path.join(__dirname, '..', 'samples');
const name = process.argv[2];
const available = readdirSync(samplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(samplesDir, entry.name, 'main.ts')))
  .map((entry) => entry.name);

if (!name || !available.includes(name)) {
  console.error(`${name ? `Unknown sample '${name}'. ` : ''}Usage: npm run sample:bun -- <name>`);
  console.error(`Samples: ${available.join(', ')}`);
  process.exit(2);
}
const bun = locateBun();
if (bun === undefined) {
  console.error('No working Bun binary: run `node scripts/bun-path.js` to see what is missing.');
  process.exit(1);
}

// From samples/, so Bun reads samples/tsconfig.json (decorators) as it does for `bun echo/main.ts`.
const child = spawn(bun, [path.join(name, 'main.ts'), ...process.argv.slice(3)], { cwd: samplesDir, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
