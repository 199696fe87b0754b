// SQLite mode is single-process: a second process on the same data directory is refused,
// and the lock dies with its process (SIGKILL included), so a restart is never blocked.
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { lockDataDir, DataDirLockedError } from '../../src/storage/data-dir-lock.js';
import { testConfig } from '../helpers/config.js';
import { spawnServer } from '../helpers/spawn-server.js';

t.test('a second app on the same data directory is refused until the first closes', async (t) => {
  const dataDir = t.testdir();
  const first = await buildApp(testConfig({ dataDir }));
  await t.rejects(buildApp(testConfig({ dataDir })), {
    name: 'DataDirLockedError',
    message: /data directory .* \(HRL_DATA_DIR\) is in use by another hrl-finance process/
  });
  await first.close();
  const again = await buildApp(testConfig({ dataDir }));
  await again.close();
  // The lock is released on close, also after a failed start.
  lockDataDir(dataDir).release();
});

t.test('another process is refused with one line and exit 1; after SIGKILL a restart works at once', async (t) => {
  const dataDir = t.testdir();
  const first = await spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '1' });
  t.throws(() => lockDataDir(dataDir), DataDirLockedError, 'held while the process lives');
  await t.rejects(spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '1' }), {
    message: /exited with 1 before listening: the data directory .* is in use by another hrl-finance process/
  });
  first.child.kill('SIGKILL');
  await first.exited;
  const second = await spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '1' });
  const health = await fetch(`${second.url}/health`);
  t.equal(health.status, 200, 'restarted right after SIGKILL');
  second.child.kill('SIGTERM');
  t.same(await second.exited, { code: 0, signal: null });
});
