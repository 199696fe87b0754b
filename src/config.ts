import os from 'node:os';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Service configuration. The only place that reads process.env (house rule 9).
 * Every setting has a schema; a bad value stops start-up naming the variable.
 */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  host: Type.String({ minLength: 1, default: '127.0.0.1' }),
  dataDir: Type.String({ minLength: 1, default: './data' }),
  workers: Type.Integer({ minimum: 1, maximum: 64 }),
  progressHz: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 10 }),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' }
  ),
  heartbeatMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  /** Events kept in memory per run for resume; older ones are read from storage. */
  replayWindow: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000 }),
  /** Bearer tokens with scopes, e.g. `tokenA:read,tokenB:read+write`; empty: open service. */
  tokens: Type.String({ default: '' }),
  /** A file with one `token:scopes` entry per line (# comments), added to `tokens`. */
  tokensFile: Type.String({ default: '' }),
  /** Comma-separated origins allowed by CORS; empty: CORS off. */
  corsOrigins: Type.String({ default: '' }),
  /**
   * Comma-separated `host` or `host:port` values accepted in the Host header (DNS-rebinding
   * guard); `*` accepts any. Loopback names are accepted as well while HOST is loopback.
   */
  allowedHosts: Type.String({ default: '' }),
  /** Failed authentications per minute per client address before it gets 429 for the rest of the minute. */
  authFailuresPerMinute: Type.Integer({ minimum: 1, maximum: 100_000, default: 30 }),
  /** REST requests per minute per client address; 0 turns the limit off. */
  rateLimitPerMinute: Type.Integer({ minimum: 0, default: 1200 }),
  maxConnections: Type.Integer({ minimum: 1, default: 10_000 }),
  maxConnectionsPerIp: Type.Integer({ minimum: 1, default: 2_000 }),
  /** Open TCP connections in total, WebSockets included (beyond it new ones are dropped at accept). */
  httpMaxConnections: Type.Integer({ minimum: 2, default: 12_000 }),
  /** Time a client has to send a request's headers (slow header trickling is cut off with 408). */
  httpHeadersTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  /** Time a client has to send a whole request, body included. */
  httpRequestTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000 }),
  /** Outbound bytes queued on a socket above which progress is coalesced. */
  wsHighWaterBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  /** Outbound bytes queued on a socket above which it is closed with 4008. */
  wsHardCapBytes: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024 }),
  /** A socket that stays above the high-water mark this long is closed with 4008. */
  wsStallMs: Type.Integer({ minimum: 10, default: 30_000 }),
  /** Subscription filters one WebSocket may hold. */
  wsMaxSubscriptions: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  /** Least time between two checkpoints of a run, whatever its save_interval. */
  checkpointMinMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 10_000 }),
  /** A worker silent this long while running a job is terminated (watchdog); 0 turns it off. */
  workerTimeoutMs: Type.Integer({ minimum: 0, default: 120_000 }),
  /** Worker threads rendering reports (their own, apart from training). */
  reportWorkers: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  /** Reports waiting for a report worker beyond those rendering; more get 503 with Retry-After. */
  reportQueue: Type.Integer({ minimum: 0, maximum: 1000, default: 4 }),
  /** Training runs waiting for a worker, per deployment; a start beyond gets 503 with Retry-After. */
  maxQueuedRuns: Type.Integer({ minimum: 0, maximum: 100_000, default: 50 }),
  /** Stored simulations kept per model (the newest); older ones are deleted with their reports' records. */
  keepSimulationsPerModel: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200 }),
  /** Stored reports kept per simulation (the newest); older ones are deleted with their files. */
  keepReportsPerSimulation: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20 }),
  /** Graceful shutdown deadline, after which the process exits anyway. */
  shutdownMs: Type.Integer({ minimum: 100, default: 30_000 }),
  /** Event-loop delay above which requests get 503 (under-pressure); 0 turns it off. */
  maxEventLoopDelayMs: Type.Integer({ minimum: 0, default: 1000 }),
  /**
   * Behind a reverse proxy: `true`, or comma-separated proxy addresses/CIDRs whose
   * X-Forwarded-For is believed (client address for rate limits and connection caps).
   */
  trustProxy: Type.String({ default: '' }),
  /** `postgres://…`: everything stored goes to PostgreSQL instead of the SQLite file; empty: embedded SQLite. */
  databaseUrl: Type.String({ default: '' }),
  /** `redis://…`: run events and the job queues go through Redis (requires databaseUrl); empty: in-process. */
  redisUrl: Type.String({ default: '' }),
  /** What this process does: everything, HTTP + /ws only (gateway), or training and simulations only (trainer). */
  role: Type.Union([Type.Literal('all'), Type.Literal('gateway'), Type.Literal('trainer')], { default: 'all' }),
  /** With Redis: a run whose trainer stopped renewing its lease this long is failed (stalled-job detection). */
  stallMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 15_000 }),
  /** With Redis: how long a simulation waits in the queue for a trainer before the request gets 503. */
  simulationQueueMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  /** With Redis: prefix of every Redis key of this deployment (several deployments can share one Redis). */
  redisPrefix: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_:.-]+$', default: 'hrl:' })
});
export type Config = Static<typeof ConfigSchema>;

/** Environment variable behind each setting, for error messages and the README. */
export const ENV_NAMES: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'HRL_DATA_DIR',
  workers: 'HRL_WORKERS',
  progressHz: 'HRL_PROGRESS_HZ',
  logLevel: 'LOG_LEVEL',
  heartbeatMs: 'HRL_HEARTBEAT_MS',
  replayWindow: 'HRL_REPLAY_WINDOW',
  tokens: 'HRL_TOKENS',
  tokensFile: 'HRL_TOKENS_FILE',
  corsOrigins: 'HRL_CORS_ORIGINS',
  allowedHosts: 'HRL_ALLOWED_HOSTS',
  authFailuresPerMinute: 'HRL_AUTH_FAILURES_PER_MINUTE',
  rateLimitPerMinute: 'HRL_RATE_LIMIT',
  maxConnections: 'HRL_MAX_CONNECTIONS',
  maxConnectionsPerIp: 'HRL_MAX_CONNECTIONS_PER_IP',
  httpMaxConnections: 'HRL_HTTP_MAX_CONNECTIONS',
  httpHeadersTimeoutMs: 'HRL_HTTP_HEADERS_TIMEOUT_MS',
  httpRequestTimeoutMs: 'HRL_HTTP_REQUEST_TIMEOUT_MS',
  wsHighWaterBytes: 'HRL_WS_HIGH_WATER_BYTES',
  wsHardCapBytes: 'HRL_WS_HARD_CAP_BYTES',
  wsStallMs: 'HRL_WS_STALL_MS',
  wsMaxSubscriptions: 'HRL_WS_MAX_SUBSCRIPTIONS',
  checkpointMinMs: 'HRL_CHECKPOINT_MIN_MS',
  workerTimeoutMs: 'HRL_WORKER_TIMEOUT_MS',
  reportWorkers: 'HRL_REPORT_WORKERS',
  reportQueue: 'HRL_REPORT_QUEUE',
  maxQueuedRuns: 'HRL_MAX_QUEUED_RUNS',
  keepSimulationsPerModel: 'HRL_KEEP_SIMULATIONS_PER_MODEL',
  keepReportsPerSimulation: 'HRL_KEEP_REPORTS_PER_SIMULATION',
  shutdownMs: 'HRL_SHUTDOWN_MS',
  maxEventLoopDelayMs: 'HRL_MAX_EVENT_LOOP_DELAY_MS',
  trustProxy: 'HRL_TRUST_PROXY',
  databaseUrl: 'HRL_DATABASE_URL',
  redisUrl: 'HRL_REDIS_URL',
  role: 'HRL_ROLE',
  stallMs: 'HRL_STALL_MS',
  simulationQueueMs: 'HRL_SIMULATION_QUEUE_MS',
  redisPrefix: 'HRL_REDIS_PREFIX'
};

/** Settings whose values are secrets: never echoed in errors or logs. */
const SECRET_SETTINGS = new Set<keyof Config>(['tokens', 'databaseUrl', 'redisUrl']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const defaultWorkers = () => Math.max(1, os.availableParallelism() - 1);

/** Builds a validated config from defaults, then environment variables, then explicit overrides. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = { workers: defaultWorkers() };
  for (const [key, envName] of Object.entries(ENV_NAMES) as Array<[keyof Config, string]>) {
    const value = env[envName];
    if (value === undefined || value === '') continue;
    const fieldSchema = ConfigSchema.properties[key];
    raw[key] = fieldSchema.type === 'integer' || fieldSchema.type === 'number' ? toNumber(value, envName) : value;
  }
  Object.assign(raw, overrides);
  const config = Value.Default(ConfigSchema, raw) as Config;
  const firstError = Value.Errors(ConfigSchema, config).First();
  if (firstError) {
    const key = firstError.path.split('/')[1] as keyof Config;
    const name = ENV_NAMES[key] ?? key;
    const shown = SECRET_SETTINGS.has(key) ? '(hidden)' : JSON.stringify(config[key]);
    throw new ConfigError(`Invalid configuration ${name}=${shown}: ${firstError.message}`);
  }
  checkRelations(config);
  return { ...config, dataDir: path.resolve(config.dataDir) };
}

/** Rules between settings, each message naming both variables. */
function checkRelations(config: Config): void {
  checkUrl(config, 'databaseUrl', ['postgres:', 'postgresql:']);
  checkUrl(config, 'redisUrl', ['redis:', 'rediss:']);
  if (config.redisUrl !== '' && config.databaseUrl === '') {
    throw new ConfigError(
      `Invalid configuration ${ENV_NAMES.redisUrl}: requires ${ENV_NAMES.databaseUrl} (processes sharing Redis must share a PostgreSQL database; SQLite is single-process)`
    );
  }
  if (config.role !== 'all' && config.redisUrl === '') {
    throw new ConfigError(
      `Invalid configuration ${ENV_NAMES.role}=${JSON.stringify(config.role)}: requires ${ENV_NAMES.redisUrl} and ${ENV_NAMES.databaseUrl} (gateways and trainers meet through Redis and PostgreSQL); without them use ${ENV_NAMES.role}=all`
    );
  }
  if (config.httpMaxConnections <= config.maxConnections) {
    throw new ConfigError(
      `Invalid configuration ${ENV_NAMES.httpMaxConnections}=${config.httpMaxConnections}: must exceed ${ENV_NAMES.maxConnections}=${config.maxConnections} (WebSockets are TCP connections too, and REST needs room beside them)`
    );
  }
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    throw new ConfigError(
      `Invalid configuration ${ENV_NAMES.httpHeadersTimeoutMs}=${config.httpHeadersTimeoutMs}: must not exceed ${ENV_NAMES.httpRequestTimeoutMs}=${config.httpRequestTimeoutMs}`
    );
  }
}

/** A connection URL with one of the expected schemes; the value itself is never echoed (it may hold a password). */
function checkUrl(config: Config, key: 'databaseUrl' | 'redisUrl', protocols: string[]): void {
  const value = config[key];
  if (value === '') return;
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new ConfigError(`Invalid configuration ${ENV_NAMES[key]}: not a URL (expected ${protocols[0]}//host:port/…)`);
  }
  if (!protocols.includes(protocol)) {
    throw new ConfigError(`Invalid configuration ${ENV_NAMES[key]}: scheme ${protocol} is not ${protocols.join(' or ')}`);
  }
}

function toNumber(value: string, envName: string): number {
  const n = Number(value.trim());
  if (!Number.isFinite(n)) throw new ConfigError(`Invalid configuration ${envName}=${JSON.stringify(value)}: must be a number`);
  return n;
}

/** Fastify's trustProxy option from HRL_TRUST_PROXY: off, true, or proxy addresses/CIDRs. */
export function trustProxyOption(value: string): boolean | string[] {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  return v.split(',').map((a) => a.trim()).filter(Boolean);
}
