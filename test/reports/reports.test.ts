import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ModelService } from '../../src/models/models.js';
import { renderReport } from '../../src/reports/report-job.js';
import { ReportService } from '../../src/reports/report-service.js';
import { seedTrainedModel } from '../models/seed.js';

const dataDir = t.testdir();
// Room for the eight concurrent reports below (the default admits 1 rendering + 4 waiting).
const app = await buildApp(loadConfig({}, { dataDir, workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, rateLimitPerMinute: 0, reportQueue: 16 }));
t.teardown(() => app.close());
const reportsDir = path.join(dataDir, 'reports');

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await app.inject({ method, url, payload: payload as object | undefined });
  return { status: res.statusCode, body: String(res.headers['content-type'] ?? '').startsWith('application/json') ? (res.json() as Json) : ({} as Json), raw: res.rawPayload, headers: res.headers };
};
const generate = (body: Json) => req('POST', '/api/reports/generate', body);

const XSS = '<script>alert("stored xss")</script>';
await seedTrainedModel(app, { scenario: 'evil', model: 'evil-model', episodes: 30, description: `Nice plan ${XSS} <img src=x onerror=alert(1)>` });
const sim = await req('POST', '/api/simulation/run', { model_name: 'evil-model', num_episodes: 3, seed: 4 });
const simulationId: string = sim.body.simulation_id;

const pdfText = async (data: Buffer) => {
  const parser = new PDFParse({ data });
  try {
    const info = await parser.getInfo();
    const text = await parser.getText();
    return { pages: info.total, text: text.text };
  } finally {
    await parser.destroy();
  }
};

t.test('HTML', async (t) => {
  t.test('generates a self-contained HTML report with every section and real charts', async (t) => {
    const res = await generate({ simulation_id: simulationId, report_type: 'html' });
    t.equal(res.status, 201);
    t.match(res.body, { simulation_id: simulationId, report_type: 'html', sections: ['summary', 'scenario', 'training', 'results', 'charts', 'strategy'] });
    t.match(res.body.report_id, /^rep_[a-z0-9]+_[0-9a-f]{16}$/);
    t.ok(res.body.file_size_kb > 0);
    t.equal(res.body.download_url, `/api/reports/${res.body.report_id}`);

    const file = await req('GET', res.body.download_url);
    t.equal(file.status, 200);
    t.equal(file.headers['content-type'], 'text/html; charset=utf-8');
    t.equal(file.headers['content-disposition'], `attachment; filename="${res.body.report_id}.html"`);
    const html = file.raw.toString('utf8');
    t.ok(Math.abs(file.raw.length / 1024 - res.body.file_size_kb) < 0.01, 'metadata size matches the file');
    for (const id of ['summary', 'scenario', 'training', 'results', 'charts', 'strategy']) t.match(html, `<section id="${id}">`);
    t.ok((html.match(/<svg /g)?.length ?? 0) >= 4, 'wealth and cash bands, allocation and training reward charts');
    for (const title of ['Total wealth (cash + portfolio) over all simulated futures', 'Cash over all simulated futures', 'Allocation chosen each month', 'Training reward curve']) t.match(html, title);
    t.match(html, '<section id="glossary">', 'the glossary closes the report');
    t.match(html, 'amounts in EUR (€)', "the scenario's currency (EUR by default)");
    t.match(html, /<polyline fill="none" stroke="#9467bd"[^>]* points="[\d., ]{20,}"/, 'the wealth chart has data points');
    t.notMatch(html, /<script|src="http|href="http|<link /i, 'no script and no external resource');
  });

  t.test('escapes every user-supplied string (the original stored XSS)', async (t) => {
    const res = await generate({ simulation_id: simulationId, report_type: 'html', title: '<img src=x onerror=alert(2)> & "report"' });
    const html = (await req('GET', res.body.download_url)).raw.toString('utf8');
    t.notMatch(html, /<script/i);
    t.notMatch(html, /<img/i);
    t.match(html, '&lt;script&gt;alert(&quot;stored xss&quot;)&lt;/script&gt;');
    t.match(html, '<title>&lt;img src=x onerror=alert(2)&gt; &amp; &quot;report&quot;</title>');
    t.equal(res.body.title, '<img src=x onerror=alert(2)> & "report"', 'the metadata keeps the title as given');
  });

  t.test('includes only the selected sections, in the report order', async (t) => {
    const res = await generate({ simulation_id: simulationId, include_sections: ['strategy', 'summary'] });
    t.same(res.body.sections, ['summary', 'strategy']);
    t.equal(res.body.report_type, 'html', 'html is the default type');
    const html = (await req('GET', res.body.download_url)).raw.toString('utf8');
    t.match(html, '<section id="summary">');
    t.match(html, '<section id="strategy">');
    t.notMatch(html, /<section id="(scenario|training|results|charts)">/);
    const all = await generate({ simulation_id: simulationId, include_sections: [] });
    t.equal(all.body.sections.length, 6, 'an empty list means every section');
  });
});

t.test('PDF', async (t) => {
  t.test('generates a valid PDF that a parser opens, with the sections and the title', async (t) => {
    const res = await generate({ simulation_id: simulationId, report_type: 'pdf', title: 'Quarterly <b>plan</b>' });
    t.equal(res.status, 201);
    const file = await req('GET', res.body.download_url);
    t.equal(file.headers['content-type'], 'application/pdf');
    t.equal(file.headers['content-disposition'], `attachment; filename="${res.body.report_id}.pdf"`);
    t.equal(file.raw.subarray(0, 5).toString('latin1'), '%PDF-');
    t.match(file.raw.subarray(-8).toString('latin1'), /%%EOF/);
    const { pages, text } = await pdfText(file.raw);
    t.ok(pages >= 2, `${pages} pages`);
    t.match(text, 'Quarterly <b>plan</b>');
    for (const heading of ['Summary', 'What to change', 'Scenario: evil', 'Environment', 'Training', 'Final metrics', 'Training history', 'Results', 'Running out of cash', 'Your plan vs the best fixed split vs the best rule', 'Episodes', 'Charts', 'Total wealth (cash + portfolio) over all simulated futures', 'Allocation chosen each month', 'Training reward curve', 'Strategy', 'Glossary']) {
      t.match(text, heading, heading);
    }
    t.match(text, '<script>alert("stored xss")</script>', 'user text is shown as text');
    t.match(text, simulationId);
  });

  t.test('a PDF with selected sections has only those', async (t) => {
    const res = await generate({ simulation_id: simulationId, report_type: 'pdf', include_sections: ['results'] });
    const { text } = await pdfText((await req('GET', res.body.download_url)).raw);
    t.match(text, 'Results');
    t.notMatch(text, 'Strategy');
    t.notMatch(text, 'Training reward curve');
  });
});

t.test('the stored baselines, settings and currency reach the report (never recomputed)', async (t) => {
  const seeded = await seedTrainedModel(app, { scenario: 'dollars', model: 'dollars-model', episodes: 20 });
  const scenario = (await app.storage.scenarios.get('dollars'))!;
  await app.storage.scenarios.update('dollars', { ...scenario, currency: 'USD' });
  const simulation = await req('POST', '/api/simulation/run', { model_name: 'dollars-model', num_episodes: 4, seed: 2 });
  const html = async () => (await req('GET', (await generate({ simulation_id: simulation.body.simulation_id })).body.download_url)).raw.toString('utf8');

  const before = await html();
  t.match(before, 'This model has no stored comparison with the best fixed split', 'the absent sentence for a run without baselines');
  t.match(before, 'amounts in USD ($)');
  t.notMatch(before, '€', 'every amount in dollars');

  const baselines = {
    episodes: 128,
    learned_mean: 41.5,
    best_constant: { allocation: [0.3, 0.5, 0.2], mean: 39.25 },
    best_rule: { name: 'fifty_thirty_twenty', params: {}, mean: 44.75 },
    diff_constant: { mean: 2.25, ci95: [1.5, 3] as [number, number] },
    diff_rule: { mean: -3.25, ci95: [-4, -2.5] as [number, number] }
  };
  await app.storage.runs.update(seeded.runId, { baselines, training_settings: { auto: true, num_episodes: 20, episodes_explicit: true } });
  const after = await html();
  t.match(after, 'over 128 simulated futures that training never saw');
  t.match(after, 'Best rule of thumb: 50/30/20');
  t.match(after, '<td data-label="your plan minus it" class="num">-3.25</td>', 'the stored difference, as stored');
  t.match(after, 'trained 20 episodes (the count asked for with the run)');
});

t.test('list and metadata', async (t) => {
  t.test('lists reports newest first and serves their metadata', async (t) => {
    const latest = await generate({ simulation_id: simulationId, title: 'latest' });
    const list = await req('GET', '/api/reports/list');
    t.equal(list.status, 200);
    t.equal(list.body.total, list.body.reports.length);
    t.same(list.body.reports[0], latest.body);
    const times = list.body.reports.map((r: Json) => r.generated_at);
    t.same([...times].sort().reverse(), times);
    const meta = await req('GET', `/api/reports/${latest.body.report_id}/metadata`);
    t.same(meta.body, latest.body);
    t.equal((await req('GET', `/api/reports/list?simulation_id=sim_zzz_0000000000000000`)).body.total, 0);
  });

  t.test('gives concurrent reports distinct ids and files', async (t) => {
    const results = await Promise.all(Array.from({ length: 8 }, () => generate({ simulation_id: simulationId, include_sections: ['summary'] })));
    t.equal(new Set(results.map((r) => r.body.report_id)).size, 8);
    const files = await readdir(reportsDir);
    for (const r of results) t.ok(files.includes(`${r.body.report_id}.html`));
  });

  t.test('answers 404 for an unknown report and 400 for a malformed id', async (t) => {
    t.equal((await req('GET', '/api/reports/rep_abc_0123456789abcdef')).status, 404);
    t.equal((await req('GET', '/api/reports/rep_abc_0123456789abcdef/metadata')).status, 404);
    t.equal((await req('GET', '/api/reports/..%2Fetc')).status, 400);
  });
});

t.test('validation', async (t) => {
  const cases: Array<[string, Json, number, RegExp]> = [
    ['an unknown simulation', { simulation_id: 'sim_abc_0123456789abcdef' }, 404, /simulation "sim_abc_0123456789abcdef" not found/],
    ['a missing simulation_id', {}, 400, /body\/simulation_id is required/],
    ['an unknown report type', { simulation_id: 'sim_abc_0123456789abcdef', report_type: 'docx' }, 400, /body\/report_type/],
    ['an unknown section', { simulation_id: 'sim_abc_0123456789abcdef', include_sections: ['appendix'] }, 400, /body\/include_sections\/0/],
    ['a repeated section', { simulation_id: 'sim_abc_0123456789abcdef', include_sections: ['summary', 'summary'] }, 400, /body\/include_sections/],
    ['an empty title', { simulation_id: 'sim_abc_0123456789abcdef', title: '' }, 400, /body\/title/],
    ['an unknown field', { simulation_id: 'sim_abc_0123456789abcdef', format: 'pdf' }, 400, /unknown field 'format'/]
  ];
  for (const [what, body, status, message] of cases) {
    t.test(`answers ${status} for ${what}`, async (t) => {
      const res = await generate(body);
      t.equal(res.status, status);
      t.match(res.body.message, message);
    });
  }
});

t.test('failures leave nothing behind', async (t) => {
  const before = (await readdir(reportsDir)).sort();
  const listed = (await req('GET', '/api/reports/list')).body.total;

  t.test('a renderer that fails leaves no file and no record', async (t) => {
    const service = new ReportService({
      storage: app.storage,
      models: new ModelService(app.storage),
      dir: reportsDir,
      renderer: {
        render: async () => {
          throw new Error('PDF library exploded');
        }
      },
      maxInProgress: 1
    });
    await t.rejects(service.generate({ simulation_id: simulationId, report_type: 'pdf' }), /exploded/);
    t.same((await readdir(reportsDir)).sort(), before);
    t.equal((await req('GET', '/api/reports/list')).body.total, listed);
  });

  t.test('a record that cannot be stored removes the written file', async (t) => {
    const storage = { ...app.storage, reports: { ...app.storage.reports, insert: async () => Promise.reject(new Error('disk full')) } };
    const service = new ReportService({ storage, models: new ModelService(app.storage), dir: reportsDir, renderer: { render: renderReport }, maxInProgress: 1 });
    await t.rejects(service.generate({ simulation_id: simulationId, report_type: 'html' }), /disk full/);
    t.same((await readdir(reportsDir)).sort(), before, 'neither the temporary nor the final file remains');
    t.equal((await req('GET', '/api/reports/list')).body.total, listed);
  });
});
