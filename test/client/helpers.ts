import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = path.resolve(ROOT, 'examples/scenarios');

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function tempDir(t: Teardown, prefix = 'hrl-client-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A loaded 2-core test machine must not trip the overload guard or the REST rate limit. */
const TEST_LIMITS = { maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 } as const;

/** An in-process service listening on a free loopback port. */
export async function startApp(t: Teardown, overrides: Partial<Config> = {}): Promise<{ app: FastifyInstance; url: string; dataDir: string }> {
  const dataDir = overrides.dataDir ?? (await tempDir(t));
  const app = await buildApp(loadConfig({}, { dataDir, workers: 1, logLevel: 'silent', port: 0, ...TEST_LIMITS, ...overrides }));
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, url: `http://127.0.0.1:${address.port}`, dataDir };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  /** SIGKILL: the process dies mid-run, as in a crash. */
  kill(): Promise<void>;
}

/** The real server (`src/server.ts`) in its own process, ready when /health answers. */
export async function spawnServer(t: Teardown, opts: { port: number; dataDir: string; env?: Record<string, string>; readyTimeoutMs?: number }): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      HRL_DATA_DIR: opts.dataDir,
      HRL_WORKERS: '1',
      LOG_LEVEL: 'warn',
      HRL_MAX_EVENT_LOOP_DELAY_MS: '0',
      HRL_RATE_LIMIT: '0',
      ...opts.env
    },
    stdio: ['ignore', 'ignore', 'pipe']
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  t.teardown(kill);
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, kill };
}

/** Imports a fixture scenario (original YAML) under `name`. */
export async function importFixture(url: string, name: string, file = 'test_scenario.yaml'): Promise<void> {
  const yaml = await readFile(path.join(FIXTURES, file), 'utf8');
  const res = await fetch(`${url}/api/scenarios/import?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: yaml
  });
  if (res.status !== 201) throw new Error(`import failed: ${res.status} ${await res.text()}`);
}

export async function startRun(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/api/training/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  });
  if (res.status !== 202) throw new Error(`start failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: { run_id: string } }).data.run_id;
}
