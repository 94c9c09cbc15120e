import { readFileSync, readdirSync } from 'node:fs';

/** One reading of another process, from /proc (Linux only). */
export interface ProcReading {
  /** Resident set size, in bytes (`VmRSS` of /proc/<pid>/status). */
  readonly rss: number;
  /** Open file descriptors (entries of /proc/<pid>/fd). */
  readonly fds: number;
  /** CPU time used so far, user + system, in ms (/proc/<pid>/stat). */
  readonly cpuMs: number;
  /** When it was taken (`performance.now()`). */
  readonly at: number;
}

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux node runs on. */
const TICKS_PER_SECOND = 100;

/** Reads `pid`'s memory, descriptors and CPU time; undefined once the process is gone. */
export function readProc(pid: number): ProcReading | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rss: rssKb * 1024, fds, cpuMs: (ticks * 1000) / TICKS_PER_SECOND, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Peaks and CPU use of one process over a stretch of time. */
export interface ProcSummary {
  readonly samples: number;
  readonly peakRss: number;
  readonly peakFds: number;
  /** CPU used over the stretch, in % of one core. */
  readonly cpuPercent: number;
}

/**
 * Samples a process every `everyMs` until stopped; `mark(name)` starts a new
 * stretch so that each phase of a run gets its own peaks.
 */
export class ProcSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  readonly #stretches = new Map<string, ProcReading[]>();
  #current: ProcReading[] = [];

  constructor(pid: number, everyMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.#sample(), everyMs);
    this.#timer.unref();
    this.#sample();
  }

  /** Ends the current stretch and starts `name`. */
  mark(name: string): void {
    this.#sample();
    this.#current = [];
    this.#stretches.set(name, this.#current);
    this.#sample();
  }

  /** The last reading taken. */
  last(): ProcReading | undefined {
    return this.#current.at(-1);
  }

  /** Peaks and CPU of the stretches named, taken together. */
  summary(...names: string[]): ProcSummary {
    const readings = names.flatMap((name) => this.#stretches.get(name) ?? []);
    const first = readings[0];
    const last = readings.at(-1);
    const span = first && last ? last.at - first.at : 0;
    return {
      samples: readings.length,
      peakRss: Math.max(0, ...readings.map((r) => r.rss)),
      peakFds: Math.max(0, ...readings.map((r) => r.fds)),
      cpuPercent: first && last && span > 0 ? ((last.cpuMs - first.cpuMs) / span) * 100 : 0,
    };
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const reading = readProc(this.#pid);
    if (reading) this.#current.push(reading);
  }
}
