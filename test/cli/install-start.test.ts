import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import semver from 'semver';
import t from 'tap';
import { ROOT } from '../client/helpers.js';
// @ts-expect-error plain JavaScript (it runs before anything is compiled), no declarations
import { staleReason } from '../../scripts/start.mjs';

const stale = staleReason as (root: string) => string | null;

// Building dist/ with tsc takes a minute or more on a loaded 2-core machine: more than
// .taprc's per-file timeout leaves (the root test tells the runner).
t.setTimeout(360_000);


t.test('the declared Node versions are ones every locked package supports, and this one is among them', async (t) => {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
  t.ok(semver.satisfies(process.version, pkg.engines.node), `${process.version} satisfies ${pkg.engines.node}`);
  // The lowest version of each declared range (20.19.0, 22.12.0, 24.0.0) must satisfy every
  // package, or npm install prints EBADENGINE there.
  const lowest = pkg.engines.node.split('||').map((range) => semver.minVersion(range)!.version);
  const refused = Object.entries(lock.packages).flatMap(([name, entry]) =>
    lowest.filter((version) => entry.engines?.node && !semver.satisfies(version, entry.engines.node)).map((v) => `${name} (${entry.engines!.node}) refuses ${v}`)
  );
  t.same(refused, [], 'no EBADENGINE on any declared version');
});

t.test('dist/ staleness: fresh after a build, stale after an edit, an added or a removed file', async (t) => {
  const root = t.testdir({ src: { 'a.ts': 'export {};\n', lib: { 'b.ts': 'export {};\n' } }, 'tsconfig.json': '{}', 'package.json': '{}' });
  t.equal(stale(root), 'dist/ has not been built');
  const build = async () => {
    await mkdir(path.join(root, 'dist'), { recursive: true });
    await writeFile(path.join(root, 'dist/.build-stamp'), '');
  };
  // Times are set explicitly: no test waits on the clock.
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const setTime = (rel: string, s: number) => utimes(path.join(root, rel), at(s), at(s));
  for (const rel of ['src/a.ts', 'src/lib/b.ts', 'src/lib', 'src', 'tsconfig.json', 'package.json']) await setTime(rel, 1);
  await build();
  await setTime('dist/.build-stamp', 2);
  t.equal(stale(root), null, 'every input older than the stamp');
  await setTime('src/lib/b.ts', 3);
  t.equal(stale(root), 'sources changed since the last build', 'an edited file deep in src/');
  await setTime('src/lib/b.ts', 1);
  await rm(path.join(root, 'src/lib/b.ts'));
  await setTime('src/lib', 1);
  t.equal(stale(root), null);
  await writeFile(path.join(root, 'src/lib/c.ts'), 'export {};\n');
  await setTime('src/lib/c.ts', 1); // even with an old time (kept by a copy), its folder changed
  t.equal(stale(root), 'sources changed since the last build', 'an added file');
  await setTime('src/lib', 1);
  await rm(path.join(root, 'src/lib/c.ts'));
  t.equal(stale(root), 'sources changed since the last build', 'a removed file: its folder is newer');
  await setTime('src/lib', 1);
  await setTime('tsconfig.json', 3);
  t.equal(stale(root), 'sources changed since the last build', 'the build configuration counts too');
});

t.test('a clean checkout: prepare builds, the client imports, and a start with a fresh dist/ compiles nothing and serves the dashboard', async (t) => {
  // A copy of what a clone holds (its node_modules linked, not reinstalled), so this
  // repository's own dist/ is left alone.
  const copy = await mkdtemp(path.join(tmpdir(), 'hrl-checkout-'));
  t.teardown(() => rm(copy, { recursive: true, force: true }));
  for (const entry of ['src', 'scripts', 'schemas', 'public', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    await cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));

  const prepared = spawnSync('npm', ['run', '--silent', 'prepare'], { cwd: copy, encoding: 'utf8' });
  t.equal(prepared.status, 0, 'npm run prepare builds') || t.comment(prepared.stdout + prepared.stderr);
  const stamp = path.join(copy, 'dist/.build-stamp');
  const builtAt = (await stat(stamp)).mtimeMs;
  const serverBuiltAt = (await stat(path.join(copy, 'dist/server.js'))).mtimeMs;

  const imported = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('hrl-finance/client'); console.log(typeof m.HrlClient, typeof m.RestClient)"], { cwd: copy, encoding: 'utf8' });
  t.equal(imported.stdout.trim(), 'function function', 'hrl-finance/client imports right after install') || t.comment(imported.stderr);

  const dataDir = path.join(copy, 'data');
  const server = spawn('npm', ['start'], { cwd: copy, env: { ...process.env, PORT: '0', HRL_DATA_DIR: dataDir, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.teardown(() => {
    if (server.exitCode === null) process.kill(-server.pid!, 'SIGKILL');
  });
  let output = '';
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${output}`)));
  });
  const url = await listening;
  t.equal((await fetch(`${url}/health`)).status, 200, 'healthy');
  t.notMatch(output, /compiling|bundling/, 'no compile or bundle message');
  const dashboard = await fetch(`${url}/`);
  t.equal(dashboard.status, 200, 'the dashboard page is served');
  t.match(await dashboard.text(), /<script type="module" src="\/assets\/app\.js">/);
  const bundle = await fetch(`${url}/assets/app.js`);
  t.equal(bundle.status, 200, 'its bundle, made by prepare, is served');
  t.ok((await bundle.text()).length > 10_000, 'and is the real bundle');
  t.equal((await stat(stamp)).mtimeMs, builtAt, 'the build stamp is untouched');
  t.equal((await stat(path.join(copy, 'dist/server.js'))).mtimeMs, serverBuiltAt, 'dist/server.js is untouched');
  process.kill(-server.pid!, 'SIGTERM');
  await once(server, 'exit');
});
