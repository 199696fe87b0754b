/**
 * Summarises a V8 .cpuprofile (from `npm run bench:fanout -- --profile`): the top functions by
 * self time and by total (inclusive) time, with file:line relative to the repository.
 * Usage: node --import tsx bench/fanout/profile-summary.ts <file.cpuprofile> [top=25] [filter] [--last S]
 * `filter` keeps only rows whose location contains it (e.g. `src/`); `--last S` keeps only the
 * samples of the last S seconds (the saturation phase is the last ~(warm-up + seconds) s).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const argv = process.argv.slice(2);
const lastAt = argv.indexOf('--last');
const lastSeconds = lastAt >= 0 ? Number(argv.splice(lastAt, 2)[1]) : Infinity;
const [file, topArg, filter] = argv;
if (!file) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [top] [filter]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
const sampleTimes: number[] = [];
for (let i = 0, t = profile.startTime; i < profile.samples.length; i++) sampleTimes.push((t += profile.timeDeltas[i]));
const from = profile.endTime - lastSeconds * 1e6;
for (let i = 0; i < profile.samples.length; i++) {
  if (sampleTimes[i] < from) continue;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
}

const label = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
};

const self = new Map<string, number>();
const total = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  // Inclusive: every distinct frame on the stack (recursion counted once).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + us);
  }
}

const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
console.log(`${file}: ${(totalUs / 1e6).toFixed(2)} s sampled, ${(((totalUs - idleUs) / totalUs) * 100).toFixed(1)}% busy`);
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title} (% of busy time)`);
  const rows = [...map].filter(([l]) => l !== '(idle)' && l !== '(root)' && (!filter || l.includes(filter))).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [l, us] of rows) console.log(`${(((us / (totalUs - idleUs)) * 100).toFixed(1) + '%').padStart(7)}  ${l}`);
};
print('self time', self);
print('total time', total);
