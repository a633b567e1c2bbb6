// `duet asyncapi <entry>`: the AsyncAPI 3.0 document of the services an entry module exports,
// as YAML (default) or JSON, to a file or stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type AsyncApiInfo, generateAsyncApi, toYaml } from '@duet/websocket';
import { type Command, UsageError, parsingArguments } from '../command';
import { loadEntry, nearestPackage } from '../entry-module';

const USAGE = `Usage: duet asyncapi <entry> [-o file] [--title T] [--version V] [--format json|yaml]

Writes the AsyncAPI 3.0 document of the services <entry> exports. <entry> is a .ts or .js
module; its exported 'services' array is used, else every exported @WebSocketService class.
Title, version, description and servers come from its exported 'asyncApiInfo', else from the
nearest package.json; the options below win over both.

Options:
  -o, --output <file>    write the document to <file> (default: stdout)
  --title <title>        the document's title
  --version <version>    the document's version
  --format <json|yaml>   yaml by default; json when <file> ends in .json
  -h, --help             show this help
`;

/** `duet asyncapi`. */
export const asyncapiCommand: Command = {
  name: 'asyncapi',
  summary: 'write the AsyncAPI 3.0 document of the services a module exports',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parsingArguments(() =>
      parseArgs({
        args: [...args],
        options: {
          output: { type: 'string', short: 'o' },
          title: { type: 'string' },
          version: { type: 'string' },
          format: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: true,
        strict: true,
      }),
    );
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'an <entry> module is needed' : `one <entry> expected, got: ${positionals.join(' ')}`);
    }
    const format = values.format ?? (values.output?.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
    if (format !== 'json' && format !== 'yaml') throw new UsageError(`--format must be json or yaml, got '${format}'`);

    const entry = path.resolve(io.cwd, positionals[0]);
    const { services, info: exported } = loadEntry(entry, positionals[0]);
    const info: AsyncApiInfo = {
      title: path.basename(entry).replace(/\.[^.]+$/, ''),
      version: '0.0.0',
      ...nearestPackage(entry),
      ...exported,
      ...(values.title === undefined ? {} : { title: values.title }),
      ...(values.version === undefined ? {} : { version: values.version }),
    };
    const document = generateAsyncApi(services, info);
    const text = format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : toYaml(document);
    if (values.output === undefined) {
      io.stdout(text);
      return 0;
    }
    const output = path.resolve(io.cwd, values.output);
    mkdirSync(path.dirname(output), { recursive: true });
    writeFileSync(output, text);
    const counts = `${Object.keys(document.channels).length} channel(s), ${Object.keys(document.operations).length} operation(s)`;
    io.stderr(`duet asyncapi: wrote ${values.output} (${counts})\n`);
    return 0;
  },
};
