// `.filter((caller) => boolean)` of a target: the predicate travels as its source and is compiled
// on every node, this one included, so it behaves the same wherever a connection lives. Compiled
// once per source (each registry keeps a bounded cache), in strict mode, without access to the
// sender's scope.
import type { Caller } from '../caller';
import { InvalidArgumentError } from '../errors';
import type { Logger } from '../logger';

/** What `.filter()` takes: a pure, self-contained function of the caller. */
export type MemberPredicate = (caller: Caller) => boolean;

/** A compiled predicate; `failed` is set at its first throw, so a throwing predicate is logged once. */
export interface CompiledFilter {
  readonly source: string;
  readonly test: MemberPredicate;
  failed: boolean;
}

// Sources come from the backplane too, where they may vary without end: the cache is bounded and
// forgets the oldest source first.
const MAX_CACHED = 256;

/** The filters a registry has compiled, by source. */
export class CompiledFilters {
  /** A source that does not compile is remembered too, so one that keeps coming is compiled (and logged) once. */
  private readonly bySource = new Map<string, CompiledFilter | InvalidArgumentError>();
  private readonly reportedErrors = new WeakSet<InvalidArgumentError>();

  /** The compiled predicate of `source`; InvalidArgumentError when it is not a function expression. */
  compile(source: string): CompiledFilter | InvalidArgumentError {
    const cached = this.bySource.get(source);
    if (cached !== undefined) return cached;
    const compiled = compileSource(source);
    if (this.bySource.size >= MAX_CACHED) this.bySource.delete(this.bySource.keys().next().value!);
    this.bySource.set(source, compiled);
    return compiled;
  }

  /** True the first time it is asked about `error` (a source from another node that does not compile: logged once). */
  firstReport(error: InvalidArgumentError): boolean {
    if (this.reportedErrors.has(error)) return false;
    this.reportedErrors.add(error);
    return true;
  }
}

function compileSource(source: string): CompiledFilter | InvalidArgumentError {
  let test: unknown;
  try {
    // A function of the global scope only: nothing of this module is reachable from it.
    test = new Function(`"use strict"; return (${source}\n);`)();
  } catch (error) {
    return new InvalidArgumentError(`filter: the predicate's source does not compile on its own (${(error as Error).message}); pass an arrow or function expression`);
  }
  if (typeof test !== 'function') return new InvalidArgumentError('filter: the predicate source is not a function');
  return { source, test: test as MemberPredicate, failed: false };
}

/** The source of `predicate`, checked to compile; with `previous` (an earlier `.filter()`), both must hold. */
export function filterSource(predicate: unknown, previous: string | undefined, filters: CompiledFilters): string | InvalidArgumentError {
  if (typeof predicate !== 'function') return new InvalidArgumentError(`filter takes a function (caller) => boolean, got ${typeof predicate}`);
  const own = Function.prototype.toString.call(predicate);
  const ownCompiled = filters.compile(own);
  if (ownCompiled instanceof InvalidArgumentError) return ownCompiled;
  if (previous === undefined) return own;
  const source = `(caller) => (${previous})(caller) && (${own})(caller)`;
  const compiled = filters.compile(source);
  return compiled instanceof InvalidArgumentError ? compiled : source;
}

/** Whether `caller` passes; a predicate that throws excludes it (logged once per source). */
export function passes(filter: CompiledFilter, caller: Caller, logger: Logger): boolean {
  try {
    return Boolean(filter.test(caller));
  } catch (error) {
    if (!filter.failed) {
      filter.failed = true;
      logger.warn('a broadcast filter threw; the connections it threw for are left out (logged once per filter)', {
        filter: filter.source.slice(0, 200),
        error: error instanceof Error ? error.message : String(error),
      });
    }
    return false;
  }
}
