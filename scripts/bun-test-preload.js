// Preloaded by `bun test` (scripts/bun-test.js): @duet/* imports in the repository's own
// TypeScript resolve to the packages' sources, as jest's moduleNameMapper does, so the Bun
// suites test the code as it is, not a stale dist/ from the last build. Bun 1.4's runtime
// plugins do not call onResolve for bare specifiers (oven-sh/bun#40579), so the import is
// rewritten where the file is loaded.
const { readFileSync } = require('node:fs');
const { join, relative, dirname, sep } = require('node:path');

const ROOT = join(__dirname, '..');
const SOURCES = {
  '@duet/websocket': 'packages/websocket/src/index.ts',
  '@duet/websocket/internal': 'packages/websocket/src/internal.ts',
  '@duet/testing': 'packages/testing/src/index.ts',
  '@duet/metrics': 'packages/metrics/src/index.ts',
  '@duet/opentelemetry': 'packages/opentelemetry/src/index.ts',
  '@duet/redis': 'packages/redis/src/index.ts',
  '@duet/contract': 'packages/contract/src/index.ts',
  '@duet/client': 'packages/client/src/index.ts',
};
const IMPORT = /(from\s+|import\s*\(\s*|require\(\s*)(['"])(@duet\/[a-z-]+(?:\/internal)?)\2/g;

Bun.plugin({
  name: 'duet-sources',
  setup(build) {
    // Only the repository's own sources and specs, never node_modules.
    build.onLoad({ filter: /\/(packages|samples|bench|scripts|docs)\/(?!.*node_modules).*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const contents = text.replace(IMPORT, (whole, lead, quote, name) => {
        const source = SOURCES[name];
        if (source === undefined) return whole;
        let path = relative(dirname(args.path), join(ROOT, source)).split(sep).join('/');
        if (!path.startsWith('.')) path = `./${path}`;
        return `${lead}${quote}${path}${quote}`;
      });
      return { contents, loader: 'ts' };
    });
  },
});
