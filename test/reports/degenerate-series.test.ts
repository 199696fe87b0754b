// Regression (limits issue, item 1): a report on a simulation whose series are flat or
// differ by a few floating-point steps made the tick loop spin until the heap ran out.
// Every degenerate shape must give a complete HTML and PDF report, over a real server.
import { PDFParse } from 'pdf-parse';
import t from 'tap';
import { startServer } from '../helpers/app.js';
import { storeSimulation, ulpsAbove } from './simulation-fixture.js';

const server = await startServer(t);

const post = async (body: unknown) => {
  const res = await fetch(`${server.url}/api/reports/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const months = 24;
const shapes: Array<[string, Array<{ cash: number[]; portfolio?: number[] }>]> = [
  ['a near-flat series (values a few ulps apart)', [{ cash: [1000, ...ulpsAbove(1000, months - 1)], portfolio: ulpsAbove(0.1, months) }]],
  ['a near-flat huge series', [{ cash: [1e300, ...ulpsAbove(1e300, months - 1)] }]],
  ['a near-flat subnormal series', [{ cash: [5e-324, ...ulpsAbove(5e-324, months - 1)] }]],
  ['a flat series', [{ cash: Array(months).fill(1234.5) }]],
  ['a flat zero series', [{ cash: Array(months).fill(0) }]],
  ['values at the ends of the double range', [{ cash: Array.from({ length: months }, (_, i) => (i % 2 ? Number.MAX_VALUE : -Number.MAX_VALUE)) }]],
  ['non-finite values (stored as null)', [{ cash: Array.from({ length: months }, (_, i) => [NaN, Infinity, -Infinity, 1][i % 4]!) }]],
  ['episodes of zero months', [{ cash: [] }, { cash: [] }]]
];

for (const [what, series] of shapes) {
  t.test(`a report on ${what} completes in both formats`, async (t) => {
    const simulationId = await storeSimulation(server.app, series);
    for (const report_type of ['html', 'pdf'] as const) {
      const res = await post({ simulation_id: simulationId, report_type });
      t.equal(res.status, 201, `${report_type}: ${JSON.stringify(res.body)}`);
      const file = await fetch(`${server.url}${res.body.download_url}`);
      const bytes = Buffer.from(await file.arrayBuffer());
      if (report_type === 'html') {
        const html = bytes.toString('utf8');
        t.ok((html.match(/<svg /g)?.length ?? 0) >= 3, 'wealth and cash bands and allocation charts');
        t.notMatch(html, /NaN|Infinity/, 'no non-finite coordinate or label');
      } else {
        t.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
        const parser = new PDFParse({ data: bytes });
        t.teardown(() => parser.destroy());
        const text = (await parser.getText()).text;
        t.match(text, 'Total wealth (cash + portfolio) over all simulated futures', 'the wealth chart is drawn');
        t.match(text, 'Allocation chosen each month', 'the allocation chart is drawn');
      }
    }
    const health = await fetch(`${server.url}/health`);
    t.equal(health.status, 200, 'the service still answers');
  });
}
