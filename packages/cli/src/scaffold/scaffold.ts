// Makes a standalone project from a sample: the sample's files under src/, a test under test/,
// and the files around them (project-files.ts). Everything is checked before anything is written.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { importsOf, packageName } from '../samples/catalogue';
import type { SampleSource } from '../samples/sample-source';
import { TargetNotEmptyError, UnknownSampleError } from './errors';
import { gitignore, jestConfig, packageJson, projectName, readme, tsconfigJson } from './project-files';
import { testPlan, testSource } from './sample-tests';

/** What `scaffold` is asked for. */
export interface ScaffoldOptions {
  /** The project folder; it must not exist, or be empty. */
  readonly target: string;
  /** How the target was written on the command line, for messages. */
  readonly targetAsGiven: string;
  readonly sample: string;
  readonly source: SampleSource;
  /** The version of `@duet/*` the project depends on. */
  readonly duetVersion: string;
}

/** What `scaffold` wrote. */
export interface ScaffoldResult {
  /** The package name given to the project. */
  readonly name: string;
  /** Files written, relative to the target, sorted. */
  readonly files: readonly string[];
}

/**
 * Writes the project. Throws `UnknownSampleError` or `TargetNotEmptyError` before writing
 * anything.
 */
export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const { target, source } = options;
  const sample = source.catalogue.samples.find((candidate) => candidate.name === options.sample);
  if (sample === undefined) {
    throw new UnknownSampleError(options.sample, source.catalogue.samples.map((candidate) => candidate.name));
  }
  if (existsSync(target)) {
    const isFile = !statSync(target).isDirectory();
    if (isFile || readdirSync(target).length > 0) throw new TargetNotEmptyError(options.targetAsGiven, isFile);
  }

  const sampleDir = path.join(source.dir, sample.name);
  const plan = testPlan(sample, (file) => readFileSync(path.join(sampleDir, file), 'utf8'));
  const test = testSource(sample, plan);
  const bare = importsOf(test).filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'));
  const testPackages = [...new Set(bare.map(packageName))];
  const name = projectName(path.basename(target));
  const input = { name, sample, catalogue: source.catalogue, duetVersion: options.duetVersion, plan, testPackages };

  const written: Record<string, string> = {
    'package.json': `${JSON.stringify(packageJson(input), null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfigJson(), null, 2)}\n`,
    'jest.config.js': jestConfig(),
    '.gitignore': gitignore(sample),
    'README.md': readme(input),
    [`test/${sample.name}.test.ts`]: test,
  };
  for (const [file, text] of Object.entries(written)) {
    mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    writeFileSync(path.join(target, file), text);
  }
  for (const file of sample.files) {
    mkdirSync(path.dirname(path.join(target, 'src', file)), { recursive: true });
    cpSync(path.join(sampleDir, file), path.join(target, 'src', file));
  }
  const files = [...Object.keys(written), ...sample.files.map((file) => `src/${file}`)].sort();
  return { name, files };
}
