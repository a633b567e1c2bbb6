// Where `duet new` finds the samples at run time. Installed from npm, the CLI carries them in
// its templates/ folder (written by its build step); in a checkout of the Duet repository it
// reads samples/ directly, so an edited sample is scaffolded as it is now, never a stale copy.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type SampleCatalogue, readCatalogue } from './catalogue';

/** The catalogue, and the folder each sample's files are copied from. */
export interface SampleSource {
  readonly catalogue: SampleCatalogue;
  /** The folder holding `samples/<name>` (or `templates/<name>`). */
  readonly dir: string;
  /** `templates` for a built package, `checkout` for the repository's samples/. */
  readonly kind: 'templates' | 'checkout';
}

/** The folder of the @duet/cli package (holding package.json, dist/, templates/). */
export const packageRoot = path.join(__dirname, '..', '..');

const CATALOGUE_FILE = 'catalogue.json';

/** The samples this installation of the CLI can scaffold. */
export function sampleSource(root: string = packageRoot): SampleSource {
  const checkout = path.join(root, '..', '..');
  if (isDuetCheckout(checkout)) {
    return { catalogue: readCatalogue(checkout), dir: path.join(checkout, 'samples'), kind: 'checkout' };
  }
  const templates = path.join(root, 'templates');
  const file = path.join(templates, CATALOGUE_FILE);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: this @duet/cli was packed without its templates (its build step writes them)`);
  }
  return { catalogue: JSON.parse(readFileSync(file, 'utf8')) as SampleCatalogue, dir: templates, kind: 'templates' };
}

/**
 * The build step: copies every sample of the checkout at `repositoryRoot` (minus tests and
 * ignored files) to `templates`, with the catalogue beside them. Returns the catalogue.
 */
export function writeTemplates(repositoryRoot: string, templates: string): SampleCatalogue {
  const catalogue = readCatalogue(repositoryRoot);
  const wanted = new Map<string, Buffer>([[CATALOGUE_FILE, Buffer.from(`${JSON.stringify(catalogue, null, 2)}\n`)]]);
  for (const sample of catalogue.samples) {
    for (const file of sample.files) {
      wanted.set(`${sample.name}/${file}`, readFileSync(path.join(repositoryRoot, 'samples', sample.name, file)));
    }
  }
  // Left alone when up to date: another `npm pack` may be reading it right now.
  if (sameFiles(templates, wanted)) return catalogue;
  rmSync(templates, { recursive: true, force: true });
  for (const [file, content] of wanted) {
    mkdirSync(path.dirname(path.join(templates, file)), { recursive: true });
    writeFileSync(path.join(templates, file), content);
  }
  return catalogue;
}

/** Whether `dir` holds exactly the files of `wanted` (relative path → content). */
function sameFiles(dir: string, wanted: ReadonlyMap<string, Buffer>): boolean {
  if (!existsSync(dir)) return false;
  const present = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  if (present.length !== wanted.size) return false;
  return present.every((entry) => {
    const file = path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    return wanted.get(file)?.equals(readFileSync(path.join(dir, file))) === true;
  });
}

function isDuetCheckout(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest) || !existsSync(path.join(dir, 'samples'))) return false;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'duet-monorepo';
}
