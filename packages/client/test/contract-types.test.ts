// Runs tsc over contract-types.ts: its `@ts-expect-error` lines (a wrong request name, payload
// field, reply use…) must each be an error, and its correct uses must compile.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

it('types a client from its contract: wrong names, fields and reply uses do not compile', () => {
  const root = path.join(__dirname, '..', '..', '..');
  let output = '';
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'packages/client/tsconfig.types.json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  expect(output).toBe('');
});
