// What Linux says about a process, read from /proc: CPU seconds, resident memory and the
// open-file limit. The load test reads them for processes it started (redis-server, its children).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on the Linux kernels this runs on

/** User + system CPU seconds `pid` has used so far (NaN when it cannot be read). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return Number.NaN;
  }
}

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
