// The files around a sample that make it a project of its own: package.json, tsconfig.json,
// jest.config.js, .gitignore and README.md.
import type { SampleCatalogue, SampleEntry } from '../samples/catalogue';
import type { SampleTestPlan } from './sample-test-plans';

/** Tools every project gets as devDependencies, at the versions the Duet repository uses. */
const TOOLS = ['@types/jest', '@types/node', 'jest', 'ts-jest', 'ts-node', 'typescript'];

/** What the project files are made from. */
export interface ProjectInput {
  /** The npm name of the project (see `projectName`). */
  readonly name: string;
  readonly sample: SampleEntry;
  readonly catalogue: SampleCatalogue;
  /** The version of the `@duet/*` packages: the CLI's own. */
  readonly duetVersion: string;
  readonly plan: SampleTestPlan;
  /** Packages the generated test imports. */
  readonly testPackages: readonly string[];
}

/** An npm package name made from a folder name: lower case, `-` for anything npm refuses. */
export function projectName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name === '' ? 'duet-app' : name.slice(0, 214);
}

/** The project's package.json, as an object. */
export function packageJson(input: ProjectInput): Record<string, unknown> {
  const { sample, catalogue, duetVersion } = input;
  const version = (name: string): string => {
    if (name.startsWith('@duet/')) return duetVersion;
    const range = catalogue.versions[name];
    if (range === undefined) throw new Error(`no version is known for ${name}, which the ${sample.name} sample needs`);
    return range;
  };
  const dependencies = new Set(sample.packages);
  const devDependencies = new Set([...TOOLS, ...input.testPackages.filter((name) => !dependencies.has(name))]);
  for (const name of [...dependencies, ...devDependencies]) {
    const types = `@types/${name.replace(/^@([^/]+)\//, '$1__')}`;
    if (catalogue.versions[types] !== undefined && !dependencies.has(types)) devDependencies.add(types);
  }
  const pinned = (names: Set<string>) => Object.fromEntries([...names].sort().map((name) => [name, version(name)]));
  const hasAssets = sample.files.some((file) => !file.endsWith('.ts'));
  return {
    name: input.name,
    version: '0.1.0',
    private: true,
    description: sample.description,
    scripts: {
      start: 'ts-node src/main.ts',
      // tsc copies no assets (pages, scripts) next to the compiled files; this does.
      build: hasAssets
        ? `tsc && node -e "require('node:fs').cpSync('src', 'dist', { recursive: true, filter: (file) => !file.endsWith('.ts') })"`
        : 'tsc',
      test: 'jest',
    },
    engines: { node: '>=20.19' },
    dependencies: pinned(dependencies),
    devDependencies: pinned(devDependencies),
  };
}

/** tsconfig.json: TypeScript 6 for Node 20 (CommonJS), decorators as Duet uses them. */
export function tsconfigJson(): Record<string, unknown> {
  return {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      // node20 lets CommonJS code require ES modules such as inversify 8.
      module: 'node20',
      moduleResolution: 'node16',
      types: ['node'],
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      skipLibCheck: true,
      forceConsistentCasingInFileNames: true,
      rootDir: 'src',
      outDir: 'dist',
      sourceMap: true,
    },
    include: ['src'],
  };
}

/** jest.config.js: ts-jest, with the ES-module-only dependencies compiled to CommonJS. */
export function jestConfig(): string {
  return `// jest runs the TypeScript tests through ts-jest. inversify 8 and jose ship ES modules only,
// which jest (CommonJS) cannot load: they are compiled too instead of being ignored.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\\\.[tj]s$': [
      'ts-jest',
      // tsconfig.json's options, with CommonJS output for jest; isolatedModules: compile each file alone.
      { tsconfig: { module: 'commonjs', moduleResolution: 'bundler', allowJs: true, rootDir: '.', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs|jose)/)'],
  testTimeout: 15000,
};
`;
}

/** .gitignore: installed and built files, and what the sample makes when it runs. */
export function gitignore(sample: SampleEntry): string {
  return ['node_modules/', 'dist/', ...sample.ignored.map((pattern) => `src/${pattern}/`)].join('\n') + '\n';
}

/** README.md: what the sample is, how to run it, try it and test it. */
export function readme(input: ProjectInput): string {
  const { name, sample, plan, duetVersion } = input;
  // The sample's text says how to run it in the Duet repository; here that is `npm start`.
  const local = (text: string) =>
    text.replace(new RegExp(`npm run sample -- ${sample.name}( [^\`]*)?`, 'g'), (_, args?: string) =>
      args === undefined ? 'npm start' : `npm start --${args}`,
    );
  return `# ${name}

${local(sample.description)}

Made by \`duet new --sample ${sample.name}\` from the samples of [Duet](https://www.npmjs.com/package/@duet/websocket)
${duetVersion}, a TypeScript framework for WebSocket services.

## Run it

\`\`\`sh
npm install
npm start
\`\`\`

\`npm start\` runs \`src/main.ts\` with ts-node.${/\bPORT\b/.test(sample.about) ? ' Settings such as `PORT` come from the environment (see below).' : ''}

## Try it

${plan.tryIt}

## Test it

\`\`\`sh
npm test        # test/${sample.name}.test.ts: the sample ${plan.title}
npm run build   # type-checks and compiles src/ to dist/
\`\`\`

## About the sample

\`src/main.ts\` starts with:

\`\`\`text
${local(sample.about)}
\`\`\`

Requires Node.js 20.19 or newer.
`;
}
