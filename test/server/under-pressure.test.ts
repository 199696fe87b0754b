import t from 'tap';
import { startServer } from '../helpers/app.js';

const busy = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

t.test('requests get 503 with Retry-After while the event loop is saturated, and 200 again after', async (t) => {
  const server = await startServer(t, { maxEventLoopDelayMs: 200 });
  // Start-up itself (loading modules, migrations) may have lagged the loop: wait for calm.
  const serving = async () => {
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${server.url}/api/training/runs`)).status === 200) return 200;
      await new Promise((r) => setTimeout(r, 100));
    }
    return 503;
  };
  t.equal(await serving(), 200);
  // Saturate this process's event loop (the server runs in it) for ~3 s: 400 ms busy
  // slices with only a moment between them, so the mean loop delay is ~400 ms.
  const statuses: Array<{ status: number; retryAfter: string | null }> = [];
  const requests: Promise<void>[] = [];
  for (let slice = 0; slice < 8; slice++) {
    requests.push(
      fetch(`${server.url}/api/training/runs`).then((res) => void statuses.push({ status: res.status, retryAfter: res.headers.get('retry-after') }))
    );
    busy(400);
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(requests);
  const refused = statuses.filter((s) => s.status === 503);
  t.ok(refused.length > 0, `statuses while saturated: ${statuses.map((s) => s.status).join(',')}`);
  t.ok(refused.every((s) => s.retryAfter === '5'));
  t.equal(await serving(), 200, 'it serves again once the loop is free');
});
