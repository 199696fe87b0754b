/**
 * The load generator child: one process holding every client connection (plain `ws`
 * clients for hrl and bare ws, socket.io-client for Socket.IO). Driven over IPC by run.ts.
 *
 * In `count` windows a client only counts frames (no parsing), so the load generator
 * stays cheap; in `latency` windows it parses each run event and records receive time
 * minus the publish time carried in `data.elapsed_time`.
 */
import { io as socketIo, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import {
  dieWithParent,
  nowMs,
  openFilesLimit,
  percentileSorted,
  send,
  type LoadCommand,
  type LoadReply,
  type TargetName,
  type WindowResult
} from './common.js';

interface Envelope {
  type: string;
  data?: { episode: number; elapsed_time: number };
}

class Counter {
  count = 0;
}

const reply = (r: LoadReply) => send(r);

let mode: 'idle' | 'count' | 'latency' = 'idle';
const counters: Counter[] = [];
let latencies: number[] = [];
let perEvent = new Map<number, number>();
const wsClients: WebSocket[] = [];
const sioClients: Socket[] = [];

/** Latency windows select events by publish time: [latencyFrom, latencyTo). */
let latencyFrom = 0;
let latencyTo = Infinity;
let lastInWindowAt = 0;

function record(counter: Counter, envelope: Envelope, receivedAt: number): void {
  const data = envelope.data;
  if (data === undefined || data.elapsed_time < latencyFrom || data.elapsed_time >= latencyTo) return;
  counter.count++;
  lastInWindowAt = receivedAt;
  latencies.push(receivedAt - data.elapsed_time);
  perEvent.set(data.episode, (perEvent.get(data.episode) ?? 0) + 1);
}

function connectWs(url: string, counter: Counter): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    let confirmed = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe_training' })));
    ws.on('message', (raw: Buffer) => {
      if (!confirmed) {
        const msg = JSON.parse(raw.toString()) as Envelope;
        if (msg.type === 'subscription_confirmed') {
          confirmed = true;
          resolve();
        }
        return;
      }
      if (mode === 'count') counter.count++;
      else if (mode === 'latency') {
        const at = nowMs();
        record(counter, JSON.parse(raw.toString()) as Envelope, at);
      }
    });
    ws.on('error', (error) => (confirmed ? undefined : reject(error)));
    ws.on('close', () => (confirmed ? undefined : reject(new Error('closed before subscription_confirmed'))));
    wsClients.push(ws);
  });
}

function connectSio(url: string, counter: Counter): Promise<void> {
  return new Promise((resolve, reject) => {
    // forceNew: one engine.io connection per client (no multiplexing over a shared Manager).
    const socket = socketIo(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 });
    socket.on('connect', () => socket.emit('subscribe_training', { type: 'subscribe_training' }));
    socket.on('subscription_confirmed', () => resolve());
    socket.on('connect_error', reject);
    socket.on('training_progress', (envelope: Envelope) => {
      if (mode === 'count') counter.count++;
      else if (mode === 'latency') record(counter, envelope, nowMs());
    });
    sioClients.push(socket);
  });
}

async function connectAll(target: TargetName, port: number, path: string, clients: number, concurrency: number): Promise<void> {
  const url = target === 'sio' ? `http://127.0.0.1:${port}` : `ws://127.0.0.1:${port}${path}`;
  let next = 0;
  const worker = async () => {
    while (next < clients) {
      next++;
      const counter = new Counter();
      counters.push(counter);
      await (target === 'sio' ? connectSio(url, counter) : connectWs(url, counter));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, clients) }, worker));
}

let windowStart = 0;
let cpuStart = process.cpuUsage();

function startWindow(m: 'count' | 'latency'): void {
  for (const c of counters) c.count = 0;
  latencies = [];
  perEvent = new Map();
  cpuStart = process.cpuUsage();
  windowStart = performance.now();
  latencyFrom = nowMs();
  latencyTo = Infinity;
  mode = m;
}

/**
 * Ends a window. A latency window closes to new events at once, then waits until every event
 * published inside it has reached every client (or nothing arrived for 1 s, at most 10 s), so
 * slow deliveries are measured rather than cut off.
 */
async function stopWindow(): Promise<WindowResult> {
  if (mode === 'latency') {
    latencyTo = nowMs();
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && nowMs() - lastInWindowAt < 1000) {
      let complete = true;
      for (const n of perEvent.values()) if (n < counters.length) complete = false;
      if (complete && nowMs() - latencyTo > 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const m = mode === 'latency' ? 'latency' : 'count';
  mode = 'idle';
  const wallMs = performance.now() - windowStart;
  const cpu = process.cpuUsage(cpuStart);
  let received = 0;
  let min = Infinity;
  let max = 0;
  for (const c of counters) {
    received += c.count;
    if (c.count < min) min = c.count;
    if (c.count > max) max = c.count;
  }
  const result: WindowResult = {
    kind: 'window',
    mode: m,
    received,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    minPerClient: counters.length ? min : 0,
    maxPerClient: max
  };
  if (m === 'latency') {
    const sorted = Float64Array.from(latencies).sort();
    result.p50 = percentileSorted(sorted, 50);
    result.p90 = percentileSorted(sorted, 90);
    result.p99 = percentileSorted(sorted, 99);
    result.max = sorted.length ? sorted[sorted.length - 1] : NaN;
    result.min = sorted.length ? sorted[0] : NaN;
    result.events = perEvent.size;
    // Events published inside the window that did not reach every client.
    result.incompleteEvents = [...perEvent.values()].filter((n) => n < counters.length).length;
  }
  return result;
}

dieWithParent();
process.on('message', (command: LoadCommand) => {
  void (async () => {
    switch (command.cmd) {
      case 'connect': {
        const limit = openFilesLimit();
        if (limit !== null && limit < command.clients + 64) {
          throw new Error(`open files limit ${limit} is too low for ${command.clients} clients: raise it (ulimit -n ${command.clients + 256})`);
        }
        const t0 = performance.now();
        await connectAll(command.target, command.port, command.path, command.clients, command.concurrency);
        reply({ kind: 'connected', clients: counters.length, ms: performance.now() - t0, fdLimit: limit });
        break;
      }
      case 'window-start':
        startWindow(command.mode);
        break;
      case 'window-stop':
        reply(await stopWindow());
        break;
      case 'exit':
        mode = 'idle';
        for (const ws of wsClients) ws.terminate();
        for (const s of sioClients) s.disconnect();
        setTimeout(() => process.exit(0), 50);
        break;
    }
  })().catch((error: unknown) => reply({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});
