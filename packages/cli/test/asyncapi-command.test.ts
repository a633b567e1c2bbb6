// `duet asyncapi` as users run it: the built CLI as its own process (jest's global setup
// builds packages/cli/dist first).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '../../..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const fixture = (name: string) => path.relative(root, path.join(__dirname, 'fixtures', name));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function duet(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

let out: string;
beforeAll(() => {
  out = mkdtempSync(path.join(tmpdir(), 'duet-asyncapi-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('duet asyncapi', () => {
  it('writes the YAML document of a TypeScript entry to -o, identical to the committed market-feed one', async () => {
    const file = path.join(out, 'market-feed.yaml');
    const result = await duet('asyncapi', 'samples/market-feed/main.ts', '-o', file);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe(`duet asyncapi: wrote ${file} (1 channel(s), 4 operation(s))\n`);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(path.join(root, 'samples/market-feed/asyncapi.yaml'), 'utf8'));
  }, 30000);

  it("takes an exported services array, and the nearest package.json's name and version", async () => {
    const file = path.join(out, 'nested/rooms.json');
    const result = await duet('asyncapi', fixture('services-array.js'), '--output', file);
    expect(result.code).toBe(0);
    const document = JSON.parse(readFileSync(file, 'utf8')); // JSON, since the name ends in .json
    expect(document.info).toEqual({ title: '@duet/cli', version: '0.1.0', description: expect.any(String) });
    expect(Object.keys(document.channels)).toEqual(['RoomService']);
    expect(document.channels.RoomService).toMatchObject({ address: '/rooms/{room}', 'x-sub-protocols': ['rooms.v1'] });
    expect(Object.keys(document.operations)).toEqual(['RoomService.hello', 'RoomService.error']);
  });

  it('prints to stdout in the asked format, --title and --version winning', async () => {
    const json = await duet('asyncapi', fixture('services-array.js'), '--format', 'json', '--title', 'Rooms', '--version', '2.0.0');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).info).toMatchObject({ title: 'Rooms', version: '2.0.0' });
    const yaml = await duet('asyncapi', fixture('services-array.js'), '--title', 'Rooms');
    expect(yaml.stdout).toMatch(/^asyncapi: "3\.0\.0"\ninfo:\n {2}title: Rooms\n/);
  });

  it('lists its commands for --help and exits 0', async () => {
    const result = await duet('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: duet <command> \[options\]/);
    expect(result.stdout).toMatch(/\n {2}asyncapi {2}write the AsyncAPI 3\.0 document/);
    const help = await duet('asyncapi', '--help');
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: duet asyncapi <entry> \[-o file\]/) });
  });
});

describe('duet asyncapi: mistakes exit with 2 and say what is wrong', () => {
  it.each([
    ['a missing entry', ['asyncapi', 'samples/nowhere/main.ts'], 'duet asyncapi: entry not found: samples/nowhere/main.ts'],
    ['an entry without services', ['asyncapi', fixture('no-services.js')], `duet asyncapi: no services found in ${fixture('no-services.js')}`],
    ['an unknown option', ['asyncapi', fixture('services-array.js'), '--pretty'], "duet asyncapi: Unknown option '--pretty'"],
    ['no entry', ['asyncapi'], 'duet asyncapi: an <entry> module is needed'],
    ['an unknown format', ['asyncapi', fixture('services-array.js'), '--format', 'xml'], "duet asyncapi: --format must be json or yaml, got 'xml'"],
    ['an unknown command', ['deploy'], "duet: unknown command 'deploy'"],
    ['no command', [], 'duet: a command is needed'],
  ])('refuses %s', async (_what, args, message) => {
    const result = await duet(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toContain(message);
    expect(result.stderr).toMatch(/Usage: duet/);
  });
});
