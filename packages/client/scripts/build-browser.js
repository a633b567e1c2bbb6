// Writes dist/browser/duet-client.js: src/browser.ts and @duet/contract (from its sources) as one
// self-contained ES module, for a page's <script type="module"> — no import, no Node built-in.
'use strict';
const path = require('node:path');

const root = path.join(__dirname, '..');
const outfile = path.join(root, 'dist', 'browser', 'duet-client.js');

function buildBrowser() {
  // Required here, not at the top, so that requiring this file costs nothing until a build runs.
  const esbuild = require('esbuild');
  esbuild.buildSync({
    entryPoints: [path.join(root, 'src', 'browser.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { '@duet/contract': path.join(root, '..', 'contract', 'src', 'index.ts') },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

module.exports = { buildBrowser, outfile };

if (require.main === module) buildBrowser();
