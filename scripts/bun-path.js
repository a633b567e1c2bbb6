#!/usr/bin/env node
// Prints the path of a working Bun binary installed by the `bun` devDependency, or exits 1
// naming what is missing. `npm run`, tests and samples run Bun through this path, never
// through `node_modules/.bin/bun`, because the binary sits in one of two places:
//   - bun's postinstall ran: it MOVES the binary out of the platform package
//     (@oven/bun-linux-x64/bin/bun) into node_modules/bun/bin/bun.exe, leaving the platform
//     package's bin/ empty;
//   - it did not (npm --ignore-scripts, or a package manager that skips install scripts):
//     bun/bin/bun.exe is a 450-byte shell placeholder that fails, and the binary is still in
//     the platform package.
// Each candidate is run with --version, so a placeholder or a binary for another CPU is skipped.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const MODULES = join(ROOT, 'node_modules');

function candidates() {
  const found = [join(MODULES, 'bun', 'bin', 'bun.exe')];
  const oven = join(MODULES, '@oven');
  // The platform packages npm installed for this os/cpu/libc (e.g. bun-linux-x64, -musl, -baseline).
  const prefix = `bun-${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}`;
  if (existsSync(oven)) {
    for (const name of readdirSync(oven).sort()) {
      if (!name.startsWith(prefix)) continue;
      found.push(join(oven, name, 'bin', process.platform === 'win32' ? 'bun.exe' : 'bun'));
    }
  }
  return found;
}

/** The version a binary reports, or undefined when it does not run. */
function versionOf(path) {
  if (!existsSync(path)) return undefined;
  try {
    const out = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /^\d+\.\d+\.\d+/.test(out.trim()) ? out.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The path of a working Bun binary, or undefined. */
function locateBun() {
  for (const path of candidates()) if (versionOf(path) !== undefined) return path;
  return undefined;
}

module.exports = { locateBun };

if (require.main === module) {
  const path = locateBun();
  if (path === undefined) {
    const tried = candidates().map((candidate) => `  ${candidate}${existsSync(candidate) ? ' (does not run)' : ' (missing)'}`);
    process.stderr.write(
      [
        'No working Bun binary: the `bun` devDependency (and its platform package @oven/bun-<os>-<arch>) is not installed for this machine.',
        'Tried:',
        ...tried,
        'Run `npm ci` (optional dependencies included) at the repository root.',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  process.stdout.write(`${path}\n`);
}
