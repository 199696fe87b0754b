import PDFDocument from 'pdfkit';
import { layoutChart, type ChartGeometry } from './charts.js';
import { fmt, MAX_EPISODE_ROWS, type PreparedReport } from './report-data.js';

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';

/**
 * The standard PDF fonts cover WinAnsi only; characters outside it would come out as
 * garbage, so they are replaced (user text is data here, never markup, so nothing to escape).
 */
const pdfText = (s: unknown): string => String(s).replace(/[^\x20-\x7e\xa0-\xff\n–—·]/g, '?');

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
}

function heading(doc: Doc, text: string, size = 15): void {
  ensureSpace(doc, size + 40);
  doc.moveDown(0.8).font(BOLD).fontSize(size).fillColor('#000').text(pdfText(text), MARGIN, doc.y);
  doc.moveDown(0.3).font(FONT).fontSize(10);
}

function paragraph(doc: Doc, text: string): void {
  doc.font(FONT).fontSize(10).fillColor('#000');
  ensureSpace(doc, doc.heightOfString(pdfText(text), { width: doc.page.width - 2 * MARGIN }) + 6);
  doc.text(pdfText(text), MARGIN, doc.y, { width: doc.page.width - 2 * MARGIN });
  doc.moveDown(0.4);
}

function table(doc: Doc, head: string[], rows: Array<Array<string | number>>, firstColWidth = 0.3): void {
  const width = doc.page.width - 2 * MARGIN;
  const first = head.length > 1 ? width * firstColWidth : width;
  const rest = head.length > 1 ? (width - first) / (head.length - 1) : 0;
  const colX = (i: number) => MARGIN + (i === 0 ? 0 : first + (i - 1) * rest);
  const colW = (i: number) => (i === 0 ? first : rest) - 4;
  const row = (cells: Array<string | number>, bold: boolean) => {
    ensureSpace(doc, 16);
    const y = doc.y;
    doc.font(bold ? BOLD : FONT).fontSize(9).fillColor('#000');
    cells.forEach((c, i) =>
      doc.text(pdfText(c), colX(i), y, { width: colW(i), align: i === 0 ? 'left' : 'right', lineBreak: false, ellipsis: true })
    );
    doc.y = y + 13;
    doc.moveTo(MARGIN, doc.y - 2).lineTo(MARGIN + width, doc.y - 2).lineWidth(0.3).strokeColor('#cccccc').stroke();
  };
  row(head, true);
  for (const r of rows) row(r, false);
  doc.x = MARGIN;
  doc.moveDown(0.5);
}

const keyValues = (doc: Doc, obj: Record<string, unknown>) =>
  table(doc, ['field', 'value'], Object.entries(obj).map(([k, v]) => [k, typeof v === 'number' ? fmt(v, Number.isInteger(v) ? 0 : 4) : String(v ?? '-')]), 0.5);

/** Draws the same geometry as the SVG, scaled to the page width, with PDF vector paths. */
function chart(doc: Doc, g: ChartGeometry): void {
  const scale = (doc.page.width - 2 * MARGIN) / g.width;
  const h = g.height * scale;
  ensureSpace(doc, h + 10);
  const ox = MARGIN;
  const oy = doc.y;
  const X = (x: number) => ox + x * scale;
  const Y = (y: number) => oy + y * scale;
  const { plot } = g;
  doc.font(BOLD).fontSize(10).fillColor('#000').text(pdfText(g.title), ox, Y(6), { width: g.width * scale, align: 'center' });
  doc.font(FONT).fontSize(7);
  for (const t of g.yTicks) {
    doc.moveTo(X(plot.left), Y(t.at)).lineTo(X(plot.right), Y(t.at)).lineWidth(0.3).strokeColor('#e3e3e3').stroke();
    doc.fillColor('#000').text(t.label, X(0), Y(t.at) - 3, { width: X(plot.left - 6) - X(0), align: 'right', lineBreak: false });
  }
  for (const t of g.xTicks) doc.text(t.label, X(t.at) - 20, Y(plot.bottom + 6), { width: 40, align: 'center', lineBreak: false });
  doc.rect(X(plot.left), Y(plot.top), (plot.right - plot.left) * scale, (plot.bottom - plot.top) * scale).lineWidth(0.6).strokeColor('#888888').stroke();
  doc.text(pdfText(g.xLabel), X(plot.left), Y(plot.bottom + 22), { width: (plot.right - plot.left) * scale, align: 'center', lineBreak: false });
  for (const line of g.lines) {
    if (line.points.length === 0) continue;
    const [first, ...rest] = line.points;
    doc.moveTo(X(first![0]), Y(first![1]));
    for (const [x, y] of rest) doc.lineTo(X(x), Y(y));
    doc.lineWidth(1.2).strokeColor(line.color).stroke();
  }
  let lx = X(plot.left);
  for (const line of g.lines) {
    doc.rect(lx, Y(g.height - 16), 10, 3).fillColor(line.color).fill();
    doc.fillColor('#000').text(pdfText(line.name), lx + 13, Y(g.height - 19), { lineBreak: false });
    lx += 20 + doc.widthOfString(pdfText(line.name));
  }
  doc.x = MARGIN;
  doc.y = oy + h + 8;
}

function summary(doc: Doc, d: PreparedReport): void {
  const s = d.simulation;
  heading(doc, 'Summary');
  paragraph(doc, `Simulation ${s.simulation_id} of model ${s.model_name} on scenario ${s.scenario_name}: ${s.num_episodes} episodes, seed ${s.seed}, run ${s.timestamp}.`);
  table(doc, ['key figure', 'mean'], [
    ['Total wealth', fmt(s.total_wealth_mean)],
    ['Final cash', fmt(s.final_cash_mean)],
    ['Portfolio value', fmt(s.final_portfolio_mean)],
    ['Invested', fmt(s.final_invested_mean)],
    ['Investment gains', fmt(s.investment_gains_mean)],
    ['Duration (months)', fmt(s.duration_mean, 1)]
  ], 0.5);
}

function scenario(doc: Doc, d: PreparedReport): void {
  heading(doc, `Scenario: ${d.scenario.name}`);
  paragraph(doc, d.scenario.description || '(no description)');
  heading(doc, 'Environment', 12);
  keyValues(doc, d.scenario.config.environment);
  heading(doc, 'Training', 12);
  keyValues(doc, d.scenario.config.training);
  heading(doc, 'Reward', 12);
  keyValues(doc, d.scenario.config.reward);
}

function training(doc: Doc, d: PreparedReport): void {
  heading(doc, 'Training');
  if (!d.model) {
    paragraph(doc, `The model ${d.simulation.model_name} is no longer stored.`);
    return;
  }
  const m = d.model;
  paragraph(doc, `Model ${m.summary.name} trained ${m.summary.episodes} episodes on ${m.summary.scenario_name} (saved ${m.summary.trained_at}${m.summary.run_id ? `, run ${m.summary.run_id}` : ''}).`);
  if (m.final_metrics) {
    heading(doc, 'Final metrics', 12);
    keyValues(doc, m.final_metrics);
  }
  const hist = Object.entries(m.training_history);
  if (hist.length > 0) {
    heading(doc, 'Training history', 12);
    table(doc, ['metric', 'count', 'first', 'last', 'mean', 'min', 'max'], hist.map(([k, v]) => [k, v.count, fmt(v.first), fmt(v.last), fmt(v.mean), fmt(v.min), fmt(v.max)]), 0.22);
  } else {
    paragraph(doc, 'No per-episode training history is stored for this model.');
  }
}

function results(doc: Doc, d: PreparedReport): void {
  const s = d.simulation;
  heading(doc, 'Results');
  table(doc, ['measure', 'mean', 'std'], [
    ['duration (months)', fmt(s.duration_mean), fmt(s.duration_std)],
    ['final cash', fmt(s.final_cash_mean), fmt(s.final_cash_std)],
    ['invested', fmt(s.final_invested_mean), fmt(s.final_invested_std)],
    ['portfolio value', fmt(s.final_portfolio_mean), fmt(s.final_portfolio_std)],
    ['total wealth', fmt(s.total_wealth_mean), fmt(s.total_wealth_std)],
    ['investment gains', fmt(s.investment_gains_mean), fmt(s.investment_gains_std)],
    ['episode reward', fmt(s.episode_reward_mean), fmt(s.episode_reward_std)]
  ]);
  heading(doc, 'Episodes', 12);
  const eps = d.episodeRows;
  table(doc, ['episode', 'months', 'final cash', 'invested', 'portfolio', 'total wealth', 'gains'],
    eps.map((x) => [x.episode_id, x.duration, fmt(x.final_cash), fmt(x.final_invested), fmt(x.final_portfolio_value), fmt(x.total_wealth), fmt(x.investment_gains)]), 0.1);
  if (d.episodeCount > eps.length) paragraph(doc, `First ${eps.length} of ${d.episodeCount} episodes shown (at most ${MAX_EPISODE_ROWS}).`);
}

function charts(doc: Doc, d: PreparedReport): void {
  heading(doc, 'Charts');
  for (const c of d.charts) chart(doc, layoutChart(c));
}

function strategy(doc: Doc, d: PreparedReport): void {
  const s = d.simulation;
  heading(doc, 'Strategy');
  for (const line of d.strategy) paragraph(doc, line);
  table(doc, ['allocation', 'mean %'], [['invest', fmt(s.avg_invest_pct, 1)], ['save', fmt(s.avg_save_pct, 1)], ['consume', fmt(s.avg_consume_pct, 1)]], 0.5);
  heading(doc, 'By year', 12);
  table(doc, ['year', 'invest %', 'save %', 'consume %'], d.allocationByYear.map((r) => [r.year, fmt(r.invest, 1), fmt(r.save, 1), fmt(r.consume, 1)]), 0.25);
}

const RENDER = { summary, scenario, training, results, charts, strategy } as const;

/** The same sections and charts as the HTML report, as a PDF (PDFKit: pure JavaScript, standard fonts). */
export function renderPdf(d: PreparedReport): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: pdfText(d.title), Creator: 'HRL Finance', Producer: 'HRL Finance (PDFKit)' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    try {
      doc.font(BOLD).fontSize(20).text(pdfText(d.title), MARGIN, MARGIN);
      doc.font(FONT).fontSize(9).fillColor('#666').text(pdfText(`Report ${d.report_id} - generated ${d.generated_at} - HRL Finance`));
      doc.fillColor('#000');
      for (const s of d.sections) RENDER[s](doc, d);
      doc.end();
    } catch (error) {
      reject(error);
    }
  });
}
