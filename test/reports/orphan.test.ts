// A simulation deleted while its report renders leaves no report behind (limits issue,
// item 8: deletes and retention): no record, no file, and the report request fails with a
// 404 that says why. Real report workers render a large simulation; the DELETE goes over HTTP.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { ModelService } from '../../src/models/models.js';
import type { ReportJob } from '../../src/reports/report-job.js';
import { ReportService } from '../../src/reports/report-service.js';
import { ReportWorkers } from '../../src/reports/report-workers.js';
import { startServer } from '../helpers/app.js';
import { largeSeries, storeSimulation } from './simulation-fixture.js';

const server = await startServer(t, { rateLimitPerMinute: 0 });
const reportsDir = path.join(server.dataDir, 'reports');
const series = largeSeries(1000, 120);

const deleteSimulation = async (id: string) => (await fetch(`${server.url}/api/simulation/results/${id}`, { method: 'DELETE' })).status;
const filesLeft = async () => (await readdir(reportsDir).catch(() => [] as string[])).filter((f) => !f.startsWith('.nfs'));
const reportsOf = async (id: string) => (await server.app.storage.reports.list({ limit: 10, offset: 0, simulation_id: id })).total;

t.test('a DELETE while the report renders: the report fails with 404 and leaves no record and no file', async (t) => {
  const workers = new ReportWorkers({ size: 1, timeoutMs: 0 });
  t.teardown(() => workers.close());
  let rendering = false;
  let startedRendering!: () => void;
  const started = new Promise<void>((resolve) => (startedRendering = resolve));
  // The real renderer, watched: we learn when the job reached the worker and when it came back.
  const renderer = {
    render: (job: ReportJob) => {
      rendering = true;
      startedRendering();
      return workers.render(job).finally(() => (rendering = false));
    }
  };
  const service = new ReportService({ storage: server.app.storage, models: new ModelService(server.app.storage), dir: reportsDir, renderer, maxInProgress: 1 });
  const simulationId = await storeSimulation(server.app, series, 120);

  const report = service.generate({ simulation_id: simulationId, report_type: 'pdf' });
  report.catch(() => {}); // awaited below
  await started;
  t.equal(await deleteSimulation(simulationId), 200, 'the simulation is deleted');
  t.ok(rendering, 'the DELETE was answered while the report was still rendering');

  await t.rejects(report, { statusCode: 404, code: 'HRL_NOT_FOUND', message: /was deleted while its report was generated; no report was kept/ });
  t.equal(await reportsOf(simulationId), 0, 'no report record');
  t.same(await filesLeft(), [], 'no report file, not even a temporary one');
});

t.test('over HTTP, whenever the DELETE lands, no report outlives its simulation', async (t) => {
  for (const delayMs of [0, 100, 400]) {
    const simulationId = await storeSimulation(server.app, series, 120);
    const generated = fetch(`${server.url}/api/reports/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ simulation_id: simulationId, report_type: 'pdf' })
    });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    t.equal(await deleteSimulation(simulationId), 200);
    const res = await generated;
    const body = (await res.json()) as { report_id?: string; message?: string };
    // Before the render: plain 404; during it: 404 saying so; after it: 201, and the delete took the report.
    t.ok(res.status === 404 || res.status === 201, `delay ${delayMs} ms: ${res.status} ${body.message ?? ''}`);
    if (res.status === 201) t.equal((await fetch(`${server.url}/api/reports/${body.report_id}`)).status, 404, 'the delete removed the finished report');
    t.equal(await reportsOf(simulationId), 0, `delay ${delayMs} ms: no report record`);
    t.same(await filesLeft(), [], `delay ${delayMs} ms: no report file`);
  }
});
