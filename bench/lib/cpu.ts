// CPU accounting for benchmark runs: a child's own CPU seconds (GNU time), and a running
// process's (an emulator's) from /proc, so a report can say who spent the machine.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, setPriority } from 'node:os';

export const GNU_TIME = '/usr/bin/time';

/** `cmd` wrapped so that GNU time writes "user system" CPU seconds to `outFile`; unchanged without GNU time. */
export function withCpuTime(cmd: string[], outFile: string): string[] {
  return existsSync(GNU_TIME) ? [GNU_TIME, '-f', '%U %S', '-o', outFile, ...cmd] : cmd;
}

/** CPU seconds GNU time wrote, or undefined. */
export function readCpuTime(outFile: string): number | undefined {
  try {
    const [user, sys] = readFileSync(outFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    return user !== undefined && sys !== undefined && Number.isFinite(user + sys) ? user + sys : undefined;
  } catch {
    return undefined;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds so far of the process whose command line contains `needle` (e.g. `--blobPort 1234`). */
export function processCpuSeconds(needle: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (!cmdline.includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields after the command: state is index 0, so utime (14th overall) is 11, stime 12.
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** "load 3.2 on 2 cores", for judging whether other work on the machine disturbed a run. */
export function describeLoad(): string {
  return `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
}

export function isBusy(): boolean {
  return loadavg()[0]! > cpus().length;
}

/** Pid of the process whose command line contains `needle`. */
export function findPid(needle: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * Raises the CPU priority of every thread of `pid` (Linux applies nice per thread). The
 * emulators and the relay stand in for a remote service and the network, so other work
 * on a small machine should slow them as little as possible; the tools measured keep
 * normal priority. Returns false when not permitted (not root).
 */
export function raisePriority(pid: number, nice = -10): boolean {
  let ok = true;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), nice);
    } catch {
      ok = false;
    }
  }
  return ok;
}
