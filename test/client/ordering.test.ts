import t from 'tap';
import { HrlClient, type ResyncInfo, type RunEvent, type WebSocketLike } from '../../src/client/index.js';

/** A scripted server: the test reads what the client sent and pushes frames back. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  readonly sent: Array<Record<string, unknown>> = [];
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  open(): void {
    this.readyState = 1;
    this.push({ type: 'connection_established', message: 'hi', session_id: 's', protocol_version: 1, heartbeat_interval_ms: 30000 });
  }
  push(frame: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ ts: new Date().toISOString(), ...frame }) });
  }
  lastSubscribe(): Record<string, unknown> {
    return this.sent.filter((m) => m.type === 'subscribe_training').at(-1)!;
  }
}

const progress = (runId: string, seq: number): Record<string, unknown> => ({
  type: 'training_progress',
  run_id: runId,
  seq,
  data: { episode: seq, total_episodes: 100, avg_reward: 0, avg_duration: 1, avg_cash: 1, avg_invested: 0, stability: 1, goal_adherence: 0, elapsed_time: 0 }
});

const flush = () => new Promise((r) => setTimeout(r, 5));

function harness(t: { teardown(fn: () => unknown): void }) {
  const sockets: FakeSocket[] = [];
  const client = new HrlClient({
    url: 'http://fake.invalid',
    reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 },
    webSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    }
  });
  t.teardown(() => client.close());
  const socket = async (n: number) => {
    while (sockets.length <= n) await flush();
    return sockets[n];
  };
  return { client, socket };
}

t.test('duplicates and out-of-order frames reach the caller once, in seq order', async (t) => {
  const { client, socket } = harness(t);
  const seen: number[] = [];
  client.subscribe({ run_id: 'r1' }, { onEvent: (ev) => seen.push(ev.seq) });
  const s = await socket(0);
  s.open();
  t.match(s.lastSubscribe(), { run_id: 'r1', since_seq: 0 }, 'a run subscription replays from the start');
  s.push({ type: 'subscription_confirmed', request_id: s.lastSubscribe().request_id, run_id: 'r1', replayed: 0, resumed: true });
  for (const seq of [1, 2, 2, 4, 3, 1, 5]) s.push(progress('r1', seq));
  await flush();
  t.same(seen, [1, 2, 3, 4, 5]);
});

t.test('after a drop the run is resumed from the last delivered seq', async (t) => {
  const { client, socket } = harness(t);
  const seen: number[] = [];
  client.subscribe({ run_id: 'r1' }, { onEvent: (ev) => seen.push(ev.seq) });
  const first = await socket(0);
  first.open();
  for (const seq of [1, 2, 3]) first.push(progress('r1', seq));
  await flush();
  first.close(1006, 'gone');
  const second = await socket(1);
  second.open();
  t.match(second.lastSubscribe(), { run_id: 'r1', since_seq: 3 });
  for (const seq of [3, 4]) second.push(progress('r1', seq));
  await flush();
  t.same(seen, [1, 2, 3, 4]);
});

t.test('resumed: false is reported to the caller and delivery goes on from what the server has', async (t) => {
  const { client, socket } = harness(t);
  const seen: number[] = [];
  const resyncs: ResyncInfo[] = [];
  client.subscribe({ run_id: 'r1' }, { onEvent: (ev) => seen.push(ev.seq), onResync: (info) => resyncs.push(info) });
  const first = await socket(0);
  first.open();
  for (const seq of [1, 2]) first.push(progress('r1', seq));
  await flush();
  first.close(1006, 'gone');
  const second = await socket(1);
  second.open();
  const request = second.lastSubscribe();
  // Live events arrive ahead of the confirmation: held, since seq 3..9 are missing.
  second.push(progress('r1', 10));
  await flush();
  t.same(seen, [1, 2], 'nothing past the gap is delivered before the server answers');
  second.push({ type: 'subscription_confirmed', request_id: request.request_id, run_id: 'r1', replayed: 0, resumed: false });
  second.push(progress('r1', 11));
  await flush();
  t.same(resyncs, [{ run_id: 'r1', resumed: false, last_seq: 2 }]);
  t.same(seen, [1, 2, 10, 11]);
});

t.test('a scenario subscription refills a followed run by id after a reconnect, then drops that filter', async (t) => {
  const { client, socket } = harness(t);
  const seen: RunEvent[] = [];
  client.subscribe({ scenario_name: 'demo' }, { onEvent: (ev) => seen.push(ev) });
  const first = await socket(0);
  first.open();
  first.push({ type: 'training_started', run_id: 'r1', seq: 1, data: { run_id: 'r1', scenario_name: 'demo', num_episodes: 100, start_time: new Date().toISOString(), seed: 1 } });
  first.push(progress('r1', 2));
  await flush();
  first.close(1006, 'gone');
  const second = await socket(1);
  second.open();
  const subs = second.sent.filter((m) => m.type === 'subscribe_training');
  t.match(subs[0], { run_id: 'r1', since_seq: 2 }, 'the run is resumed by id first');
  t.match(subs[1], { scenario_name: 'demo' }, 'then the scenario filter');
  second.push(progress('r1', 5)); // live, via the scenario filter, ahead of the replay
  for (const seq of [3, 4, 5]) second.push(progress('r1', seq));
  second.push({ type: 'training_completed', run_id: 'r1', seq: 6, data: { scenario_name: 'demo', episodes_completed: 100, model_name: 'm', duration_s: 1, final_metrics: {} } });
  await flush();
  t.same(seen.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
  t.match(second.sent.at(-1), { type: 'unsubscribe_training', run_id: 'r1' }, 'the refill filter is dropped once the run ended');
});

t.test('a resume refused as already in progress is asked again, not reported as a failure', async (t) => {
  const { client, socket } = harness(t);
  const errors: unknown[] = [];
  const a: number[] = [];
  const b: number[] = [];
  client.subscribe({ run_id: 'r1' }, { onEvent: (ev) => a.push(ev.seq) });
  const s = await socket(0);
  s.open();
  client.subscribe({ run_id: 'r1' }, { onEvent: (ev) => b.push(ev.seq), onError: (e) => errors.push(e) });
  const second = s.lastSubscribe();
  s.push({ type: 'error', code: 'invalid_request', message: 'a resume of run r1 is already in progress', request_id: second.request_id });
  while (s.lastSubscribe() === second) await flush();
  t.match(s.lastSubscribe(), { run_id: 'r1', since_seq: 0 }, 'the subscription is sent again');
  for (const seq of [1, 2]) s.push(progress('r1', seq));
  await flush();
  t.same(errors, []);
  t.same(a, [1, 2]);
  t.same(b, [1, 2]);
});
