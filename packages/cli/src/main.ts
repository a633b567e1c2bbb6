// `duet <command> …`: finds the command by name and runs it. Exit codes: 0 done, 1 failed,
// 2 called wrongly (the message says how to call it).
import { asyncapiCommand } from './commands/asyncapi';
import { newCommand } from './commands/new';
import { samplesCommand } from './commands/samples';
import { type CliIo, type Command, UsageError } from './command';

/** Every command, in the order `duet --help` lists them. */
export const commands: readonly Command[] = [newCommand, samplesCommand, asyncapiCommand];

/** The help `duet --help` prints. */
export function usage(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: duet <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`duet <command> --help\` for a command's options.\n`;
}

/**
 * Runs `duet` with `argv` (the arguments after `duet`) and resolves with the exit code; never
 * throws. `io` defaults to the process's streams and working directory.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return 0;
  }
  if (name === undefined || name.startsWith('-')) {
    io.stderr(`${name === undefined ? 'duet: a command is needed' : `duet: unknown option '${name}'`}\n\n${usage()}`);
    return 2;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr(`duet: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`duet ${name}: ${error.message}\n${error.showUsage ? `\n${command.usage}` : ''}`);
      return error.exitCode;
    }
    io.stderr(`duet ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

/** Runs the process's arguments and exits with the result, once what was written is out. */
export function main(): void {
  void run(process.argv.slice(2)).then((code) => {
    // An entry module may leave timers or sockets behind; the command is done all the same.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}

function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}

if (require.main === module) main();
