// The dashboard bundle: public/src/app.js (plain ES modules, the typed client from
// src/client and uPlot from node_modules) bundled with esbuild into dist/dashboard/, which
// is all the service serves at `/`. Run by `npm run build`, `prepare` and `npm start`
// (through scripts/start.mjs) and by the browser tests when the bundle is missing or stale.
//
//   node scripts/build-dashboard.mjs      build it now
import { copyFile, mkdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What the bundle is made of, relative to the repository root. */
const INPUTS = ['public', 'src/client', 'scripts/build-dashboard.mjs', 'node_modules/uplot/package.json', 'node_modules/esbuild/package.json'];
export const DASHBOARD_OUT = path.join('dist', 'dashboard');
const STAMP = path.join(DASHBOARD_OUT, '.build-stamp');

function newestMtime(target) {
  const s = statSync(target, { throwIfNoEntry: false });
  if (!s) return 0;
  let newest = s.mtimeMs;
  if (s.isDirectory()) for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/** Why dist/dashboard/ must be rebuilt, or null when it is newer than every input. */
export function dashboardStaleReason(root = repoRoot) {
  const stamp = statSync(path.join(root, STAMP), { throwIfNoEntry: false });
  if (!stamp) return 'the dashboard has not been bundled';
  const newest = Math.max(...INPUTS.map((input) => newestMtime(path.join(root, input))));
  return newest > stamp.mtimeMs ? 'the dashboard sources changed since the last bundle' : null;
}

/**
 * Bundles the dashboard (about a second). Each file is written beside its target and renamed
 * over it, so a server or a parallel test never reads half a file.
 */
export async function buildDashboard(root = repoRoot) {
  // esbuild is a devDependency, loaded only when a bundle is made.
  const esbuild = await import('esbuild');
  const began = new Date();
  const out = path.join(root, DASHBOARD_OUT);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { 'assets/app': path.join(root, 'public/src/app.js') },
    // The page imports the package's public client entry; bundled from its TypeScript source
    // (the same code `prepare` compiles to dist/client), so no tsc output is needed first.
    alias: { 'hrl-finance/client': path.join(root, 'src/client/index.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari15.4'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    write: false,
    logLevel: 'warning'
  });
  await mkdir(path.join(out, 'assets'), { recursive: true });
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  const place = async (target, write) => {
    await write(target + tmp);
    await rename(target + tmp, target);
  };
  for (const file of result.outputFiles) await place(file.path, (p) => writeFile(p, file.contents));
  await place(path.join(out, 'index.html'), (p) => copyFile(path.join(root, 'public/index.html'), p));
  const stamp = path.join(root, STAMP);
  await writeFile(stamp, `bundled from public/ and src/client/ at ${began.toISOString()}\n`);
  // The stamp carries the time the bundle began: a source edited meanwhile is newer.
  await utimes(stamp, began, began);
  return { files: result.outputFiles.map((f) => path.relative(out, f.path)), bytes: (await stat(path.join(out, 'assets/app.js'))).size };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { bytes } = await buildDashboard();
    console.error(`hrl-finance: dashboard bundled into ${DASHBOARD_OUT}/ (app.js ${Math.round(bytes / 1024)} KiB)`);
  } catch (error) {
    console.error(`hrl-finance: the dashboard bundle failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
