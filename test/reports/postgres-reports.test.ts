// Reports in a deployment of several processes: with PostgreSQL storage the bytes are
// kept in the database, so a report generated through one gateway is served, retained
// and deleted through any other. Two storages on one database stand for two processes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ModelService } from '../../src/models/models.js';
import { renderReport } from '../../src/reports/report-job.js';
import { ReportService } from '../../src/reports/report-service.js';
import { openPostgresStorage, type Storage } from '../../src/storage/index.js';
import { freshPostgresDatabase, requireServices } from '../helpers/services.js';
import { largeSeries, storeSimulation } from './simulation-fixture.js';

const skip = await requireServices(t, 'postgres');

t.test('report bytes in PostgreSQL: any process serves, retains and deletes any report', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const gateway = async (name: string) => {
    const storage: Storage = await openPostgresStorage(url, { poolSize: 2 });
    t.teardown(() => storage.close());
    const dir = path.join(t.testdir(), name);
    const service = new ReportService({ storage, models: new ModelService(storage), dir, renderer: { render: renderReport }, maxInProgress: 2, keepPerSimulation: 2 });
    return { storage, dir, service };
  };
  const a = await gateway('a');
  const b = await gateway('b');
  const simulationId = await storeSimulation(a, largeSeries(3, 24));

  const first = await a.service.generate({ simulation_id: simulationId, report_type: 'html' });
  const served = await b.service.content(first);
  t.ok(Buffer.isBuffer(served), 'the other process reads the bytes from the database');
  t.equal((served as Buffer).byteLength, first.size_bytes);
  t.match((served as Buffer).toString('utf8'), /^<!doctype html>/i);
  t.notOk(existsSync(a.dir) || existsSync(b.dir), 'no report file on either node');

  const pdf = await b.service.generate({ simulation_id: simulationId, report_type: 'pdf' });
  t.equal(((await a.service.content(pdf)) as Buffer).subarray(0, 5).toString('latin1'), '%PDF-');
  await a.service.generate({ simulation_id: simulationId, report_type: 'html' });
  t.equal(await b.service.content(first), null, 'the oldest went with retention (2 per simulation), bytes and all');

  t.equal(await a.service.delete(pdf.report_id), true);
  t.equal(await b.service.content(pdf), null, 'deleted through one process, gone for every other');
  t.equal(await b.storage.reports.get(pdf.report_id), undefined);
});
