import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { clientKey, FailureLimiter } from './failure-limit.js';
import { scopesOf, type Scope, type TokenEntry } from './tokens.js';

export interface AuthOptions {
  tokens: TokenEntry[];
  /** Paths that need no token (exact match on the path without query). */
  publicPaths?: string[];
  /** Path prefixes that need no token (static dashboard assets, API docs). */
  publicPrefixes?: string[];
  /** Unknown tokens a client address may present per minute before it gets 429 (HRL_AUTH_FAILURES_PER_MINUTE). */
  maxFailuresPerMinute: number;
}

/** The query-string token is accepted on the WebSocket upgrade only: browsers cannot set headers there. */
const WS_PATH = '/ws';

function presentedToken(request: FastifyRequest, path: string): string | null {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : '';
  }
  if (path === WS_PATH) {
    const token = (request.query as Record<string, unknown> | undefined)?.token;
    if (typeof token === 'string') return token;
  }
  return null;
}

const deny = (reply: FastifyReply, status: 401 | 403, message: string) => {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="hrl-finance"');
  return reply.code(status).send({
    statusCode: status,
    code: status === 401 ? 'HRL_UNAUTHORIZED' : 'HRL_FORBIDDEN',
    error: status === 401 ? 'Unauthorized' : 'Forbidden',
    message
  });
};

/**
 * Optional bearer-token auth: `read` for GET/HEAD routes and /ws, `write` for everything
 * that changes state. With no tokens configured the service is open (logged once).
 *
 * Guessing is bounded: every unknown token counts against the client address, on REST and
 * on the /ws upgrade alike, and an address over its budget gets 429 for the rest of the
 * minute before any token is looked at, so a right guess is not told apart from a wrong one.
 */
const authPlugin: FastifyPluginAsync<AuthOptions> = async (app, opts) => {
  if (opts.tokens.length === 0) {
    app.log.warn('no HRL_TOKENS configured: the service is open to anyone who can reach it');
    return;
  }
  app.log.info({ tokens: opts.tokens.length }, 'bearer-token authentication is on');
  const publicPaths = new Set(opts.publicPaths ?? []);
  const publicPrefixes = opts.publicPrefixes ?? [];
  const failures = new FailureLimiter(opts.maxFailuresPerMinute);

  app.addHook('onRequest', async (request, reply) => {
    // CORS preflights carry no credentials by design.
    if (request.method === 'OPTIONS') return;
    // The matched route, not the raw path: `/assets/../api/x` or `/%77s` cannot pose as public or as /ws.
    const path = request.routeOptions.url ?? request.url.split('?', 1)[0];
    if (request.routeOptions.url !== undefined && (publicPaths.has(path) || publicPrefixes.some((p) => path.startsWith(p)))) return;
    const client = clientKey(request.ip);
    const now = Date.now();
    const blockedMs = failures.blockedFor(client, now);
    if (blockedMs > 0) {
      const seconds = Math.ceil(blockedMs / 1000);
      return reply.code(429).header('retry-after', String(seconds)).send({
        statusCode: 429,
        code: 'HRL_AUTH_RATE_LIMITED',
        error: 'Too Many Requests',
        message: `more than ${opts.maxFailuresPerMinute} failed authentications from this address within a minute; retry in ${seconds} s`
      });
    }
    const needed: Scope = request.method === 'GET' || request.method === 'HEAD' || path === WS_PATH ? 'read' : 'write';
    const token = presentedToken(request, path);
    if (token === null) return deny(reply, 401, 'a bearer token is required (Authorization: Bearer <token>)');
    const scopes = scopesOf(opts.tokens, token);
    if (!scopes) {
      failures.fail(client, now);
      return deny(reply, 401, 'the token is not valid');
    }
    if (!scopes.has(needed)) return deny(reply, 403, `the token lacks the '${needed}' scope`);
  });
};

export default fp(authPlugin, { name: 'auth', fastify: '5.x' });
