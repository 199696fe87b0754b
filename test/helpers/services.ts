// Real Redis and PostgreSQL for the tests of the scaled deployment's implementations.
//
// Each test file gets its own Redis key prefix and its own PostgreSQL database, removed in
// teardown, so files running in parallel never see each other's data. When a service does
// not answer, the tests that need it are skipped with the reason on a developer machine,
// and fail on CI (CI=true, set by .ci/run), where both services must be up.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Test } from 'tap';
import { Redis } from 'ioredis';
import pg from 'pg';

export const REDIS_URL = process.env.HRL_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
/** A database the test role may connect to in order to create and drop the per-file ones. */
export const POSTGRES_ADMIN_URL = process.env.HRL_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const SERVICES_REQUIRED = process.env.CI === 'true';

/** Marks a skip for a missing service; .ci/run looks for it to prove nothing was skipped there. */
export const SERVICE_UNAVAILABLE = 'service unavailable';

export type Service = 'redis' | 'postgres';

const PROBE_TIMEOUT_MS = 2000;
const probes = new Map<Service, Promise<string | null>>();

/** null when the service answers, else why not. Probed once per test process. */
function probe(service: Service): Promise<string | null> {
  let result = probes.get(service);
  if (!result) {
    result = service === 'redis' ? probeRedis() : probePostgres();
    probes.set(service, result);
  }
  return result;
}

async function probeRedis(): Promise<string | null> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null
  });
  let cause: unknown; // connect() only says the connection closed; the 'error' event says why
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return `Redis at ${REDIS_URL} does not answer (${describe(cause ?? error)})`;
  } finally {
    client.disconnect();
  }
}

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${redactUrl(POSTGRES_ADMIN_URL)} does not answer (${describe(error)})`;
  } finally {
    await client.end().catch(() => {});
  }
}

function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return typeof e?.code === 'string' ? e.code : String(e?.message ?? error);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * What to pass as a subtest's `skip` option: false when every service answers. When one
 * does not, the reason (so the subtests are reported as skipped with it); under CI=true the
 * file also records a failure, since skipping there would hide an untested implementation.
 */
export async function requireServices(t: Test, ...services: Service[]): Promise<string | false> {
  const reasons = (await Promise.all(services.map(probe))).filter((r): r is string => r !== null);
  if (reasons.length === 0) return false;
  const reason = `${SERVICE_UNAVAILABLE}: ${reasons.join('; ')}`;
  if (SERVICES_REQUIRED) t.fail(`${reason}; CI=true requires it (.ci/run starts both services)`);
  return reason;
}

export interface RedisTestSpace {
  url: string;
  /** Every key a test creates starts with this; all of them are deleted in teardown. */
  prefix: string;
}

/** A fresh key prefix on the test Redis, whose keys are deleted when `t` ends. */
export function freshRedisPrefix(t: Test): RedisTestSpace {
  const prefix = `hrl-test:${randomBytes(6).toString('hex')}:`;
  t.teardown(() => deleteRedisKeys(prefix));
  return { url: REDIS_URL, prefix };
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/**
 * A fresh PostgreSQL database (`hrl_test_<random>`) for this test file, dropped when `t`
 * ends (WITH (FORCE) closes connections a failed test left open). Returns its URL. Empty,
 * or a copy of `templateUrl`'s database (which must have no open connections): copying a
 * migrated database is much cheaper than migrating each new one.
 */
export async function freshPostgresDatabase(t: Test, templateUrl?: string): Promise<string> {
  const name = `hrl_test_${randomBytes(6).toString('hex')}`;
  const template = templateUrl ? ` TEMPLATE ${new URL(templateUrl).pathname.slice(1)}` : '';
  await adminQuery(`CREATE DATABASE ${name}${template}`);
  t.teardown(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface PrivateRedis {
  url: string;
  /** SIGKILLs the server (it keeps nothing on disk: a restart comes back empty). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

/** Why a private redis-server cannot be started here, or null. */
export function privateRedisUnavailable(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error ? `${SERVICE_UNAVAILABLE}: no redis-server binary to start a private Redis (${describe(probe.error)})` : null;
}

/**
 * A redis-server of this test's own on a free port, for failures that must not touch the
 * shared one (killing it, losing its data). Killed when `t` ends.
 */
export async function startPrivateRedis(t: Test): Promise<PrivateRedis> {
  const port = await freePort();
  let server: ReturnType<typeof spawn> | null = null;
  const start = async () => {
    const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit']
    });
    server = child;
    let output = '';
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      child.stdout!.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
    child.stdout!.resume();
  };
  const kill = async () => {
    const child = server;
    server = null;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  };
  await start();
  t.teardown(kill);
  return { url: `redis://127.0.0.1:${port}`, kill, restart: start };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
