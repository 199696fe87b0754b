import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import authPlugin from './auth/auth-plugin.js';
import { loadTokens } from './auth/tokens.js';
import { busPlugin } from './bus/bus-plugin.js';
import { trustProxyOption, type Config } from './config.js';
import { HealthResponseSchema, HealthUnhealthyResponseSchema } from './contracts/health.js';
import { errorHandlerPlugin } from './http/error-handler.js';
import { hostPolicy } from './http/host-check.js';
import { redactUrl } from './http/redact-url.js';
import { requestGuardPlugin } from './http/request-guard.js';
import { formatSchemaError } from './http/schema-errors.js';
import { gatewayPlugin } from './realtime/gateway.js';
import { scenarioRoutes } from './scenarios/routes.js';
import { apiDocsPlugin } from './api-docs.js';
import { DASHBOARD_PUBLIC_PATHS, DASHBOARD_PUBLIC_PREFIXES, dashboardPlugin } from './dashboard.js';
import { jobsPlugin } from './jobs/jobs-plugin.js';
import { modelsPlugin } from './models/models-plugin.js';
import { modelRoutes } from './models/routes.js';
import { reportsPlugin } from './reports/reports-plugin.js';
import { reportRoutes } from './reports/routes.js';
import { simulationPlugin } from './simulation/simulation-plugin.js';
import { simulationRoutes } from './simulation/routes.js';
import { storagePlugin } from './storage/storage-plugin.js';
import { trainingPlugin } from './training/training-plugin.js';
import { trainingRoutes } from './training/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const WS_MAX_PAYLOAD = 64 * 1024;

export interface BuildOptions {
  /** Where log lines go (default stdout); tests capture them here. */
  logStream?: { write(line: string): void };
}

/**
 * The composition root: builds the service from config (storage, bus, job runners, domain
 * services, gateway, routes). Never listens: server.ts does.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream && { stream: options.logStream }),
      redact: ['req.headers.authorization'],
      serializers: {
        req: (request) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: request.ip })
      }
    },
    // Unknown body fields are rejected rather than silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: formatSchemaError,
    trustProxy: trustProxyOption(config.trustProxy),
    return503OnClosing: true,
    // Quoted in 5xx bodies and logged with the failure: unique across restarts and processes.
    genReqId: () => randomUUID(),
    // A client trickling its headers or body holds a socket only this long; the check
    // runs every second (Node's default, 30 s, would let a trickle live that much longer).
    requestTimeout: config.httpRequestTimeoutMs,
    http: {
      headersTimeout: config.httpHeadersTimeoutMs,
      requestTimeout: config.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.httpHeadersTimeoutMs)
    }
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Beyond it, new TCP connections are dropped at accept, before any parsing.
  app.server.maxConnections = config.httpMaxConnections;

  const tokens = loadTokens(config);
  const hosts = hostPolicy(config);
  app.decorate('config', config);
  try {
    await registerAll(app, config, tokens, hosts);
  } catch (error) {
    // What was opened before the failure (database, its lock, connections) is closed again.
    await app.close().catch(() => {});
    throw error;
  }
  return app;
}

type AppInstance = Awaited<ReturnType<typeof buildApp>>;

async function registerAll(app: AppInstance, config: Config, tokens: ReturnType<typeof loadTokens>, hosts: ReturnType<typeof hostPolicy>): Promise<void> {
  // Services, each a named plugin choosing its implementation from config. Order matters
  // for shutdown: onClose hooks run in reverse (workers, then bus, then storage), and the
  // training plugin's preClose (stop runs, flush their terminal events) runs before the
  // WebSocket plugin's (sockets closed with 1001).
  await app.register(storagePlugin);
  await app.register(busPlugin);
  await app.register(jobsPlugin);
  await app.register(trainingPlugin);
  // A trainer takes runs and simulations from the queues; it serves nothing but its health.
  if (config.role === 'trainer') {
    registerHealth(app);
    return;
  }
  await app.register(modelsPlugin);
  await app.register(reportsPlugin);
  await app.register(simulationPlugin);

  // First of the plugins with request hooks, so they see every upgrade request: an upgrade refused by a later hook
  // (401, 403, 429, 503) then has its socket destroyed instead of left open.
  await app.register(websocket, {
    options: { maxPayload: WS_MAX_PAYLOAD },
    preClose(done) {
      const server = this.websocketServer;
      for (const client of server.clients) client.close(1001, 'server shutting down');
      server.close(() => done());
    }
  });
  await app.register(errorHandlerPlugin);

  // Cheap refusals first: overload, CORS preflight, flood, then credentials.
  if (config.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, { maxEventLoopDelay: config.maxEventLoopDelayMs, retryAfter: 5 });
  }
  const origins = config.corsOrigins.split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length > 0) await app.register(cors, { origin: origins, credentials: true });
  await app.register(requestGuardPlugin, { hosts, corsOrigins: origins });
  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, { max: config.rateLimitPerMinute, timeWindow: '1 minute' });
  }
  // The dashboard's page and assets hold no data: they load without a token and ask for one.
  await app.register(authPlugin, { tokens, publicPaths: ['/health', ...DASHBOARD_PUBLIC_PATHS], publicPrefixes: DASHBOARD_PUBLIC_PREFIXES, maxFailuresPerMinute: config.authFailuresPerMinute });

  const { bus, training, storage } = app;
  await app.register(gatewayPlugin, {
    bus,
    heartbeatMs: config.heartbeatMs,
    highWaterMark: config.wsHighWaterBytes,
    hardCap: config.wsHardCapBytes,
    stallMs: config.wsStallMs,
    maxSubscriptions: config.wsMaxSubscriptions,
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    runExists: async (runId) => training.activeRecord(runId) !== undefined || (await storage.runs.get(runId)) !== undefined
  });

  // OpenAPI (/openapi.json, /docs) and AsyncAPI (/asyncapi.json): before the routes, so every one is documented.
  await app.register(apiDocsPlugin, { version });

  registerHealth(app);
  await app.register(scenarioRoutes, { prefix: '/api/scenarios' });
  await app.register(trainingRoutes, { prefix: '/api/training' });
  await app.register(modelRoutes, { prefix: '/api/models' });
  await app.register(simulationRoutes, { prefix: '/api/simulation' });
  await app.register(reportRoutes, { prefix: '/api/reports' });
  await app.register(dashboardPlugin);
}

/** GET /health: liveness, version and whether the database can be read and written. */
function registerHealth(app: AppInstance): void {
  const { storage } = app;
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Liveness, version and database health', response: { 200: HealthResponseSchema, 503: HealthUnhealthyResponseSchema } } },
    async (_request, reply) => {
      const timestamp = new Date().toISOString();
      const db = await storage.health();
      if (!db.ok) return reply.code(503).send({ status: 'unhealthy' as const, reason: db.reason, version, timestamp });
      return { status: 'ok' as const, version, timestamp };
    }
  );
}
