// What a folder of samples offers `duet new`: each sample's name, one-line description, files
// and the packages its code imports, plus the versions the repository pins for those packages.
// Read from the repository's samples/ by the build step (which writes it to templates/) and,
// in a checkout, by the CLI itself.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/** One sample as `duet new` copies it. */
export interface SampleEntry {
  /** The folder name under samples/, e.g. `echo`. */
  readonly name: string;
  /** The first sentence of the comment main.ts starts with. */
  readonly description: string;
  /** The whole comment main.ts starts with, without the `//`: the sample's own documentation. */
  readonly about: string;
  /** Files to copy, relative to the sample folder, with `/` separators, sorted. */
  readonly files: readonly string[];
  /** Files the repository ignores in the sample (made when it runs, e.g. `keys/`): a project ignores them too. */
  readonly ignored: readonly string[];
  /** The packages the sample's code imports (`ws`, `@duet/websocket`, …), sorted. */
  readonly packages: readonly string[];
}

/** Every sample, and the version ranges the repository pins for the packages they may need. */
export interface SampleCatalogue {
  readonly samples: readonly SampleEntry[];
  /** Package name → version range, from the repository's package.json files (`@duet/*` excluded). */
  readonly versions: Readonly<Record<string, string>>;
}

const TEST_FILE = /\.(test|spec)\.[cm]?[tj]s$/;
const IMPORT = /(?:(?:^|[\s}*])from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
const builtins = new Set(builtinModules);

/**
 * Reads the samples of a repository checkout: every folder of `<root>/samples` with a main.ts.
 * Throws when a sample's code reaches outside its folder or imports a package no package.json
 * of the repository pins, since the project made from it could not be built.
 */
export function readCatalogue(root: string): SampleCatalogue {
  const samplesDir = path.join(root, 'samples');
  const ignoredBySample = repositoryIgnores(root);
  const samples = readdirSync(samplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(samplesDir, entry.name, 'main.ts')))
    .map((entry) => readSample(samplesDir, entry.name, ignoredBySample.get(entry.name) ?? []))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const versions = repositoryVersions(root);
  for (const sample of samples) {
    const unpinned = sample.packages.filter((name) => !name.startsWith('@duet/') && versions[name] === undefined);
    if (unpinned.length > 0) {
      throw new Error(`samples/${sample.name} imports ${unpinned.join(', ')}, which no package.json of the repository pins`);
    }
  }
  return { samples, versions };
}

/** The first sentence of a sample's leading comment (`about`). */
export function firstSentence(about: string): string {
  const paragraph = about.split(/\n\s*\n|\n(?=\s)/)[0].replace(/\s+/g, ' ').trim();
  return paragraph.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? paragraph;
}

function readSample(samplesDir: string, name: string, ignored: readonly string[]): SampleEntry {
  const dir = path.join(samplesDir, name);
  const files = listFiles(dir, '', ignored);
  const packages = new Set<string>();
  for (const file of files.filter((candidate) => /\.[cm]?[tj]s$/.test(candidate))) {
    for (const specifier of importsOf(readFileSync(path.join(dir, file), 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = path.resolve(dir, path.dirname(file), specifier);
        if (path.relative(dir, target).startsWith('..')) {
          throw new Error(`samples/${name}/${file} imports '${specifier}', outside the sample: a project made from it could not build`);
        }
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        packages.add(packageName(specifier));
      }
    }
  }
  const about = leadingComment(readFileSync(path.join(dir, 'main.ts'), 'utf8'));
  return { name, description: firstSentence(about), about, files, ignored, packages: [...packages].sort() };
}

/** Files of a sample, minus tests (they use the repository's helpers) and what git ignores. */
function listFiles(dir: string, prefix: string, ignored: readonly string[]): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.name === 'node_modules' || ignored.some((pattern) => relative === pattern || relative.startsWith(`${pattern}/`))) continue;
    if (entry.isDirectory()) files.push(...listFiles(dir, relative, ignored));
    else if (entry.isFile() && !TEST_FILE.test(entry.name)) files.push(relative);
  }
  return files.sort();
}

/** Module specifiers of a source file: static and dynamic imports, `import type`, `require`. */
export function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1]);
}

/** The package a bare module specifier names: `@scope/name` or `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The `//` lines a file starts with, without the markers; indentation after `// ` is kept. */
function leadingComment(source: string): string {
  const lines: string[] = [];
  for (const line of source.split('\n')) {
    if (!line.startsWith('//')) break;
    lines.push(line.replace(/^\/\/ ?/, ''));
  }
  return lines.join('\n').trimEnd();
}

/** `samples/<name>/<path>` lines of the repository's .gitignore, by sample. */
function repositoryIgnores(root: string): Map<string, string[]> {
  const bySample = new Map<string, string[]>();
  const file = path.join(root, '.gitignore');
  if (!existsSync(file)) return bySample;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = line.trim().match(/^\/?samples\/([^/*]+)\/(.+?)\/?$/);
    if (match) bySample.set(match[1], [...(bySample.get(match[1]) ?? []), match[2]]);
  }
  return bySample;
}

/** Version ranges from the root package.json and every workspace package's package.json. */
function repositoryVersions(root: string): Record<string, string> {
  const manifests = [path.join(root, 'package.json')];
  const packagesDir = path.join(root, 'packages');
  for (const name of existsSync(packagesDir) ? readdirSync(packagesDir) : []) {
    const manifest = path.join(packagesDir, name, 'package.json');
    if (existsSync(manifest) && statSync(manifest).isFile()) manifests.push(manifest);
  }
  const versions: Record<string, string> = {};
  for (const manifest of manifests) {
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const [name, range] of Object.entries({ ...json.devDependencies, ...json.dependencies })) {
      if (!name.startsWith('@duet/') && versions[name] === undefined) versions[name] = range;
    }
  }
  return Object.fromEntries(Object.entries(versions).sort(([a], [b]) => (a < b ? -1 : 1)));
}
