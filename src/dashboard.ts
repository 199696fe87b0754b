import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Served from the repository root whether the service runs from src/ or dist/. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const UPLOT_DIR = fileURLToPath(new URL('../node_modules/uplot/dist/', import.meta.url));

export const DASHBOARD_PUBLIC_PATHS = ['/', '/index.html'];
export const DASHBOARD_PUBLIC_PREFIXES = ['/assets/', '/vendor/'];

/**
 * What the dashboard may load: its own scripts, styles and API (REST and /ws on the same
 * origin), the `data:` favicon, nothing inline, nothing from elsewhere, and it may not be
 * framed (clickjacking the stop button). uPlot sizes its elements through the CSSOM,
 * which style-src does not restrict, so no 'unsafe-inline' is needed.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
};

/** The live training dashboard at `/`: plain ES modules (no build step) plus uPlot from node_modules. */
export const dashboardPlugin: FastifyPluginAsync = async (app) => {
  // Encapsulated: only the dashboard's page and assets get these headers, not the API or the reports.
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  // wildcard: false registers one route per file found at start-up, so unknown paths stay
  // ordinary 404s and no catch-all route shadows the API.
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', wildcard: false, index: 'index.html' });
  await app.register(fastifyStatic, {
    root: UPLOT_DIR,
    prefix: '/vendor/uplot/',
    wildcard: false,
    decorateReply: false,
    allowedPath: (path) => /^\/uPlot\.(esm\.js|min\.css)$/.test(path)
  });
};
