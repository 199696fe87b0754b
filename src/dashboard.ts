import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Served from the repository root whether the service runs from src/ or dist/. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const UPLOT_DIR = fileURLToPath(new URL('../node_modules/uplot/dist/', import.meta.url));

export const DASHBOARD_PUBLIC_PATHS = ['/', '/index.html'];
export const DASHBOARD_PUBLIC_PREFIXES = ['/assets/', '/vendor/'];

/** The live training dashboard at `/`: plain ES modules (no build step) plus uPlot from node_modules. */
export const dashboardPlugin: FastifyPluginAsync = async (app) => {
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
