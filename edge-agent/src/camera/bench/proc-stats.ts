import { readFileSync, readdirSync } from 'node:fs';

/** CPU time and resident memory of a process from /proc (Linux only; the Pi runs Linux). */
const TICK_MS = 10; // USER_HZ is 100 on every Linux the agent targets

export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state(0) ppid(1) … utime(11) stime(12).
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

export function procRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Proportional set size: shared library pages divided among the processes mapping them (a fairer per-process figure than RSS). */
export function procPssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pages only this process uses (what one more camera costs), from smaps_rollup. */
export function procPrivateBytes(pid: number): number {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0);
    return (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
  } catch {
    return 0;
  }
}

export function childrenNamed(name: string, ppid = process.pid): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (m && m[1] === name && Number(m[2]) === ppid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
