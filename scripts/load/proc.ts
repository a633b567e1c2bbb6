// What Linux says about a process, read from /proc: resident memory, the open-file limit and
// kernel settings, for the load test's children (transpiled alone: this file imports nothing of
// the repository). CPU seconds come from the bench's reader (bench/src/proc.ts).
import { readFileSync } from 'node:fs';

/** The soft limit on open files of `pid` (what `ulimit -n` prints in it); NaN when unreadable. */
export function openFileLimit(pid: number | 'self' = 'self'): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'));
    if (match === null) return Number.NaN;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

/** A kernel setting under /proc/sys, as text (undefined when unreadable), e.g. `net/core/somaxconn`. */
export function kernelSetting(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, 'latin1').trim().replace(/\s+/g, ' ');
  } catch {
    return undefined;
  }
}

/** This process's resident memory as Linux splits it: anonymous (heaps) and file pages (code, shared with other processes). */
export function residentSplit(): { rssAnon: number; rssFile: number } {
  try {
    const status = readFileSync('/proc/self/status', 'latin1');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rssAnon: kib('RssAnon'), rssFile: kib('RssFile') };
  } catch {
    return { rssAnon: Number.NaN, rssFile: Number.NaN };
  }
}
