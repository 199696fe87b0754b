// What a person reads in a report, checked on a hand-built simulation whose figures are
// known: failure share and months, percentile bands over ALL futures (an ended one keeps its
// final values), currency, magnitudes, the baseline section (present and absent), section
// order, and real Unicode in the PDF. The renderers run here in the test process (so their
// coverage counts); the PNG renders of both formats go to test/artifacts/ for a human look.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFParse } from 'pdf-parse';
import { chromium } from 'playwright-core';
import t from 'tap';
import type { Baselines } from '../../src/contracts/events.js';
import type { SimulationResult } from '../../src/contracts/simulation.js';
import { normalizeScenarioConfig } from '../../src/hrl/index.js';
import { formatNumber, money } from '../../src/reports/format.js';
import { renderHtml } from '../../src/reports/html.js';
import { summariseMonths } from '../../src/reports/monthly-series.js';
import { outcomes } from '../../src/reports/outcomes.js';
import { renderPdf } from '../../src/reports/pdf.js';
import { BASELINES_ABSENT } from '../../src/reports/reading.js';
import { prepareReport, type ReportData } from '../../src/reports/report-data.js';
import { buildSimulation } from './simulation-fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const CHROMIUM = '/usr/bin/chromium';
const HORIZON = 24;

/**
 * Ten futures of 24 months, portfolio 0: six keep a constant cash of 1,000 … 6,000 to the end;
 * four run out of cash in months 3, 5, 5 and 14, holding 500 until their last month, which
 * ends at −10, −20, −30, −40. Month 24 over all ten: [−40, −30, −20, −10, 1000 … 6000], so
 * P10 = −31, median = 1,500, P90 = 5,100 (numpy's linear interpolation); the survivors alone
 * would show a mean of 3,500.
 */
function handBuilt(): SimulationResult {
  const survivors = [1000, 2000, 3000, 4000, 5000, 6000].map((c) => Array(HORIZON).fill(c) as number[]);
  const broke = [3, 5, 5, 14].map((months, i) => [...Array(months - 1).fill(500), -10 * (i + 1)] as number[]);
  return buildSimulation(
    [...broke, ...survivors].map((cash) => ({ cash, actions: cash.map(() => [0.1, 0.3, 0.6]) })),
    { simulation_id: 'sim_hand_0000000000000001', scenario_name: 'bologna', model_name: 'bologna-model', timestamp: '2026-12-01T22:00:00.000Z' }
  );
}

const BASELINES: Baselines = {
  episodes: 200,
  learned_mean: 812.4,
  best_constant: { allocation: [0.25, 0.45, 0.3], mean: 790.1 },
  best_rule: { name: 'emergency_fund_first', params: { k: 1.5 }, mean: 830.7 },
  diff_constant: { mean: 22.3, ci95: [15.2, 29.4] },
  diff_rule: { mean: -18.3, ci95: [-25.1, -11.5] }
};

const config = normalizeScenarioConfig({
  environment: { income: 2400, fixed_expenses: 1500, variable_expense_mean: 700, variable_expense_std: 150, safety_threshold: 1200, max_months: HORIZON, initial_cash: 0 }
});

function data(overrides: Partial<ReportData> = {}): ReportData {
  return {
    report_id: 'rep_hand_0000000000000001',
    title: 'Piano “famiglia” — Bologna, città e caffè',
    generated_at: '2026-12-01T22:00:00.000Z',
    sections: ['summary', 'scenario', 'training', 'results', 'charts', 'strategy'],
    simulation: handBuilt(),
    scenario: { name: 'bologna', description: 'Una coppia a Bologna: l’affitto è alto, ‘risparmi’ modesti. Crème brûlée, Ærø, Łódź.', config },
    currency: 'EUR',
    training_settings: { auto: true, num_episodes: 2917, episodes_explicit: false, gamma_low: 0.979, high_period: 6 },
    baselines: BASELINES,
    model: {
      summary: {
        name: 'bologna-model',
        scenario_name: 'bologna',
        run_id: 'run_hand',
        size_mb: 0.05,
        trained_at: '2026-12-01T21:00:00.000Z',
        episodes: 2917,
        final_reward: 1e-5,
        avg_reward: 0.00002,
        max_reward: 12,
        final_duration: 20,
        final_cash: 100,
        final_invested: 0
      },
      final_metrics: { avg_reward: 0.00002, avg_cash: 1234.5, stability: 0.8, goal_adherence: 0.000004, eval_episodes: 0, eval_reward_mean: null, baselines: BASELINES },
      training_history: { episode_reward: { count: 2917, first: -5, last: 1e-5, mean: 2.5, min: -5, max: 12 } },
      reward_curve: Float64Array.from({ length: 100 }, (_, i) => i)
    },
    ...overrides
  };
}

const pdfText = async (bytes: Buffer) => {
  const parser = new PDFParse({ data: bytes });
  try {
    const info = await parser.getInfo();
    return { pages: info.total, text: (await parser.getText()).text };
  } finally {
    await parser.destroy();
  }
};

t.test('failure share, months and bands over all futures on the hand-built simulation', async (t) => {
  const sim = handBuilt();
  const monthly = summariseMonths(sim.episodes, HORIZON);
  const o = outcomes(sim.episodes, monthly, HORIZON);
  t.equal(o.broke, 4);
  t.equal(o.brokeShare, 0.4);
  t.same(o.brokeMonths, { first: 3, median: 5, last: 14 });
  t.same(o.brokeByYear, [{ year: 1, count: 3 }, { year: 2, count: 1 }]);
  t.equal(o.runningPct[3], 90, 'month 4: nine of ten still running');
  t.equal(o.runningPct[5], 70, 'month 6: seven');
  t.equal(o.runningPct[14], 60, 'month 15: the six survivors');
  const end = o.bandsAt[o.bandsAt.length - 1]!;
  t.equal(end.month, HORIZON);
  t.same(end.wealth, { p10: -31, p50: 1500, p90: 5100 }, 'ended futures count with their final values');
  t.same(end.cash, end.wealth, 'no portfolio: cash is wealth');
  t.same(o.bandsAt.map((b) => b.month), [12, 24], 'year ends and the horizon');
  // Month 12: the three year-1 failures carry −10, −20, −30; the fourth still holds 500.
  t.same(o.bandsAt[0]!.wealth, { p10: -21, p50: 1500, p90: 5100 }, '[−30, −20, −10, 500, 1000 … 6000]: P10 = −30 + 0.9 × 10');
  // Every future ended early: the bands still reach the horizon.
  const allBroke = summariseMonths([{ cash_history: [5, -1], portfolio_history: [0, 0], invested_history: [0, 0], actions: [[0, 1, 0], [0, 1, 0]] }], HORIZON);
  t.equal(allBroke.months, HORIZON);
  t.equal(allBroke.bands.cash.p50[HORIZON - 1], -1);
});

t.test('numbers by magnitude and money with its currency', async (t) => {
  t.equal(formatNumber(1e-5), '1e-5');
  t.equal(formatNumber(-2.5e-4), '-2.5e-4');
  t.equal(formatNumber(0.0123), '0.0123');
  t.equal(formatNumber(12.345), '12.35');
  t.equal(formatNumber(1234567.8), '1,234,568');
  t.equal(formatNumber(3e20), '3e20');
  t.equal(formatNumber(0), '0');
  t.equal(formatNumber(NaN), '–');
  const eur = money('EUR');
  t.equal(eur.format(1234.5), '€1,235');
  t.equal(eur.format(12.5), '€12.50');
  t.equal(eur.format(-0.00001), '-€1e-5');
  t.equal(eur.format(2e18), '€2e18');
  t.equal(money('USD').format(99.5), '$99.50');
  t.equal(money('JPY').format(1200), '¥1,200');
  t.match(money('CHF').format(10), /^CHF\s10\.00$/);
});

t.test('the HTML report, rendered in this process', async (t) => {
  const html = renderHtml(prepareReport(data()));
  const ids = [...html.matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1]);
  t.same(ids, ['summary', 'scenario', 'training', 'results', 'charts', 'strategy', 'glossary'], 'section order, glossary last');
  t.match(html, '4 of 10 (40%)', 'the share that ran out of cash is up front');
  t.match(html, 'the first in month 3, the median in month 5, the last in month 14');
  t.match(html, '<td data-label="wealth P10" class="num">-€31.00</td><td data-label="wealth median" class="num">€1,500</td><td data-label="wealth P90" class="num">€5,100</td>', 'the month-24 bands');
  t.match(html, 'counts from then on with the values it ended with', 'the treatment of ended futures is stated');
  t.notMatch(html, /mean over episodes\)/, 'no chart averages only the survivors');
  t.match(html, 'Simulated futures that still have cash');
  t.match(html, /Your plan vs the best fixed split vs the best rule/);
  t.match(html, 'Best rule of thumb: emergency fund first');
  t.match(html, '€1,800', 'the rule target in money: 1.5 × €1,200');
  t.match(html, '<td data-label="your plan is" class="num">worse</td>');
  t.match(html, '<td data-label="your plan is" class="num">better</td>');
  t.match(html, 'scored measurably higher than the learned plan', 'the advice says to prefer the better rule');
  t.match(html, 'Raise the consume share to at least', 'advice from the figures: consumption below the expected expenses');
  t.match(html, 'trained 2,917 episodes (the budget training.auto chose for this horizon)', 'the episodes actually trained');
  t.match(html, 'The scenario&#39;s default of 1,000 episodes was not what this model trained.');
  t.match(html, '<dt>λ (lambda) = 1</dt>', 'the glossary explains each weight');
  t.match(html, '1e-5', 'a tiny value in exponent form');
  t.notMatch(html, /\b0\.0000/, 'never 0.0000');
  t.match(html, 'amounts in EUR (€)');
  t.notMatch(html, /<script|src="http|href="http|<link /i);

  const absent = renderHtml(prepareReport(data({ baselines: null })));
  t.match(absent, BASELINES_ABSENT.replace(/'/g, '&#39;'), 'the absent sentence when the run has no baselines');
  t.notMatch(absent, 'Best rule of thumb');
  const dollars = renderHtml(prepareReport(data({ currency: 'USD' })));
  t.match(dollars, '$1,500');
  t.notMatch(dollars, '€');
});

t.test('the PDF report, rendered in this process: real Unicode text, sections in order', async (t) => {
  const bytes = await renderPdf(prepareReport(data()));
  const { pages, text } = await pdfText(bytes);
  t.ok(pages >= 3, `${pages} pages`);
  for (const s of ['€1,500', '-€31.00', 'Piano “famiglia” — Bologna, città e caffè', 'l’affitto è alto, ‘risparmi’', 'Crème brûlée, Ærø, Łódź', 'λ (lambda) = 1', 'μ (mu) = 0.5']) {
    t.ok(text.includes(s), `the PDF text has ${JSON.stringify(s)}`);
  }
  t.notMatch(text, /\?{2,}|Bologna, citt\?/, 'no character replaced by "?"');
  const order = ['Summary', 'What to change', 'Scenario: bologna', 'Training', 'Settings used', 'Results', 'Running out of cash', 'Wealth and cash over all futures', 'Your plan vs the best fixed split vs the best rule', 'Episodes', 'Charts', 'Strategy', 'Glossary'];
  const at = order.map((h) => text.indexOf(h));
  t.ok(at.every((i) => i >= 0), `every heading is there: ${order.filter((_, i) => at[i]! < 0).join(', ')}`);
  t.same([...at].sort((a, b) => a - b), at, 'headings in the report order');
  t.match(text, 'Best rule of thumb: emergency fund first');
  const absent = (await pdfText(await renderPdf(prepareReport(data({ baselines: null }))))).text;
  t.ok(absent.replace(/\s+/g, ' ').includes(BASELINES_ABSENT), 'the absent sentence');

  // The visual check: PNGs of both formats for a human to look at.
  await mkdir(ARTIFACTS, { recursive: true });
  const pdfPath = path.join(ARTIFACTS, 'report-hand-built.pdf');
  await writeFile(pdfPath, bytes);
  let pdftoppm = true;
  try {
    execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
  } catch {
    pdftoppm = false;
  }
  t.test('PDF pages as PNG (pdftoppm)', { skip: pdftoppm ? false : 'pdftoppm is missing (apt-get install poppler-utils)' }, async (t) => {
    for (const f of await readdir(ARTIFACTS)) if (f.startsWith('report-pdf-page')) await rm(path.join(ARTIFACTS, f));
    execFileSync('pdftoppm', ['-png', '-r', '70', pdfPath, path.join(ARTIFACTS, 'report-pdf-page')]);
    const pngs = (await readdir(ARTIFACTS)).filter((f) => f.startsWith('report-pdf-page') && f.endsWith('.png'));
    t.equal(pngs.length, pages, 'one PNG per page');
  });
});

t.test('the HTML report in Chromium: desktop and phone width, no sideways scroll, CSP intact', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)` }, async (t) => {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const f of await readdir(ARTIFACTS)) if (f.startsWith('report-html-')) await rm(path.join(ARTIFACTS, f));
  const htmlPath = path.join(ARTIFACTS, 'report-hand-built.html');
  await writeFile(htmlPath, renderHtml(prepareReport(data())));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  t.teardown(() => browser.close());
  for (const [name, width] of [['desktop', 1280], ['phone', 375]] as const) {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    const violations: string[] = [];
    page.on('console', (m) => m.type() === 'error' && violations.push(m.text()));
    await page.goto(`file://${htmlPath}`);
    // Expressions as strings: they run in the page, whose DOM types this project does not load.
    const { scrollWidth, innerWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })')) as {
      scrollWidth: number;
      innerWidth: number;
    };
    t.ok(scrollWidth <= innerWidth, `${name}: page ${scrollWidth} px wide in a ${innerWidth} px window`);
    const wideBoxes = (await page.evaluate(
      `[...document.querySelectorAll('table, figure, svg, p, dl, li')].filter((el) => el.getBoundingClientRect().right > ${innerWidth} + 0.5).map((el) => el.tagName)`
    )) as string[];
    t.same(wideBoxes, [], `${name}: no table, chart or text sticks out of the window`);
    t.same(violations, [], `${name}: nothing blocked or failing`);
    await page.screenshot({ path: path.join(ARTIFACTS, `report-html-${name}.png`), fullPage: true });
    // The full phone page is too tall to look at in one image: screens of it, top to bottom.
    const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
    for (let y = 0, i = 1; y < height && i <= 20; y += 1200, i++) {
      await page.screenshot({ path: path.join(ARTIFACTS, `report-html-${name}-screen-${String(i).padStart(2, '0')}.png`), fullPage: true, clip: { x: 0, y, width, height: Math.min(1200, height - y) } });
    }
    await page.close();
  }
});
