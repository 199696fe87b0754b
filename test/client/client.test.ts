import t from 'tap';
import { HrlClient, HrlClientError, RestClient, HttpError, backoffDelay, type RunEvent } from '../../src/client/index.js';
import { importFixture, startApp, startRun } from './helpers.js';

const seqsOf = (events: RunEvent[]) => events.map((e) => e.seq);
const contiguous = (events: RunEvent[]) => seqsOf(events).every((s, i) => s === i + 1);

t.test('client against an in-process server', async (t) => {
  const { app, url } = await startApp(t, { progressHz: 200 });
  await importFixture(url, 'demo');
  await importFixture(url, 'other', 'balanced.yaml');

  t.test('run() iterates a run from seq 1 and ends after its terminal event', async (t) => {
    const runId = await startRun(url, { scenario_name: 'demo', num_episodes: 6, eval_episodes: 0, seed: 3 });
    const client = new HrlClient({ url });
    t.teardown(() => client.close());
    const events: RunEvent[] = [];
    for await (const ev of client.run(runId)) events.push(ev);
    t.ok(contiguous(events), `seqs ${seqsOf(events).join(',')} are 1..n`);
    t.equal(events[0].type, 'training_started');
    t.equal(events.at(-1)!.type, 'training_completed');
    t.ok(events.every((e) => e.run_id === runId));
  });

  t.test('run() on a finished run replays it and ends; from a seq resumes after it', async (t) => {
    const { runs } = await new RestClient({ url }).listRuns({ status: 'completed' });
    const runId = runs[0].run_id;
    const client = new HrlClient({ url });
    t.teardown(() => client.close());
    const all: RunEvent[] = [];
    for await (const ev of client.run(runId)) all.push(ev);
    const tail: RunEvent[] = [];
    for await (const ev of client.run(runId, { from: 2 })) tail.push(ev);
    t.same(seqsOf(tail), seqsOf(all).slice(2));
  });

  t.test('an unknown run rejects the iterator with unknown_run', async (t) => {
    const client = new HrlClient({ url });
    t.teardown(() => client.close());
    const error = await (async () => {
      for await (const _ of client.run('no_such_run')) void _;
    })().catch((e: unknown) => e);
    t.ok(error instanceof HrlClientError, 'an HrlClientError');
    t.equal((error as HrlClientError).code, 'unknown_run');
  });

  t.test('a dropped socket reconnects and every subscription resumes with no gap and no duplicate', async (t) => {
    const client = new HrlClient({ url, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    t.teardown(() => client.close());
    await client.connect();
    const scenarioEvents: RunEvent[] = [];
    const allEvents: RunEvent[] = [];
    const scenarioStream = client.scenario('demo');
    const scenarioDone = (async () => {
      for await (const ev of scenarioStream) {
        scenarioEvents.push(ev);
        if (ev.type === 'training_completed') break;
      }
    })();
    const allSub = client.subscribe({}, { onEvent: (ev) => allEvents.push(ev) });
    await Promise.all([scenarioStream.subscription.ready, allSub.ready]);

    const runId = await startRun(url, { scenario_name: 'demo', num_episodes: 40, eval_episodes: 0, seed: 4 });
    const runEvents: RunEvent[] = [];
    let reconnects = 0;
    client.on('open', ({ reconnected }) => reconnects += reconnected ? 1 : 0);
    let dropped = 0;
    for await (const ev of client.run(runId)) {
      runEvents.push(ev);
      // Cut every socket from the server side twice while the run goes on.
      if (ev.type === 'training_progress' && dropped < 2 && ev.seq >= 3 + dropped * 3) {
        dropped++;
        for (const ws of app.websocketServer.clients) ws.terminate();
      }
    }
    await scenarioDone;
    allSub.close();
    t.equal(dropped, 2);
    t.ok(reconnects >= 2, `reconnected ${reconnects} times`);
    t.ok(contiguous(runEvents), `run seqs ${seqsOf(runEvents).join(',')}`);
    t.equal(runEvents.at(-1)!.type, 'training_completed');
    const ofRun = (evs: RunEvent[]) => evs.filter((e) => e.run_id === runId);
    t.ok(contiguous(ofRun(scenarioEvents)), `scenario seqs ${seqsOf(ofRun(scenarioEvents)).join(',')}`);
    t.ok(contiguous(ofRun(allEvents)), `all seqs ${seqsOf(ofRun(allEvents)).join(',')}`);
    t.same(seqsOf(ofRun(scenarioEvents)), seqsOf(runEvents));
  });

  t.test('reconnectNow() skips a long backoff wait, and does nothing while connected', async (t) => {
    // A backoff of a minute: only reconnectNow can bring the client back within the test.
    const client = new HrlClient({ url, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 } });
    t.teardown(() => client.close());
    await client.connect();
    client.reconnectNow();
    t.equal(client.state, 'open', 'a no-op while open');
    const waiting = new Promise<number>((resolve) => client.on('reconnecting', ({ delay_ms }) => resolve(delay_ms)));
    for (const ws of app.websocketServer.clients) ws.terminate();
    t.equal(await waiting, 60_000, 'the client would wait a minute');
    const reopened = new Promise<boolean>((resolve) => client.on('open', ({ reconnected }) => resolve(reconnected)));
    client.reconnectNow();
    t.equal(await reopened, true, 'reconnected at once');
    t.equal(client.state, 'open');
  });

  t.test('a scenario subscription only sees runs of that scenario', async (t) => {
    const client = new HrlClient({ url });
    t.teardown(() => client.close());
    const seen: RunEvent[] = [];
    const sub = client.subscribe({ scenario_name: 'other' }, { onEvent: (ev) => seen.push(ev) });
    await sub.ready;
    const demoRun = await startRun(url, { scenario_name: 'demo', num_episodes: 2, eval_episodes: 0 });
    for await (const _ of client.run(demoRun)) void _;
    const otherRun = await startRun(url, { scenario_name: 'other', num_episodes: 2, eval_episodes: 0 });
    for await (const _ of client.run(otherRun)) void _;
    t.ok(seen.length > 0);
    t.ok(seen.every((e) => e.run_id === otherRun), 'no event of the demo run');
  });

  t.test('ping round-trips and close ends open iterators cleanly', async (t) => {
    const client = new HrlClient({ url });
    const rtt = await client.ping();
    t.ok(rtt >= 0);
    const stream = client.all();
    const ended = (async () => {
      for await (const _ of stream) void _;
      return 'ended';
    })();
    await client.close();
    t.equal(await ended, 'ended');
    t.equal(client.state, 'closed');
    t.throws(() => client.subscribe({}, { onEvent: () => undefined }));
  });

  t.test('a dead peer is detected by the ping timeout and the client reconnects', async (t) => {
    let sockets = 0;
    const { WebSocket } = await import('ws');
    const client = new HrlClient({
      url,
      pingIntervalMs: 50,
      pongTimeoutMs: 100,
      reconnect: { initialDelayMs: 10 },
      webSocket: (u) => {
        sockets++;
        const ws = new WebSocket(u);
        // The first socket goes deaf after the handshake: nothing it receives reaches the client.
        if (sockets === 1) ws.once('message', () => setImmediate(() => ws.removeAllListeners('message')));
        return ws;
      }
    });
    t.teardown(() => client.close());
    const reopened = new Promise((resolve) => client.on('open', (o) => o.reconnected && resolve(o)));
    await client.connect();
    await reopened;
    t.equal(sockets, 2);
  });

  t.test('the REST helper starts, lists and reads runs with typed bodies', async (t) => {
    const rest = new RestClient({ url });
    const started = await rest.startTraining({ scenario_name: 'demo', num_episodes: 2, eval_episodes: 0, seed: 9 });
    t.equal(started.data.scenario_name, 'demo');
    const client = new HrlClient({ url });
    t.teardown(() => client.close());
    for await (const _ of client.run(started.data.run_id)) void _;
    const run = await rest.getRun(started.data.run_id);
    t.equal(run.status, 'completed');
    const history = await rest.runHistory(run.run_id);
    t.equal(history.episodes.length, 2);
    const events = await rest.runEvents(run.run_id, 1);
    t.equal(events.events[0].seq, 2);
    t.equal((await rest.getScenario('demo')).name, 'demo');
    const { scenarios } = await rest.listScenarios();
    t.ok(scenarios.some((s) => s.name === 'demo'), 'the list has the imported scenario');
    const { templates } = await rest.listTemplates();
    const template = templates.find((x) => x.name === 'balanced')!;
    const created = await rest.createScenario({ name: 'from_template', environment: template.environment, training: template.training, reward: template.reward });
    t.equal(created.name, 'from_template');
    t.equal((await rest.deleteScenario('from_template')).name, 'from_template');
    const notFound = await rest.getRun('nope').catch((e: unknown) => e);
    t.ok(notFound instanceof HttpError && notFound.status === 404, '404 as an HttpError');
    const missing = await rest.startTraining({ scenario_name: 'missing' }).catch((e: unknown) => e);
    t.ok(missing instanceof HttpError && missing.status === 404, 'unknown scenario: 404');
  });
});

t.test('backoff grows exponentially, is capped and jittered', async (t) => {
  t.equal(backoffDelay(0, { initialDelayMs: 100, jitter: 0 }), 100);
  t.equal(backoffDelay(3, { initialDelayMs: 100, jitter: 0 }), 800);
  t.equal(backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 5000, jitter: 0 }), 5000);
  t.equal(backoffDelay(2, { initialDelayMs: 100, jitter: 0.5 }, () => 0), 200);
  t.equal(backoffDelay(2, { initialDelayMs: 100, jitter: 0.5 }, () => 1), 400);
});
