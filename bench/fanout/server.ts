/**
 * A fan-out benchmark server child: `node --expose-gc --import tsx server.ts <target> <clients> [dataDir]`.
 * target: hrl (the real app), ws (bare ws, the floor), sio (Socket.IO 4). Driven over IPC by run.ts.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  dieWithParent,
  nowMs,
  progressData,
  RUN_ID,
  SCENARIO,
  send,
  sleep,
  type ServerCommand,
  type ServerReply,
  type TargetName
} from './common.js';

interface Target {
  port: number;
  path: string;
  /** Publishes `n` progress events (each to every subscribed client); resolves when sent. */
  publish(n: number): Promise<void> | void;
  /** Largest outbound backlog of any client, bytes (used to pace saturation identically for every target). */
  backlog(): number;
  clients(): number;
  subscribed(): number;
  extra?(): unknown;
  close(): Promise<void>;
}

const reply = (r: ServerReply) => send(r);
let seq = 0;

// ---- hrl-finance: the real app, bus and gateway -----------------------------------------
async function hrlTarget(dataDir: string, clients: number): Promise<Target> {
  const { buildApp } = await import('../../src/app.js');
  const { loadConfig } = await import('../../src/config.js');
  // Environment ignored ({}); connection caps raised above the client count (all come from 127.0.0.1).
  const app = await buildApp(
    loadConfig(
      {},
      { dataDir, workers: 1, logLevel: 'warn', maxConnections: Math.max(10_000, clients + 100), maxConnectionsPerIp: Math.max(2_000, clients + 100) }
    )
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const gateway = () => (app as { gateway?: typeof app.gateway }).gateway;
  const publishOne = () => {
    const episode = ++seq;
    return app.bus.publish({
      run_id: RUN_ID,
      scenario_name: SCENARIO,
      type: 'training_progress',
      data: progressData(episode, nowMs())
    });
  };
  return {
    port,
    path: '/ws',
    async publish(n) {
      if (n === 1) {
        await publishOne();
        return;
      }
      const pending = [];
      for (let i = 0; i < n; i++) pending.push(publishOne());
      await Promise.all(pending);
    },
    backlog() {
      let max = 0;
      for (const ws of app.websocketServer.clients) if (ws.bufferedAmount > max) max = ws.bufferedAmount;
      return max;
    },
    // `app.gateway` is decorated inside the (unwrapped, encapsulated) gateway plugin, so it may be
    // missing on the root instance; then count sockets (the load generator waits for every
    // subscription_confirmed before it reports connected).
    clients: () => gateway()?.stats().clients ?? app.websocketServer.clients.size,
    subscribed: () => gateway()?.stats().subscriptions.all ?? app.websocketServer.clients.size,
    extra: () => gateway()?.stats() ?? 'app.gateway is not visible on the root instance',
    close: () => app.close()
  };
}

// ---- bare ws: serialize once, send the same buffer to every subscriber ------------------
async function wsTarget(): Promise<Target> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: 64 * 1024 });
  const subscribers = new Set<WebSocket>();
  const TEXT = { binary: false } as const;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      try {
        const msg = JSON.parse(String(data)) as { type?: string };
        if (msg.type === 'subscribe_training') {
          subscribers.add(ws);
          ws.send(JSON.stringify({ type: 'subscription_confirmed', ts: new Date().toISOString(), replayed: 0, resumed: false }));
        }
      } catch {
        /* ignore */
      }
    });
    ws.on('close', () => subscribers.delete(ws));
    ws.send(JSON.stringify({ type: 'connection_established', ts: new Date().toISOString() }));
  });
  const port = await listen(http);
  return {
    port,
    path: '/ws',
    publish(n) {
      for (let i = 0; i < n; i++) {
        const episode = ++seq;
        const envelope = { type: 'training_progress', ts: new Date().toISOString(), run_id: RUN_ID, seq: episode, data: progressData(episode, nowMs()) };
        const frame = Buffer.from(JSON.stringify(envelope));
        for (const ws of subscribers) if (ws.readyState === 1) ws.send(frame, TEXT);
      }
    },
    backlog() {
      let max = 0;
      for (const ws of wss.clients) if (ws.bufferedAmount > max) max = ws.bufferedAmount;
      return max;
    },
    clients: () => wss.clients.size,
    subscribed: () => subscribers.size,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    }
  };
}

// ---- Socket.IO 4: one room, io.to(room).emit ---------------------------------------------
interface EngineSocketView {
  writeBuffer: unknown[];
  transport?: { socket?: { bufferedAmount?: number } };
}

async function sioTarget(): Promise<Target> {
  const http = createServer();
  const io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 64 * 1024 });
  const ROOM = 'training';
  let lastFrameBytes = 0;
  io.on('connection', (socket) => {
    socket.on('subscribe_training', () => {
      void socket.join(ROOM);
      socket.emit('subscription_confirmed', { type: 'subscription_confirmed', ts: new Date().toISOString(), replayed: 0, resumed: false });
    });
    socket.emit('connection_established', { type: 'connection_established', ts: new Date().toISOString() });
  });
  const port = await listen(http);
  return {
    port,
    path: '/socket.io/',
    publish(n) {
      for (let i = 0; i < n; i++) {
        const episode = ++seq;
        const envelope = { type: 'training_progress', ts: new Date().toISOString(), run_id: RUN_ID, seq: episode, data: progressData(episode, nowMs()) };
        if (lastFrameBytes === 0) lastFrameBytes = JSON.stringify(envelope).length + 24;
        io.to(ROOM).emit('training_progress', envelope);
      }
    },
    backlog() {
      let max = 0;
      for (const socket of io.of('/').sockets.values()) {
        const conn = socket.conn as unknown as EngineSocketView;
        const bytes = (conn.transport?.socket?.bufferedAmount ?? 0) + conn.writeBuffer.length * lastFrameBytes;
        if (bytes > max) max = bytes;
      }
      return max;
    },
    clients: () => io.engine.clientsCount,
    subscribed: () => io.of('/').adapter.rooms.get(ROOM)?.size ?? 0,
    async close() {
      io.disconnectSockets(true);
      await new Promise<void>((r) => io.close(() => r()));
    }
  };
}

function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port));
  });
}

// ---- load loops ---------------------------------------------------------------------------
interface Load {
  stop(): Promise<Extract<ServerReply, { kind: 'load-stopped' }>>;
}

/** Publishes bursts as fast as the loop allows, yielding (setImmediate) between bursts so I/O flushes. */
function saturate(target: Target, burst: number, maxBacklog: number): Load {
  let running = true;
  let published = 0;
  let pausedTicks = 0;
  let worstBacklog = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = (async () => {
    while (running) {
      const backlog = target.backlog();
      if (backlog > worstBacklog) worstBacklog = backlog;
      if (backlog > maxBacklog) {
        pausedTicks++;
        await sleep(1);
        continue;
      }
      await target.publish(burst);
      published += burst;
      await new Promise<void>((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      const cpu = process.cpuUsage(cpu0);
      return { kind: 'load-stopped', published, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0, pausedTicks, maxBacklog: worstBacklog };
    }
  };
}

/** Publishes one event every 1000/hz ms on an absolute schedule (no drift). */
function steadyRate(target: Target, hz: number): Load {
  let running = true;
  let published = 0;
  let timer: NodeJS.Timeout | undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const period = 1000 / hz;
  let inflight: Promise<void> = Promise.resolve();
  const tick = () => {
    if (!running) return;
    published++;
    inflight = Promise.resolve(target.publish(1)).catch((error: unknown) => reply({ kind: 'error', message: String(error) }));
    const next = t0 + published * period;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
  return {
    async stop() {
      running = false;
      clearTimeout(timer);
      await inflight;
      const cpu = process.cpuUsage(cpu0);
      return { kind: 'load-stopped', published, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0, pausedTicks: 0, maxBacklog: target.backlog() };
    }
  };
}

// ---- main ---------------------------------------------------------------------------------
async function main(): Promise<void> {
  dieWithParent();
  const [targetName, clientsArg, dataDir] = process.argv.slice(2) as [TargetName, string, string | undefined];
  // The data dir goes with the process, also when the orchestrator was killed.
  if (dataDir) process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the server child with --expose-gc');
  const target =
    targetName === 'hrl'
      ? await hrlTarget(dataDir ?? (() => { throw new Error('hrl needs a data dir'); })(), Number(clientsArg))
      : targetName === 'ws'
        ? await wsTarget()
        : targetName === 'sio'
          ? await sioTarget()
          : (() => { throw new Error(`unknown target ${targetName}`); })();
  let load: Load | null = null;

  process.on('message', (command: ServerCommand) => {
    void (async () => {
      switch (command.cmd) {
        case 'rss': {
          // RSS drifts down for seconds after start-up and after bursts of allocation (V8's memory
          // reducer shrinks the heap a few seconds after activity; the allocator trims), so sample
          // every 250 ms with GC forced, for at least `minMs` and until the last `samples` readings
          // agree within 256 KB (at most minMs + 15 s), and report those.
          const rssKB: number[] = [];
          const heapKB: number[] = [];
          const started = performance.now();
          for (;;) {
            gc();
            gc();
            await sleep(250);
            rssKB.push(process.memoryUsage.rss() / 1024);
            heapKB.push(process.memoryUsage().heapUsed / 1024);
            const last = rssKB.slice(-command.samples);
            const elapsed = performance.now() - started;
            if (elapsed > command.minMs && last.length === command.samples && Math.max(...last) - Math.min(...last) <= 256) break;
            if (elapsed > command.minMs + 15_000) break;
          }
          reply({ kind: 'rss', rssKB: rssKB.slice(-command.samples), heapUsedKB: heapKB.slice(-command.samples), settleReadings: rssKB.length });
          break;
        }
        case 'saturate':
          load = saturate(target, command.burst, command.maxBacklog);
          reply({ kind: 'load-started' });
          break;
        case 'rate':
          load = steadyRate(target, command.hz);
          reply({ kind: 'load-started' });
          break;
        case 'stop-load': {
          const current = load;
          load = null;
          if (!current) reply({ kind: 'error', message: 'no load running' });
          else reply(await current.stop());
          break;
        }
        case 'stats':
          {
            const cpu = process.cpuUsage();
            reply({ kind: 'stats', clients: target.clients(), subscribed: target.subscribed(), cpuUs: cpu.user + cpu.system, extra: target.extra?.() });
          }
          break;
        case 'exit':
          if (load) await load.stop();
          await Promise.race([target.close(), sleep(3000)]);
          process.exit(0);
      }
    })().catch((error: unknown) => reply({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
  reply({ kind: 'ready', port: target.port, path: target.path });
}

main().catch((error: unknown) => {
  reply({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
