import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';

/**
 * The bundle made by scripts/build-dashboard.mjs (`npm run build`, `prepare`, `npm start`),
 * found from the repository root whether the service runs from src/ or dist/.
 */
const BUNDLE_DIR = fileURLToPath(new URL('../dist/dashboard/', import.meta.url));

export const DASHBOARD_PUBLIC_PATHS = ['/', '/index.html'];
export const DASHBOARD_PUBLIC_PREFIXES = ['/assets/'];

/** A Host value fit to appear in a header (the host check has already accepted it). */
const HOST_TOKEN = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * What the dashboard may load: its one bundled script and stylesheet, its own REST API and
 * the socket at /ws of the host it was loaded from, the `data:` favicon; nothing inline,
 * no eval, nothing from elsewhere, and it may not be framed (clickjacking the stop button).
 * uPlot sizes its elements through the CSSOM, which style-src does not restrict, so no
 * 'unsafe-inline' is needed. ws(s) is named explicitly because 'self' only covers the
 * socket's scheme in browsers that implement CSP level 3 (older Safari does not).
 */
export function dashboardCsp(host: string | undefined): string {
  const socket = host !== undefined && HOST_TOKEN.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${socket}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ');
}

const securityHeaders = (request: FastifyRequest) => ({
  'content-security-policy': dashboardCsp(request.host),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
});

const NOT_BUILT = `The dashboard has not been bundled. Run \`npm run build\` (or start with \`npm start\`, which bundles it when needed).\n`;

/** The live training dashboard at `/`: the bundle in dist/dashboard/ (index.html, assets/app.js, assets/app.css). */
export const dashboardPlugin: FastifyPluginAsync = async (app) => {
  // Encapsulated: only the dashboard's page and assets get these headers, not the API or the reports.
  app.addHook('onSend', async (request, reply) => {
    reply.headers(securityHeaders(request));
  });
  if (!existsSync(`${BUNDLE_DIR}index.html`)) {
    // Started from src/ without a build: say what to do instead of a bare 404.
    app.log.warn(`the dashboard is not bundled (${BUNDLE_DIR}): run npm run build`);
    for (const url of DASHBOARD_PUBLIC_PATHS) app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT));
    return;
  }
  // wildcard: false registers one route per file found at start-up, so unknown paths stay
  // ordinary 404s and no catch-all route shadows the API. The stamp file is not served.
  await app.register(fastifyStatic, {
    root: BUNDLE_DIR,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    allowedPath: (path) => !path.startsWith('/.')
  });
};
