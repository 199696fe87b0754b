/**
 * Fan-out benchmark (issue 3, "Performance"): `npm run bench:fanout [-- flags]`.
 *
 * In one run, for each round and each target (hrl-finance, bare ws, Socket.IO 4; the order
 * rotates every round), forks the server in its own process and a load generator holding
 * every client connection in another, then measures:
 *   1. RSS per idle subscribed connection (server RSS after − before connecting, GC forced);
 *   2. publish→receive latency at a steady rate (default 20 events/s);
 *   3. saturation throughput: deliveries/s counted at the clients while the server publishes
 *      as fast as it can.
 * Prints one table of medians over rounds, the ratios to the targets, and writes JSON.
 *
 * Flags (env in brackets): --clients N [FANOUT_CLIENTS] (1000), --seconds S [FANOUT_SECONDS]
 * saturation window (5), --latency-seconds S [FANOUT_LATENCY_SECONDS] (10), --rate HZ (20),
 * --rounds R [FANOUT_ROUNDS] (3), --warmup S (1), --burst B events per tick at saturation (4),
 * --targets hrl,ws,sio, --quick (100 clients, 1 s windows, 1 round), --profile (CPU profile of
 * each server child, written when it exits), --out FILE (default bench/results/fanout.json; quick mode writes
 * nothing unless --out is given), --no-out, --check (exit 1 when a target is missed).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  median,
  sleep,
  TARGET_LABEL,
  TARGETS,
  type LoadCommand,
  type LoadReply,
  type ServerCommand,
  type ServerReply,
  type TargetName,
  type WindowResult
} from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

// ---- options ------------------------------------------------------------------------------
const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string' },
    seconds: { type: 'string' },
    'latency-seconds': { type: 'string' },
    rate: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    burst: { type: 'string' },
    'max-backlog-kb': { type: 'string' },
    targets: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    'no-out': { type: 'boolean', default: false },
    check: { type: 'boolean', default: false }
  },
  strict: true
});

function num(flag: string | undefined, env: string, quickValue: number, fullValue: number): number {
  const raw = flag ?? process.env[env];
  const value = raw === undefined || raw === '' ? (flags.quick ? quickValue : fullValue) : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`invalid value for ${env}: ${raw}`);
  return value;
}

const opts = {
  clients: Math.round(num(flags.clients, 'FANOUT_CLIENTS', 100, 1000)),
  seconds: num(flags.seconds, 'FANOUT_SECONDS', 1, 5),
  latencySeconds: num(flags['latency-seconds'], 'FANOUT_LATENCY_SECONDS', 2, 10),
  rate: num(flags.rate, 'FANOUT_RATE', 20, 20),
  rounds: Math.round(num(flags.rounds, 'FANOUT_ROUNDS', 1, 3)),
  warmup: num(flags.warmup, 'FANOUT_WARMUP', 0.5, 1),
  burst: Math.round(num(flags.burst, 'FANOUT_BURST', 4, 4)),
  maxBacklogKB: num(flags['max-backlog-kb'], 'FANOUT_MAX_BACKLOG_KB', 512, 512),
  targets: (flags.targets ?? process.env.FANOUT_TARGETS ?? TARGETS.join(',')).split(',').map((t) => t.trim()) as TargetName[],
  profile: flags.profile ?? false,
  quick: flags.quick ?? false
};
for (const t of opts.targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (use ${TARGETS.join(',')})`);
const outFile = flags['no-out']
  ? null
  : flags.out !== undefined
    ? path.resolve(flags.out)
    : opts.quick
      ? null
      : path.join(repoRoot, 'bench/results/fanout.json');
const profileDir = opts.profile ? mkdtempSync(path.join(os.tmpdir(), 'fanout-prof-')) : null;

// ---- child processes ----------------------------------------------------------------------
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** A forked child with request/reply over IPC. */
class Child<Cmd, Reply extends { kind: string }> {
  readonly process: ChildProcess;
  readonly #inbox: Reply[] = [];
  readonly #waiters: Array<{ kind: string; resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  #exited: Error | null = null;

  constructor(readonly name: string, script: string, args: string[], execArgv: string[]) {
    this.process = fork(path.join(here, script), args, {
      execArgv: [...execArgv, '--import', 'tsx'],
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    });
    children.add(this.process);
    this.process.on('message', (message: Reply) => {
      if (message.kind === 'error') {
        this.#fail(new Error(`${name}: ${(message as unknown as { message: string }).message}`));
        return;
      }
      const i = this.#waiters.findIndex((w) => w.kind === message.kind);
      if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(message);
      else this.#inbox.push(message);
    });
    this.process.on('exit', (code, signal) => {
      children.delete(this.process);
      this.#fail(new Error(`${name} exited (code ${code}, signal ${signal})`));
    });
  }

  #fail(error: Error): void {
    this.#exited ??= error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  send(command: Cmd): void {
    this.process.send(command as object);
  }

  wait<K extends Reply['kind']>(kind: K, timeoutMs = 60_000): Promise<Extract<Reply, { kind: K }>> {
    const i = this.#inbox.findIndex((m) => m.kind === kind);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as Extract<Reply, { kind: K }>);
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no '${kind}' within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        kind,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as Extract<Reply, { kind: K }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        }
      });
    });
  }

  request<K extends Reply['kind']>(command: Cmd, kind: K, timeoutMs?: number) {
    const answer = this.wait(kind, timeoutMs);
    this.send(command);
    return answer;
  }

  /** Asks the child to exit; kills it if it has not within `ms`. */
  async exit(command: Cmd, ms = 5000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.process.once('exit', () => r()));
    try {
      this.send(command);
    } catch {
      /* channel already closed */
    }
    await Promise.race([exited, sleep(ms)]);
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await exited;
    }
  }
}

type ServerChild = Child<ServerCommand, ServerReply>;
type LoadChild = Child<LoadCommand, LoadReply>;

// ---- one measurement of one target --------------------------------------------------------
interface Measurement {
  target: TargetName;
  round: number;
  msgsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  maxLatency: number;
  minLatency: number;
  kbPerConn: number;
  /** JS heap used (after GC) per idle connection, KB: less noisy than RSS, which free heap space absorbs. */
  heapKbPerConn: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  /** Server CPU per delivered message at saturation, µs (CPU time / deliveries counted at clients). */
  serverUsPerDelivery: number;
  /** Saturation deliveries per second of server CPU: throughput with CPU contention from other processes factored out. */
  deliveriesPerCpuSecond: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  /** Fraction of expected deliveries seen in the latency window. */
  latencyCompleteness: number;
  /** Events inside the latency window that did not reach every client. */
  latencyIncompleteEvents: number;
  saturationPublished: number;
  saturationPausedTicks: number;
  saturationMaxBacklogKB: number;
  minPerClient: number;
  maxPerClient: number;
  connectMs: number;
}

async function measure(target: TargetName, round: number): Promise<Measurement> {
  const args: string[] = [target, String(opts.clients)];
  if (target === 'hrl') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fanout-hrl-'));
    tempDirs.add(dir);
    args.push(dir);
  }
  const execArgv = ['--expose-gc'];
  // One folder per server child: Node writes one profile per thread (tsx's loader hooks run in
  // a thread of their own); the main thread's is the file with thread id 0 (CPU.*.<pid>.0.*).
  if (profileDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `${target}-round${round + 1}`));
  const server: ServerChild = new Child(`${target} server`, 'server.ts', args, execArgv);
  let load: LoadChild | null = null;
  try {
    const ready = await server.wait('ready', 60_000);
    load = new Child<LoadCommand, LoadReply>('load generator', 'loadgen.ts', [], []);

    // 1. RSS per idle subscribed connection.
    // The freshly started server's RSS falls by up to ~30 MB within seconds (V8 returns the pages
    // of start-up garbage), so the baseline is read after at least 10 s of sampling.
    const before = await server.request({ cmd: 'rss', samples: 5, minMs: 10_000 }, 'rss', 60_000);
    const connected = await load.request(
      { cmd: 'connect', target, port: ready.port, path: ready.path, clients: opts.clients, concurrency: 50 },
      'connected',
      120_000
    );
    for (let i = 0; ; i++) {
      const stats = await server.request({ cmd: 'stats' }, 'stats');
      if (stats.subscribed >= opts.clients) break;
      if (i > 100) throw new Error(`${target}: only ${stats.subscribed}/${opts.clients} clients subscribed`);
      await sleep(100);
    }
    await sleep(500);
    const after = await server.request({ cmd: 'rss', samples: 5, minMs: 4000 }, 'rss', 60_000);
    const rssBefore = median(before.rssKB);
    const rssAfter = median(after.rssKB);

    // 2. Latency at a steady rate.
    await server.request({ cmd: 'rate', hz: opts.rate }, 'load-started');
    await sleep(opts.warmup * 1000);
    load.send({ cmd: 'window-start', mode: 'latency' });
    await sleep(opts.latencySeconds * 1000);
    const lat = (await load.request({ cmd: 'window-stop' }, 'window', 30_000)) as WindowResult;
    await server.request({ cmd: 'stop-load' }, 'load-stopped');
    await sleep(500);

    // 3. Saturation throughput.
    await server.request({ cmd: 'saturate', burst: opts.burst, maxBacklog: opts.maxBacklogKB * 1024 }, 'load-started');
    await sleep(opts.warmup * 1000);
    // Server CPU is read at the window's edges (the loop yields, so IPC answers under load).
    const cpuAtStart = await server.request({ cmd: 'stats' }, 'stats', 30_000);
    load.send({ cmd: 'window-start', mode: 'count' });
    await sleep(opts.seconds * 1000);
    const sat = (await load.request({ cmd: 'window-stop' }, 'window', 30_000)) as WindowResult;
    const cpuAtStop = await server.request({ cmd: 'stats' }, 'stats', 30_000);
    const satServer = await server.request({ cmd: 'stop-load' }, 'load-stopped', 30_000);
    const windowServerCpuUs = cpuAtStop.cpuUs - cpuAtStart.cpuUs;

    const satSeconds = sat.wallMs / 1000;
    const msgsPerSec = sat.received / satSeconds;
    const serverCpuPct = (windowServerCpuUs / 1000 / sat.wallMs) * 100;
    return {
      target,
      round,
      msgsPerSec,
      p50: lat.p50 ?? NaN,
      p90: lat.p90 ?? NaN,
      p99: lat.p99 ?? NaN,
      maxLatency: lat.max ?? NaN,
      minLatency: lat.min ?? NaN,
      kbPerConn: (rssAfter - rssBefore) / opts.clients,
      heapKbPerConn: (median(after.heapUsedKB) - median(before.heapUsedKB)) / opts.clients,
      rssBeforeMB: rssBefore / 1024,
      rssAfterMB: rssAfter / 1024,
      serverUsPerDelivery: windowServerCpuUs / sat.received,
      deliveriesPerCpuSecond: sat.received / (windowServerCpuUs / 1e6),
      serverCpuPct,
      loadgenCpuPct: (sat.cpuUs / 1000 / sat.wallMs) * 100,
      latencyCompleteness: lat.events ? lat.received / (lat.events * opts.clients) : 0,
      latencyIncompleteEvents: lat.incompleteEvents ?? 0,
      saturationPublished: satServer.published,
      saturationPausedTicks: satServer.pausedTicks,
      saturationMaxBacklogKB: satServer.maxBacklog / 1024,
      minPerClient: sat.minPerClient,
      maxPerClient: sat.maxPerClient,
      connectMs: connected.ms
    };
  } finally {
    if (load) await load.exit({ cmd: 'exit' });
    await server.exit({ cmd: 'exit' }, profileDir ? 15_000 : 5000);
    if (args[2]) {
      rmSync(args[2], { recursive: true, force: true });
      tempDirs.delete(args[2]);
    }
  }
}

// ---- report -------------------------------------------------------------------------------
const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const pad = (s: string, n: number) => s.padStart(n);

interface Summary {
  target: TargetName;
  label: string;
  msgsPerSec: number;
  p50: number;
  p99: number;
  kbPerConn: number;
  heapKbPerConn: number;
  serverUsPerDelivery: number;
  deliveriesPerCpuSecond: number;
  loadgenCpuPct: number;
  latencyCompleteness: number;
}

function summarize(all: Measurement[]): Summary[] {
  return opts.targets.map((target) => {
    const ms = all.filter((m) => m.target === target);
    const med = (f: (m: Measurement) => number) => median(ms.map(f));
    return {
      target,
      label: TARGET_LABEL[target],
      msgsPerSec: med((m) => m.msgsPerSec),
      p50: med((m) => m.p50),
      p99: med((m) => m.p99),
      kbPerConn: med((m) => m.kbPerConn),
      heapKbPerConn: med((m) => m.heapKbPerConn),
      serverUsPerDelivery: med((m) => m.serverUsPerDelivery),
      deliveriesPerCpuSecond: med((m) => m.deliveriesPerCpuSecond),
      loadgenCpuPct: med((m) => m.loadgenCpuPct),
      latencyCompleteness: med((m) => m.latencyCompleteness)
    };
  });
}

/** Median over rounds of the per-round ratio a/b (paired: both measured in the same round). */
function pairedRatio(all: Measurement[], a: TargetName, b: TargetName, field: 'msgsPerSec' | 'p99' | 'deliveriesPerCpuSecond'): number {
  const ratios: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const x = all.find((m) => m.round === r && m.target === a);
    const y = all.find((m) => m.round === r && m.target === b);
    if (x && y) ratios.push(x[field] / y[field]);
  }
  return median(ratios);
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = os.loadavg();
  console.log(
    `fan-out benchmark: ${opts.clients} clients, saturation ${opts.seconds} s, latency ${opts.latencySeconds} s at ${opts.rate}/s, ` +
      `${opts.rounds} round(s), targets ${opts.targets.join(', ')}; node ${process.version}, ${os.availableParallelism()} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`
  );
  const all: Measurement[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const order = opts.targets.map((_, i) => opts.targets[(i + round) % opts.targets.length]);
    for (const target of order) {
      const m = await measure(target, round);
      all.push(m);
      console.log(
        `  round ${round + 1} ${pad(TARGET_LABEL[target], 11)}: ${pad(fmt(m.msgsPerSec), 7)} msgs/s, p50 ${fmt(m.p50, 1)} ms, p99 ${fmt(m.p99, 1)} ms, ` +
          `${fmt(m.kbPerConn, 1)} KB/conn (heap ${fmt(m.heapKbPerConn, 1)}), server ${fmt(m.serverUsPerDelivery, 2)} µs/delivery (${fmt(m.serverCpuPct)}% CPU), ` +
          `loadgen ${fmt(m.loadgenCpuPct)}% CPU, latency deliveries ${fmt(m.latencyCompleteness * 100, 1)}% (${m.latencyIncompleteEvents} incomplete events), paused ${m.saturationPausedTicks}`
      );
    }
  }

  const summary = summarize(all);
  const by = (t: TargetName) => summary.find((s) => s.target === t);
  const hrl = by('hrl');
  const ws = by('ws');
  const sio = by('sio');

  console.log(`\nMedians over ${opts.rounds} round(s), ${opts.clients} clients:`);
  console.log(`${'target'.padEnd(12)} ${pad('msgs/s', 8)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('KB/conn', 8)} ${pad('heap KB', 8)} ${pad('srv µs/msg', 10)} ${pad('loadgen CPU', 11)}`);
  for (const s of summary) {
    console.log(
      `${s.label.padEnd(12)} ${pad(fmt(s.msgsPerSec), 8)} ${pad(fmt(s.p50, 1), 7)} ${pad(fmt(s.p99, 1), 7)} ${pad(fmt(s.kbPerConn, 1), 8)} ${pad(fmt(s.heapKbPerConn, 1), 8)} ${pad(fmt(s.serverUsPerDelivery, 2), 10)} ${pad(fmt(s.loadgenCpuPct) + '%', 11)}`
    );
  }

  const checks: Array<{ name: string; value: number; target: string; pass: boolean }> = [];
  const ratios: Record<string, number> = {};
  if (hrl && ws) {
    ratios.throughput_hrl_over_ws = pairedRatio(all, 'hrl', 'ws', 'msgsPerSec');
    ratios.p99_hrl_over_ws = pairedRatio(all, 'hrl', 'ws', 'p99');
    checks.push({ name: 'throughput hrl / bare ws', value: ratios.throughput_hrl_over_ws, target: '>= 0.90', pass: ratios.throughput_hrl_over_ws >= 0.9 });
    checks.push({ name: 'p99 hrl / bare ws', value: ratios.p99_hrl_over_ws, target: '<= 1.20', pass: ratios.p99_hrl_over_ws <= 1.2 });
    // Not one of the targets: the same throughput ratio per second of server CPU, which
    // other processes' load on a shared machine disturbs far less than wall-clock msgs/s.
    ratios.cpu_throughput_hrl_over_ws = pairedRatio(all, 'hrl', 'ws', 'deliveriesPerCpuSecond');
  }
  if (hrl && sio) ratios.cpu_throughput_hrl_over_sio = pairedRatio(all, 'hrl', 'sio', 'deliveriesPerCpuSecond');
  if (hrl && sio) {
    ratios.throughput_hrl_over_sio = pairedRatio(all, 'hrl', 'sio', 'msgsPerSec');
    ratios.p99_hrl_over_sio = pairedRatio(all, 'hrl', 'sio', 'p99');
    checks.push({ name: 'throughput hrl / socket.io', value: ratios.throughput_hrl_over_sio, target: '> 1', pass: ratios.throughput_hrl_over_sio > 1 });
    checks.push({ name: 'p99 hrl / socket.io', value: ratios.p99_hrl_over_sio, target: '< 1', pass: ratios.p99_hrl_over_sio < 1 });
  }
  if (hrl) checks.push({ name: 'hrl RSS per idle connection (KB)', value: hrl.kbPerConn, target: '<= 12', pass: hrl.kbPerConn <= 12 });
  if (checks.length > 0) {
    console.log('\nTargets (ratios: median of per-round ratios, both measured in the same round):');
    for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(34)} ${fmt(c.value, 2).padStart(6)}  (target ${c.target})`);
  }
  if (ratios.cpu_throughput_hrl_over_ws !== undefined) {
    console.log(
      `  info  deliveries per server CPU-second, hrl / bare ws ${fmt(ratios.cpu_throughput_hrl_over_ws, 2)}` +
        (ratios.cpu_throughput_hrl_over_sio !== undefined ? `, hrl / socket.io ${fmt(ratios.cpu_throughput_hrl_over_sio, 2)}` : '') +
        ' (less sensitive to other load on the machine)'
    );
  }
  if (profileDir) {
    console.log(`\nCPU profiles of the server children (main thread: CPU.*.0.*.cpuprofile): ${profileDir}`);
    console.log(`summarise one with: node --import tsx bench/fanout/profile-summary.ts <file> 30`);
  }

  if (outFile) {
    mkdirSync(path.dirname(outFile), { recursive: true });
    const json = {
      benchmark: 'fan-out (issue 3)',
      started: started.toISOString(),
      finished: new Date().toISOString(),
      machine: { node: process.version, cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, loadavg_start: loadStart, loadavg_end: os.loadavg() },
      options: { ...opts, profile: undefined },
      summary,
      ratios,
      checks,
      rounds: all
    };
    writeFileSync(outFile, JSON.stringify(json, null, 2) + '\n');
    console.log(`\nwrote ${path.relative(process.cwd(), outFile)}`);
  }
  // --check: exit 1 when a target is missed (otherwise a finished run exits 0).
  if (flags.check && !checks.every((c) => c.pass)) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 2;
  })
  .finally(killAll);
