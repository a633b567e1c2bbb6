#!/usr/bin/env node
// `npm run sample:bun -- <name> [args]`: samples/<name>/main.ts under Bun, where engine 'auto'
// puts it on Bun's native server (unless a listener needs node:http, see docs/engines.md).
// Like `npm run sample`, it runs on the built @duet packages (presample:bun builds them).
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { locateBun } = require('./bun-path');

const SAMPLES = join(__dirname, '..', 'samples');
const [name, ...rest] = process.argv.slice(2);
const entry = name === undefined ? undefined : join(name, 'main.ts');

if (entry === undefined || name.includes('/') || !existsSync(join(SAMPLES, entry))) {
  const names = readdirSync(SAMPLES).filter((folder) => existsSync(join(SAMPLES, folder, 'main.ts')));
  process.stderr.write(`Usage: npm run sample:bun -- <name>, one of: ${names.join(', ')}\n`);
  process.exit(2);
}
const bun = locateBun();
if (bun === undefined) {
  process.stderr.write('No working Bun binary: `node scripts/bun-path.js` says what is missing.\n');
  process.exit(1);
}
// From samples/, so Bun reads samples/tsconfig.json (decorators), as `cd samples && bun echo/main.ts` does.
const child = spawn(bun, [entry, ...rest], { cwd: SAMPLES, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
