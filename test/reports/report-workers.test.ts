// Reports render in report worker threads (limits issue, item 2): the event loop keeps
// answering while a large report renders, the number of reports in progress is bounded
// (503 with Retry-After past it), and a worker that dies or overruns is replaced.
import t from 'tap';
import { startServer } from '../helpers/app.js';
import { renderReport, type ReportJob } from '../../src/reports/report-job.js';
import { ReportService } from '../../src/reports/report-service.js';
import { ReportWorkers, ServiceBusyError } from '../../src/reports/report-workers.js';
import { ModelService } from '../../src/models/models.js';
import { largeSeries, storeSimulation } from './simulation-fixture.js';

const server = await startServer(t, { reportWorkers: 1, reportQueue: 0, rateLimitPerMinute: 0 });
const largeId = await storeSimulation(server.app, largeSeries(1000, 120), 120);

const generate = async (body: unknown) => {
  const res = await fetch(`${server.url}/api/reports/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, any> };
};

const jobFor = async (simulationId: string, type: 'html' | 'pdf' = 'html'): Promise<ReportJob> => {
  const sim = (await server.app.storage.simulations.getWithResultBytes(simulationId))!;
  return {
    type,
    report_id: 'rep_test_0000000000000000',
    title: 'test',
    generated_at: new Date().toISOString(),
    sections: ['summary', 'charts'],
    simulation_json: sim.result_bytes,
    scenario: { name: sim.scenario_name, description: '', config: sim.config },
    currency: 'EUR',
    training_settings: null,
    baselines: null,
    model: null
  };
};

t.test('the event loop keeps answering /health while a 1000-episode × 120-month report renders', async (t) => {
  let done = false;
  const report = generate({ simulation_id: largeId, report_type: 'pdf' }).finally(() => (done = true));
  let answered = 0;
  while (!done) {
    if ((await fetch(`${server.url}/health`)).status === 200 && !done) answered++;
  }
  const res = await report;
  t.equal(res.status, 201, JSON.stringify(res.body));
  t.ok(answered >= 3, `${answered} health checks answered while the report rendered`);
});

t.test('reports past the configured capacity get 503 with Retry-After and a message; the admitted ones complete', async (t) => {
  const results = await Promise.all(Array.from({ length: 4 }, () => generate({ simulation_id: largeId, report_type: 'html' })));
  const ok = results.filter((r) => r.status === 201);
  const busy = results.filter((r) => r.status === 503);
  t.ok(ok.length >= 1, `${ok.length} admitted`);
  t.ok(busy.length >= 1, `${busy.length} refused`);
  t.equal(ok.length + busy.length, results.length, 'nothing else');
  for (const r of busy) {
    t.equal(r.retryAfter, '5');
    t.match(r.body, { statusCode: 503, code: 'HRL_REPORTS_BUSY', message: /reports are in progress, the most this service takes at once/ });
  }
  t.equal((await generate({ simulation_id: largeId, include_sections: ['summary'] })).status, 201, 'accepted again once the others are done');
});

t.test('admission is counted from the request, not from when rendering starts', async (t) => {
  const release: Array<() => void> = [];
  const renderer = { render: (job: ReportJob) => new Promise<Buffer>((resolve) => release.push(() => resolve(renderReport(job)))) };
  const service = new ReportService({ storage: server.app.storage, models: new ModelService(server.app.storage), dir: server.dataDir, renderer, maxInProgress: 2 });
  const first = service.generate({ simulation_id: largeId, include_sections: ['summary'] });
  const second = service.generate({ simulation_id: largeId, include_sections: ['summary'] });
  const third = await service.generate({ simulation_id: largeId }).catch((e: unknown) => e);
  t.ok(third instanceof ServiceBusyError, 'the third is refused while two are in progress');
  t.equal((third as ServiceBusyError).statusCode, 503);
  while (release.length < 2) await new Promise((r) => setImmediate(r));
  release.splice(0).forEach((go) => go());
  t.match(await Promise.all([first, second]), [{ report_type: 'html' }, { report_type: 'html' }]);
  const fourth = service.generate({ simulation_id: largeId, include_sections: ['summary'] });
  while (release.length < 1) await new Promise((r) => setImmediate(r));
  release.splice(0).forEach((go) => go());
  t.match(await fourth, { report_type: 'html' }, 'room again once they finish');
});

t.test('a report that overruns the timeout fails with 503 naming the timeout', async (t) => {
  const workers = new ReportWorkers({ size: 1, timeoutMs: 1 });
  t.teardown(() => workers.close());
  t.match(await workers.render(await jobFor(largeId, 'pdf')).catch((e: unknown) => e), { statusCode: 503, code: 'HRL_REPORT_TIMEOUT', message: /longer than 1 ms/ });
  const patient = new ReportWorkers({ size: 1, timeoutMs: 0 });
  t.teardown(() => patient.close());
  const bytes = await patient.render(await jobFor(largeId));
  t.match(bytes.toString('utf8', 0, 15), '<!DOCTYPE html>');
});

t.test('a job the worker cannot render fails with 500 and the next one renders', async (t) => {
  const workers = new ReportWorkers({ size: 1, timeoutMs: 0 });
  t.teardown(() => workers.close());
  const broken = { ...(await jobFor(largeId)), simulation_json: Buffer.from('{"not json') };
  t.match(await workers.render(broken).catch((e: unknown) => e), { statusCode: 500, code: 'HRL_REPORT_FAILED', message: /report rendering failed: SyntaxError/ });
  const bytes = await workers.render(await jobFor(largeId, 'pdf'));
  t.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
});

t.test('closing the workers fails waiting and running reports with 503 instead of hanging', async (t) => {
  const workers = new ReportWorkers({ size: 1, timeoutMs: 0 });
  const [runningJob, waitingJob] = [await jobFor(largeId, 'pdf'), await jobFor(largeId, 'pdf')];
  const running = workers.render(runningJob).catch((e: unknown) => e);
  const waiting = workers.render(waitingJob).catch((e: unknown) => e);
  await workers.close();
  t.match(await waiting, { statusCode: 503, code: 'HRL_SHUTTING_DOWN' });
  t.match(await running, { statusCode: 503, code: 'HRL_SHUTTING_DOWN' });
  t.match(await workers.render(await jobFor(largeId)).catch((e: unknown) => e), { statusCode: 503 }, 'a closed pool takes no more');
});
