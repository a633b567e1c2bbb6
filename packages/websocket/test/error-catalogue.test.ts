// Keeps the error catalogue, the exports and docs/errors.md in sync (as fastify does for its
// FST_ERR_ codes): every error class a package exports has one row in the table, with its code
// and, where fixed, its close code or HTTP status; every row names a class that is exported.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as websocket from '@duet/websocket';
import * as redis from '@duet/redis';
import * as testing from '@duet/testing';
import * as metrics from '@duet/metrics';
import * as contract from '@duet/contract';
import * as client from '@duet/client';

const PACKAGES: Record<string, Record<string, unknown>> = {
  '@duet/websocket': websocket,
  '@duet/redis': redis,
  '@duet/testing': testing,
  '@duet/metrics': metrics,
  // The browser packages cannot import @duet/websocket: their errors share @duet/contract's CodedError.
  '@duet/contract': contract,
  '@duet/client': client,
};

interface Row {
  readonly name: string;
  readonly code: string | undefined;
  readonly outcome: string;
  readonly pkg: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

function tableOf(markdown: string): Row[] {
  const rows: Row[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 7 || !/^`\w+`$/.test(cells[1])) continue;
    const unquote = (cell: string) => cell.replace(/^`|`$/g, '');
    rows.push({ name: unquote(cells[1]), code: cells[2] === '—' ? undefined : unquote(cells[2]), outcome: cells[3], pkg: unquote(cells[4]) });
  }
  return rows;
}

function exportedErrorClasses(): Map<string, { cls: ErrorClass; pkg: string }> {
  const found = new Map<string, { cls: ErrorClass; pkg: string }>();
  for (const [pkg, exports] of Object.entries(PACKAGES)) {
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      // A class re-exported by a later package (the client re-exports the contract's) is listed once, where it is defined.
      if (found.get(name)?.cls === value) continue;
      found.set(name, { cls: value as ErrorClass, pkg });
    }
  }
  return found;
}

// An instance to read `code` from (an instance field): made with no arguments, else with every
// argument an Error, which stands in for strings, numbers and causes alike.
function probe(cls: ErrorClass): Error & { code?: unknown; closeCode?: unknown; status?: unknown } {
  try {
    return Reflect.construct(cls, []);
  } catch {
    const argument = new Error('probe');
    return Reflect.construct(cls, [argument, argument, argument, argument, argument, argument]);
  }
}

const table = tableOf(readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8'));
const exported = exportedErrorClasses();

describe('the error catalogue (docs/errors.md)', () => {
  it('has one row per class', () => {
    const names = table.map((row) => row.name);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('lists every error class that a package exports, under that package', () => {
    const missing = [...exported].filter(([name, { pkg }]) => !table.some((row) => row.name === name && row.pkg === pkg));
    expect(missing.map(([name, { pkg }]) => `${pkg} ${name}`)).toEqual([]);
  });

  it('names only classes that are exported', () => {
    const stale = table.filter((row) => exported.get(row.name)?.pkg !== row.pkg);
    expect(stale.map((row) => `${row.pkg} ${row.name}`)).toEqual([]);
  });

  it('gives each class its code, and every exported error is a DuetError (CodedError in the browser packages) with a DUET_ERR_ code or a base class without one', () => {
    const wrong: string[] = [];
    for (const row of table) {
      const entry = exported.get(row.name);
      if (entry === undefined) continue;
      const instance = probe(entry.cls);
      if (!(instance instanceof websocket.DuetError) && !(instance instanceof contract.CodedError)) wrong.push(`${row.name} is not a DuetError`);
      if (instance.code !== row.code) wrong.push(`${row.name}: code ${String(instance.code)}, table ${String(row.code)}`);
      if (row.code !== undefined && !/^DUET_ERR_[A-Z0-9_]+$/.test(row.code)) wrong.push(`${row.name}: ${row.code} is not a DUET_ERR_ code`);
      if (instance.name !== row.name) wrong.push(`${row.name}: name ${instance.name}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives each fixed close code and HTTP status as the error carries it', () => {
    const wrong: string[] = [];
    for (const row of table) {
      const entry = exported.get(row.name);
      if (entry === undefined) continue;
      const instance = probe(entry.cls);
      const close = /^close (\d+)$/.exec(row.outcome);
      const http = /^HTTP (\d+)$/.exec(row.outcome);
      if (close !== null && instance.closeCode !== Number(close[1])) wrong.push(`${row.name}: closeCode ${String(instance.closeCode)}`);
      if (http !== null && instance.status !== Number(http[1])) wrong.push(`${row.name}: status ${String(instance.status)}`);
      // A fixed close code or status the table does not give is a row out of date.
      if (typeof instance.closeCode === 'number' && close === null && !/close/.test(row.outcome)) wrong.push(`${row.name}: closeCode not in the table`);
      if (typeof instance.status === 'number' && http === null && !/HTTP/.test(row.outcome)) wrong.push(`${row.name}: status not in the table`);
    }
    expect(wrong).toEqual([]);
  });
});
