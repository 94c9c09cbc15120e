/**
 * `node .bench-build/bench/profile-summary.js FILE.cpuprofile [--top N] [--skip-ms N] [--requests N]`
 *
 * Where a process's CPU went, from a V8 CPU profile (`node --cpu-prof`, or
 * `npm run bench -- --profile DIR` for the bench's child processes): self
 * time per function and per source file, as shares of the busy time (the
 * profile's time minus `(idle)`), and in µs per request when told how many
 * requests the profile covers. `--skip-ms` leaves out the profile's first
 * milliseconds (start-up, module loading, warm-up).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One line of the summary: a function or a file, with its self time. */
export interface Share {
  readonly name: string;
  readonly us: number;
  readonly share: number;
}

/** A profile's busy time and where it went. */
export interface ProfileSummary {
  readonly totalUs: number;
  readonly busyUs: number;
  readonly functions: readonly Share[];
  readonly files: readonly Share[];
}

/** Where a frame's code lives, shortened: `src/server/x.js`, `node:net`, `msgpackr`, `(garbage collector)`. */
function fileOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const build = url.indexOf('/.bench-build/');
  if (build >= 0) return url.slice(build + '/.bench-build/'.length);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length).split('/')[0]!;
  return url.replace(/^file:\/\/.*\/(src|bench|reference|test)\//, '$1/');
}

/** Self time per function and per file, largest first, leaving out the first `skipUs` of the profile. */
export function summarize(profile: Profile, skipUs = 0): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let totalUs = 0;
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsedUs += delta;
    if (elapsedUs < skipUs) continue;
    totalUs += delta;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + delta);
  }
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const file = fileOf(url, functionName);
    const name = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const ranked = (map: Map<string, number>): Share[] =>
    [...map].map(([name, us]) => ({ name, us, share: us / busyUs })).sort((a, b) => b.us - a.us);
  return { totalUs, busyUs, functions: ranked(functions), files: ranked(files) };
}

function main(argv: readonly string[]): void {
  const file = argv[0];
  if (!file) throw new Error('usage: profile-summary FILE.cpuprofile [--top N] [--skip-ms N] [--requests N]');
  const option = (name: string): number | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  const top = option('--top') ?? 40;
  const requests = option('--requests');
  const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, (option('--skip-ms') ?? 0) * 1000);
  const perRequest = (us: number): string => (requests ? ` ${(us / requests).toFixed(3).padStart(8)} µs/req` : '');
  const line = (s: Share): string => `${(s.share * 100).toFixed(1).padStart(5)}% ${(s.us / 1000).toFixed(0).padStart(7)} ms${perRequest(s.us)}  ${s.name}`;
  console.log(`busy ${(summary.busyUs / 1000).toFixed(0)} ms of ${(summary.totalUs / 1000).toFixed(0)} ms${perRequest(summary.busyUs)}`);
  console.log('\nby file:');
  for (const s of summary.files.slice(0, top)) console.log(line(s));
  console.log('\nby function:');
  for (const s of summary.functions.slice(0, top)) console.log(line(s));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
