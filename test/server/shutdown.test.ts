import t from 'tap';
import { fixture } from '../helpers/app.js';
import { postJson, spawnServer } from '../helpers/spawn-server.js';
import { TestClient } from '../helpers/ws-client.js';

t.test('SIGTERM during two active runs: both end with training_stopped and save models, sockets close with 1001, exit code 0', async (t) => {
  const dataDir = t.testdir();
  const server = await spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '2' });
  for (const [name, file] of [['a', 'balanced'], ['b', 'bologna_coppia']]) {
    const res = await fetch(`${server.url}/api/scenarios/import?name=${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: fixture(file)
    });
    t.equal(res.status, 201);
  }
  const client = await TestClient.connect(server.wsUrl);
  await client.subscribe();
  const runIds: string[] = [];
  for (const scenario of ['a', 'b']) {
    const started = await postJson(`${server.url}/api/training/start`, { scenario_name: scenario, num_episodes: 100_000 });
    runIds.push(started.body.data.run_id);
  }
  for (const id of runIds) await client.next((f) => f.run_id === id && f.type === 'training_progress');

  server.child.kill('SIGTERM');
  const stopped = await Promise.all(runIds.map((id) => client.terminal(id)));
  const closed = await client.closed;
  const exit = await server.exited;
  for (const event of stopped) t.match(event, { type: 'training_stopped', data: { model_name: String, reason: 'shutdown' } });
  t.equal(closed.code, 1001, 'the socket closed with 1001 after the terminal events');
  t.same(exit, { code: 0, signal: null });

  // The models were saved and the runs are stored as stopped.
  const again = await spawnServer(t, { HRL_DATA_DIR: dataDir, HRL_WORKERS: '1' });
  for (const [i, id] of runIds.entries()) {
    const run = (await (await fetch(`${again.url}/api/training/runs/${id}`)).json()) as { episodes_completed: number };
    t.match(run, { status: 'stopped', model_name: stopped[i].data.model_name });
    t.equal(run.episodes_completed, stopped[i].data.episodes_completed);
  }
  const models = await (await fetch(`${again.url}/api/models`)).json();
  const names = JSON.stringify(models);
  for (const event of stopped) t.ok(names.includes(event.data.model_name), `${event.data.model_name} is listed`);
});

t.test('a second signal during shutdown forces the exit', async (t) => {
  const server = await spawnServer(t, { HRL_DATA_DIR: t.testdir(), HRL_SHUTDOWN_MS: '60000' });
  const client = await TestClient.connect(server.wsUrl);
  // A client that never completes the close handshake keeps a graceful close waiting.
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  server.child.kill('SIGTERM');
  server.child.kill('SIGINT');
  const exit = await server.exited;
  t.equal(exit.code, 1);
  client.ws.terminate();
});
