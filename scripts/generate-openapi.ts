/**
 * Writes schemas/openapi.json: the OpenAPI 3 document @fastify/swagger builds from the
 * route schemas (the same one GET /openapi.json serves).
 *
 *   node --import tsx scripts/generate-openapi.ts [--check]
 *
 * The app is built on a throwaway data directory and never listens; no worker starts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const target = fileURLToPath(new URL('../schemas/openapi.json', import.meta.url));

export async function openApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hrl-openapi-'));
  try {
    // An empty environment: the document must not depend on the caller's settings.
    const app = await buildApp(loadConfig({}, { dataDir, workers: 1, logLevel: 'silent' }));
    try {
      await app.ready();
      return `${JSON.stringify(app.swagger(), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const doc = await openApiDocument();
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: stale
  }
  if (check) {
    if (current !== doc) {
      console.log('stale: openapi.json; run `npm run schemas`');
      process.exitCode = 1;
    } else console.log('openapi.json up to date');
  } else {
    if (current !== doc) writeFileSync(target, doc);
    console.log(`openapi.json ${current === doc ? 'unchanged' : 'written'}`);
  }
}
