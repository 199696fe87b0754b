#!/usr/bin/env node
// `npm start`, `npm run build` and `prepare` in one plain-JavaScript file (it runs before
// anything is compiled):
//   node scripts/start.mjs           build only when dist/ is stale, then run dist/server.js
//   node scripts/start.mjs --build   always compile src/ to dist/ and stamp the build
//   node scripts/start.mjs --prepare compile only when dist/ is stale (`npm install`'s
//                                    prepare: the client export works right after install)
// Each also bundles the dashboard into dist/dashboard/ (scripts/build-dashboard.mjs): always
// with --build, otherwise only when its own sources are newer than its bundle.
//
// Staleness is judged by modification times, one stat per file: dist/ is fresh when its
// build stamp is newer than every file and folder under src/ and the build configuration.
// A pull, checkout or edit touches what it changes (deleting a file touches its folder),
// so a stale dist/ is rebuilt before it could run; a fresh one starts in about a second.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildDashboard, dashboardStaleReason } from './build-dashboard.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What the compiled output depends on, relative to the repository root. */
const BUILD_INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const STAMP = path.join('dist', '.build-stamp');

/** The newest modification time (ms) of a file, or of a folder and everything under it. */
function newestMtime(target) {
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

/** Why dist/ must be rebuilt, or null when its build is newer than all of its inputs. */
export function staleReason(root = repoRoot) {
  const stamp = statSync(path.join(root, STAMP), { throwIfNoEntry: false });
  if (!stamp) return 'dist/ has not been built';
  const newest = Math.max(...BUILD_INPUTS.map((input) => newestMtime(path.join(root, input))));
  return newest > stamp.mtimeMs ? 'sources changed since the last build' : null;
}

/** Compiles src/ to dist/ with the project's TypeScript, then stamps the build. Throws on failure. */
export function build(root = repoRoot) {
  const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  // The stamp carries the time the build began: a source edited during the build is newer.
  const began = new Date();
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the TypeScript build failed (tsc exit ${result.status ?? result.signal})`);
  const stamp = path.join(root, STAMP);
  mkdirSync(path.dirname(stamp), { recursive: true });
  writeFileSync(stamp, `built from src/ at ${began.toISOString()}\n`);
  utimesSync(stamp, began, began);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes('--build')) {
      build();
      await buildDashboard();
    } else if (process.argv.includes('--prepare')) {
      if (staleReason()) build();
      if (dashboardStaleReason()) await buildDashboard();
    } else {
      const reason = staleReason();
      if (reason) {
        console.error(`hrl-finance: ${reason}; compiling src/ to dist/ first`);
        build();
      }
      const dashboardReason = dashboardStaleReason();
      if (dashboardReason) {
        console.error(`hrl-finance: ${dashboardReason}; bundling it first`);
        await buildDashboard();
      }
      await import(pathToFileURL(path.join(repoRoot, 'dist', 'server.js')).href);
    }
  } catch (error) {
    console.error(`hrl-finance: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
