// The children of a load run run as plain JavaScript: their TypeScript is transpiled once per
// run into node_modules/.cache (where `@duet/*` resolves as from the repository), so a server's
// memory holds Duet and not the TypeScript compiler that ts-node keeps loaded — some 50 MB of
// RSS per process that would sit in every "before" and make "back within 10 %" look easier.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** What the children import, all in this folder: nothing else is transpiled. */
const SOURCES = ['server.ts', 'generator.ts', 'children.ts', 'options.ts', 'proc.ts', 'broadcast-text.ts'];
const CACHE = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'duet-load');

export class ChildScripts {
  readonly name = 'transpiled child scripts';

  private constructor(private readonly dir: string) {}

  /** Transpiles the children's sources into a folder of this run's own. */
  static transpile(): ChildScripts {
    mkdirSync(CACHE, { recursive: true });
    const dir = mkdtempSync(path.join(CACHE, 'run-'));
    for (const source of SOURCES) {
      const file = path.join(__dirname, source);
      const output = ts.transpileModule(readFileSync(file, 'utf8'), {
        fileName: file,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.CommonJS,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          esModuleInterop: true,
        },
      });
      writeFileSync(path.join(dir, source.replace(/\.ts$/, '.js')), output.outputText);
    }
    return new ChildScripts(dir);
  }

  /** The JavaScript of `script` (e.g. `server.ts`). */
  path(script: string): string {
    return path.join(this.dir, script.replace(/\.ts$/, '.js'));
  }

  /** Removes the folder. */
  async stop(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
