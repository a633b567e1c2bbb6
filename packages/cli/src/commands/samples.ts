// `duet samples`: the samples `duet new --sample <name>` can start from, one line each.
import { parseArgs } from 'node:util';
import { type Command, UsageError, parsingArguments } from '../command';
import { sampleSource } from '../samples/sample-source';

const USAGE = `Usage: duet samples

Lists the samples \`duet new <dir> --sample <name>\` can make a project from: each name, then
the first sentence of its description.

Options:
  -h, --help  show this help
`;

/** `duet samples`. */
export const samplesCommand: Command = {
  name: 'samples',
  summary: 'list the samples duet new can start from',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parsingArguments(() =>
      parseArgs({ args: [...args], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }),
    );
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`no arguments expected, got: ${positionals.join(' ')}`);
    const { samples } = sampleSource().catalogue;
    const width = Math.max(...samples.map((sample) => sample.name.length));
    io.stdout(samples.map((sample) => `${sample.name.padEnd(width)}  ${sample.description}\n`).join(''));
    return 0;
  },
};
