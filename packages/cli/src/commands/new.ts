// `duet new <dir> [--sample <name>]`: a standalone project made from one of the samples, ready
// for `npm install && npm start`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError, parsingArguments } from '../command';
import { packageRoot, sampleSource } from '../samples/sample-source';
import { MissingDirectoryError } from '../scaffold/errors';
import { scaffold } from '../scaffold/scaffold';

/**
 * The sample `duet new` starts from without `--sample`: echo is one file with no dependency
 * beyond @duet/websocket, and the service any WebSocket client can try at once.
 */
export const DEFAULT_SAMPLE = 'echo';

const USAGE = `Usage: duet new <dir> [--sample <name>]

Makes a standalone project in <dir> (a new or empty folder) from one of Duet's samples: the
sample's code under src/, a package.json depending on the @duet packages of this CLI's version,
tsconfig.json, jest.config.js, a test under test/ and a README. Then:
  cd <dir> && npm install && npm start

Options:
  -s, --sample <name>  the sample to start from (default: ${DEFAULT_SAMPLE}); \`duet samples\` lists them
  -h, --help           show this help
`;

/** `duet new`. */
export const newCommand: Command = {
  name: 'new',
  summary: 'make a standalone project from a sample (duet new my-app --sample chat)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parsingArguments(() =>
      parseArgs({
        args: [...args],
        options: { sample: { type: 'string', short: 's' }, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      }),
    );
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length === 0) throw new MissingDirectoryError();
    if (positionals.length > 1) throw new UsageError(`one <dir> expected, got: ${positionals.join(' ')}`);
    const [dir] = positionals;
    const sample = values.sample ?? DEFAULT_SAMPLE;
    const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };

    const result = scaffold({ target: path.resolve(io.cwd, dir), targetAsGiven: dir, sample, source: sampleSource(), duetVersion: version });
    const steps = [...(path.resolve(io.cwd, dir) === io.cwd ? [] : [`cd ${dir}`]), 'npm install', 'npm start'];
    io.stdout(
      `Created ${result.name} in ${dir} from the ${sample} sample:\n` +
        result.files.map((file) => `  ${file}\n`).join('') +
        `\nNext:\n${steps.map((step) => `  ${step}\n`).join('')}` +
        `\nnpm test runs test/${sample}.test.ts; README.md says how to try it.\n`,
    );
    return 0;
  },
};
