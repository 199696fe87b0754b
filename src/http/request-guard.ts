import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { replyError, ServiceError } from '../errors.js';
import { acceptedWriteType, mediaTypeOf, normalizeOrigin, originAllowed, STATE_CHANGING } from './cross-site.js';
import type { HostPolicy } from './host-check.js';

export interface RequestGuardOptions {
  hosts: HostPolicy;
  /** HRL_CORS_ORIGINS: origins besides the service's own that may write and open /ws. */
  corsOrigins: string[];
}

const WRITE_TYPES_HINT = 'send application/json (scenario import: application/yaml or text/yaml)';

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/**
 * Refusals that keep the service out of reach of other web sites. Before rate limits and
 * authentication: a Host it does not serve (DNS rebinding), a WebSocket upgrade to a path
 * without a WebSocket endpoint, a write or WebSocket handshake from a foreign Origin.
 * Before the body is read: a write whose body is not JSON or YAML (text/plain and form
 * bodies are what a cross-site form or no-cors fetch can send without a CORS preflight).
 */
const requestGuard: FastifyPluginAsync<RequestGuardOptions> = async (app, opts) => {
  const corsOrigins = new Set(opts.corsOrigins.map((o) => (o === '*' ? o : normalizeOrigin(o) ?? o)));
  const websocketRoutes = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.websocket) websocketRoutes.add(route.url);
  });

  app.addHook('onRequest', async (request, reply) => {
    const host = request.host;
    if (!opts.hosts.allows(host)) {
      return replyError(
        reply,
        403,
        'HRL_HOST_NOT_ALLOWED',
        `Host ${JSON.stringify(host ?? '')} is not served here (accepted: ${opts.hosts.accepted}); list it in HRL_ALLOWED_HOSTS to allow it`
      );
    }
    // @fastify/websocket would answer 101 and close at once; an HTTP error says why.
    if (request.ws && !websocketRoutes.has(request.routeOptions.url ?? '')) {
      const path = request.url.split('?', 1)[0];
      return replyError(reply, 404, 'HRL_NOT_A_WEBSOCKET_ENDPOINT', `${path} has no WebSocket endpoint; connect to /ws`);
    }
    if (!STATE_CHANGING(request.method) && !request.ws) return;

    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin, host, corsOrigins)) {
      return replyError(
        reply,
        403,
        'HRL_CROSS_ORIGIN',
        `${request.ws ? 'WebSocket connection' : `${request.method} request`} from Origin ${origin} refused: it is neither this server (${host}) nor listed in HRL_CORS_ORIGINS`
      );
    }
    // A browser that strips Origin still says where the request came from.
    const site = request.headers['sec-fetch-site'];
    if (origin === undefined && (site === 'cross-site' || site === 'same-site')) {
      return replyError(reply, 403, 'HRL_CROSS_ORIGIN', `${request.method} request from another site (Sec-Fetch-Site: ${site}) refused`);
    }
  });

  // After authentication and after a route's own content-type rule (the scenario import
  // names its YAML types), still before any byte of the body is read.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!STATE_CHANGING(request.method)) return payload;
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !acceptedWriteType(mediaTypeOf(contentType))) {
      throw new ServiceError(
        415,
        'HRL_UNSUPPORTED_MEDIA_TYPE',
        `${request.method} ${request.routeOptions.url ?? 'request'}: Content-Type ${mediaTypeOf(contentType) || '(empty)'} is not accepted; ${WRITE_TYPES_HINT}`
      );
    }
    if (contentType === undefined && hasBody(request.headers)) {
      throw new ServiceError(415, 'HRL_UNSUPPORTED_MEDIA_TYPE', `${request.method} request with a body but no Content-Type; ${WRITE_TYPES_HINT}`);
    }
    return payload;
  });
};

export const requestGuardPlugin = fp(requestGuard, { name: 'request-guard', fastify: '5.x', dependencies: ['@fastify/websocket'] });
