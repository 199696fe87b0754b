import { readFileSync } from 'node:fs';
import t from 'tap';
import WebSocket from 'ws';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

type Json = Record<string, any>;

t.test('import a fixture, train 50 episodes while a socket watches, simulate the model, report on it', async (t) => {
  const app = await buildApp(loadConfig({}, { dataDir: t.testdir(), workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0 }));
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const http = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    });
    const buffer = Buffer.from(await res.arrayBuffer());
    const json = res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(buffer.toString('utf8')) as Json) : undefined;
    return { status: res.status, headers: res.headers, buffer, json: json as Json };
  };

  // 1. Import an original scenario file (comments, lambda_).
  const yaml = readFileSync(new URL('../../examples/scenarios/bologna_coppia.yaml', import.meta.url), 'utf8');
  const imported = await http('POST', '/api/scenarios/import?name=bologna', yaml, 'application/yaml');
  t.equal(imported.status, 201, 'scenario imported');
  t.equal(imported.json.environment.max_months, 120);

  // 2. A real WebSocket client subscribes to every run before training starts.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  t.teardown(() => ws.terminate());
  const frames: Json[] = [];
  const waiters: Array<{ test: (f: Json) => boolean; resolve: (f: Json) => void }> = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Json;
    frames.push(frame);
    for (const w of waiters.splice(0)) {
      if (w.test(frame)) w.resolve(frame);
      else waiters.push(w);
    }
  });
  const next = (test: (f: Json) => boolean) =>
    new Promise<Json>((resolve) => {
      const seen = frames.find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });
  await next((f) => f.type === 'connection_established');
  ws.send(JSON.stringify({ type: 'subscribe_training', request_id: 'all' }));
  await next((f) => f.type === 'subscription_confirmed');

  // 3. Train over REST and watch the run to its end.
  const start = await http('POST', '/api/training/start', { scenario_name: 'bologna', num_episodes: 50, seed: 123, eval_episodes: 5, model_name: 'bologna-e2e' });
  t.equal(start.status, 202);
  const runId: string = start.json.data.run_id;
  const completed = await next((f) => f.type === 'training_completed' && f.run_id === runId);
  t.equal(completed.data.episodes_completed, 50);
  t.equal(completed.data.model_name, 'bologna-e2e');
  const runFrames = frames.filter((f) => f.run_id === runId);
  t.equal(runFrames[0]!.type, 'training_started');
  t.ok(runFrames.some((f) => f.type === 'training_progress'), 'progress was streamed');
  t.same(runFrames.map((f) => f.seq), runFrames.map((_, i) => i + 1), 'seq is contiguous from 1');

  // The original kept reporting a finished run as training; here REST is consistent when the event arrives.
  const status = await http('GET', '/api/training/status');
  t.match(status.json, { is_training: false, run_id: runId, status: 'completed', current_episode: 50, total_episodes: 50 });

  // 4. The run saved its model, with its history summary.
  const model = await http('GET', '/api/models/bologna-e2e');
  t.equal(model.status, 200);
  t.match(model.json, { scenario_name: 'bologna', run_id: runId, episodes: 50 });
  t.equal(model.json.training_history.episode_reward.count, 50);
  t.same(model.json.final_metrics, completed.data.final_metrics);

  // 5. Simulate the saved model.
  const sim = await http('POST', '/api/simulation/run', { model_name: 'bologna-e2e', num_episodes: 5, seed: 9 });
  t.equal(sim.status, 201);
  t.ok(sim.json.final_portfolio_mean > 0, 'portfolio value is reported');
  const simulationId: string = sim.json.simulation_id;
  t.equal((await http('GET', '/api/simulation/history')).json.simulations[0].simulation_id, simulationId);

  // 6. Both report types, fetched over HTTP.
  const html = await http('POST', '/api/reports/generate', { simulation_id: simulationId, report_type: 'html', title: 'Bologna e2e' });
  const pdf = await http('POST', '/api/reports/generate', { simulation_id: simulationId, report_type: 'pdf', title: 'Bologna e2e' });
  t.equal(html.status, 201);
  t.equal(pdf.status, 201);
  const htmlFile = await http('GET', html.json.download_url);
  t.equal(htmlFile.headers.get('content-type'), 'text/html; charset=utf-8');
  t.match(htmlFile.headers.get('content-disposition'), /^attachment; filename="rep_.*\.html"$/);
  const page = htmlFile.buffer.toString('utf8');
  t.match(page, '<title>Bologna e2e</title>');
  t.ok((page.match(/<svg /g)?.length ?? 0) >= 4, 'wealth and cash bands, allocation and reward-curve charts (and the running share when futures ran out of cash)');
  const pdfFile = await http('GET', pdf.json.download_url);
  t.equal(pdfFile.headers.get('content-type'), 'application/pdf');
  t.equal(pdfFile.buffer.subarray(0, 5).toString('latin1'), '%PDF-');
  // Opening it with a parser is test/reports' job; here the whole file arrived.
  t.match(pdfFile.buffer.subarray(-8).toString('latin1'), /%%EOF/);
  t.equal(pdfFile.buffer.length, Number(pdfFile.headers.get('content-length') ?? pdfFile.buffer.length));
  const listed = (await http('GET', '/api/reports/list')).json;
  t.same(listed.reports.map((r: Json) => r.report_id).sort(), [html.json.report_id, pdf.json.report_id].sort());
});
