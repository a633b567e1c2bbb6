// What Linux says about a process, read from /proc: CPU time and resident memory. Used by the
// runner (server memory) and the load generator (CPU over a measured window).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this bench runs on

/** User + system CPU seconds the process has used so far (NaN when it cannot be read). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes (NaN when it cannot be read). */
export function residentBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU use of a process between two calls, as a fraction of one core. */
export class CpuMeter {
  private readonly startCpu: number;
  private readonly startWall: number;

  constructor(private readonly pid: number) {
    this.startCpu = cpuSeconds(pid);
    this.startWall = performance.now();
  }

  /** Fraction of one core used since construction. */
  read(): number {
    const seconds = (performance.now() - this.startWall) / 1000;
    return this.usedSeconds() / seconds;
  }

  /** CPU seconds used since construction. */
  usedSeconds(): number {
    return cpuSeconds(this.pid) - this.startCpu;
  }
}

/** Busy and total CPU ticks of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number); // user … steal
    const total = values.reduce((sum, value) => sum + value, 0);
    return { busy: total - values[3] - values[4], total }; // less idle and iowait
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** CPU use of the whole machine between construction and `read()`, in cores. */
export class MachineMeter {
  private readonly start = machineTicks();
  private readonly startWall = performance.now();

  read(): number {
    const end = machineTicks();
    const seconds = (performance.now() - this.startWall) / 1000;
    return (end.busy - this.start.busy) / TICKS_PER_SECOND / seconds;
  }
}
