import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * CPU time of the bench's server processes, read from /proc (Linux): the
 * bench reads it around each measured step and divides by the chats sent.
 */

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of one process in ms; 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), so utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function allPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function read(pid: number, file: 'cmdline' | 'comm'): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Processes whose command line matches. */
export function pidsWhere(match: (cmdline: string, comm: string) => boolean): number[] {
  return allPids().filter((pid) => match(read(pid, 'cmdline'), read(pid, 'comm')));
}

/** The backends serving one database (their title is "postgres: user database address state"). */
export const postgresBackends = (database: string) => () =>
  pidsWhere((cmdline) => cmdline.startsWith('postgres:') && cmdline.split(' ').includes(database));

/** The Kafka JVM listening on `port`: its server.properties names the listener. */
export function kafkaBrokerPids(port: number): number[] {
  return pidsWhere((cmdline) => {
    if (!cmdline.includes('kafka.Kafka')) return false;
    const props = cmdline.split(' ').find((arg) => arg.endsWith('server.properties'));
    try {
      return !!props && fs.readFileSync(props, 'utf8').includes(`127.0.0.1:${port}`);
    } catch {
      return false;
    }
  });
}

export const redisPids = () => pidsWhere((_cmdline, comm) => comm === 'redis-server');

/** A named group of processes; `pids` is asked again at each reading (backends come and go). */
export type CpuGroups = Record<string, () => number[]>;

export function readCpu(groups: CpuGroups): Record<string, Map<number, number>> {
  return Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, processCpuMs(pid)]))]));
}

/** CPU ms each group spent between two readings (a process new since `before` counts from 0). */
export function cpuSpent(groups: CpuGroups, before: Record<string, Map<number, number>>): Record<string, number> {
  const after = readCpu(groups);
  return Object.fromEntries(
    Object.entries(after).map(([name, now]) => [name, [...now].reduce((sum, [pid, ms]) => sum + Math.max(0, ms - (before[name]?.get(pid) ?? 0)), 0)]),
  );
}
