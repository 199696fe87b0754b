// /health finds a database that can be read but not written (limits issue, item 9):
// 503 {status: "unhealthy", reason}, and 200 again once writing works. Both failures are
// real: a full file system (a tiny tmpfs, which needs the right to mount) and a file size
// limit (RLIMIT_FSIZE lowered with prlimit, which any user may do to its own process).
// A read-only file is no test here: chmod does not stop root, which these tests may run as.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';

const health = async (app: Awaited<ReturnType<typeof buildApp>>) => {
  const res = await app.inject({ method: 'GET', url: '/health' });
  return { status: res.statusCode, body: res.json() as { status: string; reason?: string } };
};
const createScenario = async (app: Awaited<ReturnType<typeof buildApp>>, name: string) =>
  (await app.inject({ method: 'POST', url: '/api/scenarios', payload: { name, environment: {} } })).statusCode;

/** Writes to `file` until the file system refuses with ENOSPC. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

t.test('a full disk: /health says 503 why, and 200 once there is room again', async (t) => {
  // Outside tap's fixture folder, which tap empties (and cannot while a mount is on it).
  const mountPoint = mkdtempSync(path.join(os.tmpdir(), 'hrl-tmpfs-'));
  t.teardown(() => rmSync(mountPoint, { recursive: true, force: true }));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  } catch {
    t.plan(0, 'cannot mount a tmpfs here (needs root); the file size limit test below still runs');
    return;
  }
  const app = await buildApp(testConfig({ dataDir: path.join(mountPoint, 'data') })).catch((error: unknown) => {
    execFileSync('umount', [mountPoint]);
    throw error;
  });
  t.teardown(async () => {
    await app.close();
    execFileSync('umount', [mountPoint]);
  });
  t.equal((await health(app)).status, 200);

  const filler = path.join(mountPoint, 'filler');
  fillUp(filler);
  const full = await health(app);
  t.equal(full.status, 503);
  t.match(full.body, { status: 'unhealthy', reason: /^database cannot be written: SQLITE_FULL/ });
  t.equal(await createScenario(app, 'while-full'), 500, 'writes fail meanwhile (and the service answers them)');

  rmSync(filler);
  t.equal((await health(app)).status, 200, 'healthy again once there is room');
  t.equal(await createScenario(app, 'after-full'), 201, 'and writes work again');
});

t.test('a file size limit reached: /health says 503 why, and 200 once it is lifted', async (t) => {
  const prlimit = (...args: string[]) => execFileSync('prlimit', ['--pid', String(process.pid), ...args], { encoding: 'utf8' }).trim();
  let soft: string;
  try {
    soft = prlimit('--fsize', '--output=SOFT', '--noheadings', '--raw');
  } catch {
    t.plan(0, 'prlimit is not available');
    return;
  }
  // Past the limit the kernel also sends SIGXFSZ. Node ignores it, but tap's signal-exit
  // re-raises signals nobody else listens to: a listener for the rest of this process
  // (the signal reaches JavaScript later than the write) keeps it alive.
  process.on('SIGXFSZ', () => {});
  const dataDir = t.testdir();
  const app = await buildApp(testConfig({ dataDir }));
  const lift = () => prlimit(`--fsize=${soft}:`);
  t.teardown(async () => {
    lift();
    await app.close();
  });
  t.equal((await health(app)).status, 200);

  // No write may reach past the write-ahead log's current end: its next append fails (EFBIG).
  const wal = path.join(dataDir, 'hrl-finance.sqlite-wal');
  prlimit(`--fsize=${statSync(wal).size}:`);
  const limited = await health(app);
  lift();
  t.equal(limited.status, 503);
  t.match(limited.body, { status: 'unhealthy', reason: /^database cannot be written: SQLITE_/ });

  t.equal((await health(app)).status, 200, 'healthy again once the limit is lifted');
});
