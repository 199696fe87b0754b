import t from 'tap';
import { HrlClient, type RunEvent } from '../../src/client/index.js';
import { freePort, importFixture, spawnServer, startRun, tempDir } from './helpers.js';

t.test('after the server is killed mid-run and restarted on the same port, the iterator continues with no gap or duplicate', async (t) => {
  const port = await freePort();
  const dataDir = await tempDir(t);
  const env = { HRL_PROGRESS_HZ: '20' };
  const first = await spawnServer(t, { port, dataDir, env, readyTimeoutMs: 120_000 });
  await importFixture(first.url, 'demo');
  const runId = await startRun(first.url, { scenario_name: 'demo', num_episodes: 2000, eval_episodes: 0, seed: 5 });

  // The first socket goes deaf at the kill point, like a stalled network: events the server
  // stored after that reach the caller only through the resume from the restarted server.
  let deaf = false;
  let sockets = 0;
  const { WebSocket } = await import('ws');
  const client = new HrlClient({
    url: first.url,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    webSocket: (url) => {
      const ws = new WebSocket(url);
      const mine = ++sockets;
      Object.defineProperty(ws, 'onmessage', {
        set(handler: (e: unknown) => void) {
          ws.addEventListener('message', (e) => (mine === 1 && deaf ? undefined : handler(e)));
        }
      });
      return ws;
    }
  });
  t.teardown(() => client.close());
  let reconnects = 0;
  client.on('open', ({ reconnected }) => (reconnects += reconnected ? 1 : 0));
  const scenarioEvents: RunEvent[] = [];
  const scenarioSub = client.subscribe({ scenario_name: 'demo' }, { onEvent: (ev) => scenarioEvents.push(ev) });
  t.teardown(() => scenarioSub.close());

  const events: RunEvent[] = [];
  let restarted: Promise<unknown> | undefined;
  for await (const ev of client.run(runId)) {
    events.push(ev);
    if (!restarted && ev.type === 'training_progress' && ev.seq >= 4) {
      deaf = true;
      await waitForSeq(first.url, runId, ev.seq + 3);
      await first.kill();
      restarted = spawnServer(t, { port, dataDir, env, readyTimeoutMs: 120_000 });
    }
  }
  await restarted;

  const seqs = events.map((e) => e.seq);
  t.ok(restarted, 'the server was killed mid-run');
  t.ok(seqs.length >= 8, 'events stored while the client was deaf were replayed after the restart');
  t.ok(reconnects >= 1, `the client reconnected (${reconnects})`);
  t.same(seqs, seqs.map((_, i) => i + 1), `seqs ${seqs.join(',')} are contiguous from 1 with no duplicate`);
  const last = events.at(-1)!;
  t.equal(last.type, 'training_error', 'the interrupted run ends with its terminal training_error');
  if (last.type === 'training_error') t.match(last.data.message, /interrupted/);

  // The scenario subscription was live only; it started at seq 1 or later, then refilled its gap by run id.
  const deadline = Date.now() + 10_000;
  while (scenarioEvents.at(-1)?.type !== 'training_error' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const scenarioSeqs = scenarioEvents.filter((e) => e.run_id === runId).map((e) => e.seq);
  t.same(scenarioSeqs, seqs.slice(seqs.length - scenarioSeqs.length), 'the scenario subscription has the same tail with no gap');
  t.ok(scenarioSeqs.length >= seqs.length - 2, 'and it saw the run almost from its start');
});

async function waitForSeq(url: string, runId: string, seq: number): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/api/training/runs/${runId}/events?after_seq=${seq - 1}`);
    const body = (await res.json()) as { events: unknown[] };
    if (body.events.length > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
