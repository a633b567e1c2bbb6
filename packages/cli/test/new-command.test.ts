// `duet samples` and `duet new` as users run them: the built CLI as its own process, reading
// the samples of this checkout (jest's global setup builds packages/cli/dist first).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newCommand } from '../src/commands/new';
import type { CliIo } from '../src/command';
import { MissingDirectoryError, TargetNotEmptyError, UnknownSampleError } from '../src/scaffold/errors';

const root = path.join(__dirname, '../../..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const cliVersion = (JSON.parse(readFileSync(path.join(root, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
const sampleNames = readdirSync(path.join(root, 'samples')).filter((name) => existsSync(path.join(root, 'samples', name, 'main.ts')));

function duet(cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** The `//` comment a sample's main.ts starts with, as one line. */
function leadingComment(name: string): string {
  const lines = readFileSync(path.join(root, 'samples', name, 'main.ts'), 'utf8').split('\n');
  return lines.slice(0, lines.findIndex((line) => !line.startsWith('//'))).map((line) => line.slice(2).trim()).join(' ');
}

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'duet-new-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('duet samples', () => {
  it('lists every samples/ folder with a main.ts, one line each: the name, then the first sentence of its leading comment', async () => {
    const result = await duet(work, 'samples');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(' ')[0])).toEqual([...sampleNames].sort());
    for (const line of lines) {
      const [, name, description] = line.match(/^(\S+) +(.+)$/)!;
      expect(leadingComment(name).startsWith(description)).toBe(true);
      expect(description).toMatch(/[.!?]$/);
    }
  });

  it('is listed by duet --help beside new', async () => {
    const result = await duet(work, '--help');
    expect(result.stdout).toMatch(/\n {2}new {7}make a standalone project from a sample/);
    expect(result.stdout).toMatch(/\n {2}samples {3}list the samples duet new can start from/);
  });
});

describe('duet new', () => {
  it('makes the echo project in a new folder by default, named after the folder, and says what to do next', async () => {
    const result = await duet(work, 'new', 'My App');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const project = path.join(work, 'My App');
    expect(filesUnder(project)).toEqual(['.gitignore', 'README.md', 'jest.config.js', 'package.json', 'src/main.ts', 'test/echo.test.ts', 'tsconfig.json']);
    expect(readFileSync(path.join(project, 'src/main.ts'), 'utf8')).toBe(readFileSync(path.join(root, 'samples/echo/main.ts'), 'utf8'));
    const manifest = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'my-app', private: true, scripts: { start: 'ts-node src/main.ts', build: 'tsc', test: 'jest' } });
    expect(manifest.dependencies).toEqual({ '@duet/websocket': cliVersion, inversify: expect.any(String), 'reflect-metadata': expect.any(String) });
    expect(manifest.devDependencies.typescript).toBe('~6.0.3');
    expect(result.stdout).toContain('from the echo sample');
    expect(result.stdout).toContain('Next:\n  cd My App\n  npm install\n  npm start\n');
  });

  it('accepts an existing empty folder', async () => {
    mkdirSync(path.join(work, 'empty'));
    const result = await duet(path.join(work, 'empty'), 'new', '.', '--sample', 'sub-protocol');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Next:\n  npm install\n'); // no `cd .`
    expect(readFileSync(path.join(work, 'empty/test/sub-protocol.test.ts'), 'utf8')).toContain("open(`${url}/ws`, ['xml', 'json'])");
  });

  it.each(sampleNames)('copies the %s sample without its tests, and depends on what its code imports', async (name) => {
    const project = path.join(work, 'each', name);
    expect((await duet(work, 'new', project, '--sample', name)).code).toBe(0);
    const copied = filesUnder(path.join(project, 'src'));
    expect(copied).toContain('main.ts');
    expect(copied.filter((file) => /\.test\.ts$/.test(file))).toEqual([]);
    for (const file of copied) {
      expect(readFileSync(path.join(project, 'src', file))).toEqual(readFileSync(path.join(root, 'samples', name, file)));
    }
    const manifest = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8'));
    const sources = copied.filter((file) => file.endsWith('.ts')).map((file) => readFileSync(path.join(project, 'src', file), 'utf8'));
    for (const duetPackage of ['@duet/websocket', '@duet/redis']) {
      const imported = sources.some((source) => source.includes(`'${duetPackage}'`));
      expect(manifest.dependencies[duetPackage]).toBe(imported ? cliVersion : undefined);
    }
    expect(existsSync(path.join(project, `test/${name}.test.ts`))).toBe(true);
    expect(readFileSync(path.join(project, 'README.md'), 'utf8')).toContain(`npm test        # test/${name}.test.ts`);
  });
});

describe('duet new: mistakes exit with 2, say what is wrong and write nothing', () => {
  it.each([
    ['no <dir>', [], 'duet new: a <dir> for the new project is needed, e.g. `duet new my-app`\n\nUsage: duet new <dir>'],
    ['two folders', ['a', 'b'], 'duet new: one <dir> expected, got: a b'],
    ['an unknown option', ['x', '--template', 'chat'], "duet new: Unknown option '--template'"],
  ])('refuses %s, with the usage', async (_what, args, message) => {
    const result = await duet(work, 'new', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(existsSync(path.join(work, 'x'))).toBe(false);
  });

  it('refuses a folder that has something in it, and leaves it as it was', async () => {
    mkdirSync(path.join(work, 'taken'));
    writeFileSync(path.join(work, 'taken/notes.txt'), 'mine');
    const result = await duet(work, 'new', 'taken');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('duet new: taken already exists and is not empty; give the name of a new or empty folder (nothing was written)\n');
    expect(readdirSync(path.join(work, 'taken'))).toEqual(['notes.txt']);
  });

  it('refuses a path that is a file', async () => {
    writeFileSync(path.join(work, 'a-file'), '');
    const result = await duet(work, 'new', 'a-file');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('duet new: a-file is a file;');
  });

  it('refuses an unknown sample, naming every known one', async () => {
    const result = await duet(work, 'new', 'fresh', '--sample', 'chatroom');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`duet new: unknown sample 'chatroom'; the samples are: ${[...sampleNames].sort().join(', ')} (\`duet samples\` describes them)\n`);
    expect(existsSync(path.join(work, 'fresh'))).toBe(false);
  });

  it('throws typed errors with stable codes', async () => {
    const io: CliIo = { cwd: work, stdout: () => undefined, stderr: () => undefined };
    const refusal = (args: string[]) => newCommand.run(args, io).then(() => undefined, (error: unknown) => error);
    expect(await refusal([])).toMatchObject({ constructor: MissingDirectoryError, code: 'DUET_ERR_MISSING_DIRECTORY', exitCode: 2 });
    expect(await refusal(['taken'])).toMatchObject({ constructor: TargetNotEmptyError, code: 'DUET_ERR_TARGET_NOT_EMPTY', target: 'taken' });
    const unknown = await refusal(['fresh', '-s', 'nope']);
    expect(unknown).toBeInstanceOf(UnknownSampleError);
    expect(unknown).toMatchObject({ code: 'DUET_ERR_UNKNOWN_SAMPLE', sample: 'nope', known: [...sampleNames].sort() });
  });
});
