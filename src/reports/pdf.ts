import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { LABEL_SIZE, layoutChart, type ChartGeometry } from './charts.js';
import { formatNumber, formatPercent, MISSING } from './format.js';
import { BASELINES_ABSENT, baselineRows, baselinesIntro } from './reading.js';
import { MAX_EPISODE_ROWS, type PreparedReport } from './report-data.js';
import { averageRows, BAND_HEADERS, bandRows, environmentRows, episodeHeaders, episodeRow, finalMetricRows, settingRows, trainedText, trainingConfigRows, BANDS_NOTE, type Cell } from './report-tables.js';

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const FONT = 'Body';
const BOLD = 'Body-Bold';
const FONT_PACKAGE = '@fontsource/dejavu-sans';

let fonts: { regular: Buffer; bold: Buffer } | null = null;

/**
 * DejaVu Sans (regular and bold) from its npm package, read once per worker. The standard
 * PDF fonts cover WinAnsi only, so €, curly quotes and most accented letters came out as
 * "?"; DejaVu covers Latin, Greek, Cyrillic and the currency signs, and PDFKit embeds only
 * the glyphs a report uses.
 */
function loadFonts(): { regular: Buffer; bold: Buffer } {
  if (fonts) return fonts;
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve(`${FONT_PACKAGE}/LICENSE`)), 'files');
  } catch {
    throw new Error(`the PDF font package ${FONT_PACKAGE} is not installed (run npm install)`);
  }
  fonts = {
    regular: woffToSfnt(readFileSync(path.join(dir, 'dejavu-sans-latin-400-normal.woff'))),
    bold: woffToSfnt(readFileSync(path.join(dir, 'dejavu-sans-latin-700-normal.woff')))
  };
  return fonts;
}

/**
 * WOFF 1.0 → the TrueType file it wraps: every table inflated once, here. Given the WOFF
 * itself, fontkit inflates a table (in JavaScript) on every access, which made one report
 * take 14 s; from the plain file it takes a fraction of a second.
 */
export function woffToSfnt(woff: Buffer): Buffer {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF 1.0 font');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const at = 44 + 20 * i;
    const offset = woff.readUInt32BE(at + 4);
    const compLength = woff.readUInt32BE(at + 8);
    const origLength = woff.readUInt32BE(at + 12);
    const raw = woff.subarray(offset, offset + compLength);
    return { tag: woff.readUInt32BE(at), checksum: woff.readUInt32BE(at + 16), data: compLength < origLength ? inflateSync(raw) : raw };
  });
  let searchRange = 1;
  let entrySelector = 0;
  while (searchRange * 2 <= numTables) {
    searchRange *= 2;
    entrySelector++;
  }
  const header = Buffer.alloc(12 + 16 * numTables);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(numTables, 4);
  header.writeUInt16BE(searchRange * 16, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(numTables * 16 - searchRange * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  tables.forEach((t, i) => {
    header.writeUInt32BE(t.tag, 12 + 16 * i);
    header.writeUInt32BE(t.checksum, 16 + 16 * i);
    header.writeUInt32BE(offset, 20 + 16 * i);
    header.writeUInt32BE(t.data.length, 24 + 16 * i);
    const padded = Buffer.alloc((t.data.length + 3) & ~3);
    t.data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  });
  return Buffer.concat(parts);
}

const bottom = (doc: Doc) => doc.page.height - MARGIN;
const contentWidth = (doc: Doc) => doc.page.width - 2 * MARGIN;

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage();
}

/**
 * A heading kept with what follows it: `keep` is the height of the next block's first part
 * (a table's header and first rows, a chart, a paragraph's first lines), so no heading is
 * left alone at the bottom of a page.
 */
function heading(doc: Doc, text: string, size = 15, keep = 60): void {
  doc.font(BOLD).fontSize(size);
  const h = doc.heightOfString(text, { width: contentWidth(doc) });
  ensureSpace(doc, size * 0.8 + h + 4 + keep);
  doc.moveDown(size >= 15 ? 0.8 : 0.5).fillColor('#000').text(text, MARGIN, doc.y, { width: contentWidth(doc) });
  doc.moveDown(0.3).font(FONT).fontSize(10);
}

const paragraphHeight = (doc: Doc, text: string) => doc.font(FONT).fontSize(10).heightOfString(text, { width: contentWidth(doc) });

function paragraph(doc: Doc, text: string, color = '#000'): void {
  doc.font(FONT).fontSize(10).fillColor(color);
  // Two lines at least stay together; a longer paragraph may continue on the next page.
  ensureSpace(doc, Math.min(paragraphHeight(doc, text), 28) + 4);
  doc.text(text, MARGIN, doc.y, { width: contentWidth(doc) });
  doc.fillColor('#000').moveDown(0.4);
}

function list(doc: Doc, items: string[]): void {
  items.forEach((item, i) => {
    doc.font(FONT).fontSize(10);
    const w = contentWidth(doc) - 18;
    ensureSpace(doc, Math.min(doc.heightOfString(item, { width: w }), 28) + 4);
    const y = doc.y;
    doc.text(`${i + 1}.`, MARGIN, y, { width: 16, align: 'right' });
    doc.text(item, MARGIN + 18, y, { width: w });
    doc.moveDown(0.35);
  });
}

const TABLE_FONT = 8.5;
const CELL_PAD = 3;

/**
 * A table whose cells wrap (nothing is cut or drawn over its neighbour); a row that does not
 * fit starts a new page, and the header is repeated at the top of every page it continues on.
 * `widths` are fractions of the page's content width.
 */
function table(doc: Doc, head: string[], rows: Cell[][], widths?: number[]): void {
  const width = contentWidth(doc);
  const fr = widths ?? head.map(() => 1 / head.length);
  const colW = fr.map((f) => f * width);
  const colX = colW.map((_, i) => MARGIN + colW.slice(0, i).reduce((a, b) => a + b, 0));
  const heightOf = (cells: Cell[], bold: boolean) => {
    doc.font(bold ? BOLD : FONT).fontSize(TABLE_FONT);
    return Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: colW[i]! - 2 * CELL_PAD }))) + 2 * CELL_PAD;
  };
  const draw = (cells: Cell[], bold: boolean, h: number) => {
    const y = doc.y;
    if (bold) doc.rect(MARGIN, y, width, h).fillColor('#f0f0f0').fill();
    doc.font(bold ? BOLD : FONT).fontSize(TABLE_FONT).fillColor('#000');
    cells.forEach((c, i) => doc.text(c, colX[i]! + CELL_PAD, y + CELL_PAD, { width: colW[i]! - 2 * CELL_PAD, align: i === 0 ? 'left' : 'right' }));
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width, y + h).lineWidth(0.3).strokeColor('#bbbbbb').stroke();
    doc.y = y + h;
  };
  const headH = heightOf(head, true);
  const firstH = rows.length > 0 ? heightOf(rows[0]!, false) : 0;
  ensureSpace(doc, headH + firstH);
  draw(head, true, headH);
  for (const r of rows) {
    const h = heightOf(r, false);
    if (doc.y + h > bottom(doc)) {
      doc.addPage();
      draw(head, true, headH);
    }
    draw(r, false, h);
  }
  doc.x = MARGIN;
  doc.moveDown(0.6);
}

/** Height a table's header and first two rows need (what a heading keeps with it). */
function tableStart(doc: Doc, head: string[], rows: Cell[][], widths?: number[]): number {
  const fr = widths ?? head.map(() => 1 / head.length);
  const h = (cells: Cell[], bold: boolean) => {
    doc.font(bold ? BOLD : FONT).fontSize(TABLE_FONT);
    return Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: fr[i]! * contentWidth(doc) - 2 * CELL_PAD }))) + 2 * CELL_PAD;
  };
  return h(head, true) + rows.slice(0, 2).reduce((a, r) => a + h(r, false), 0) + 4;
}

const PAIRS = [0.62, 0.38];
const pairs = (doc: Doc, head: [string, string], rows: Cell[][]) => table(doc, head, rows, PAIRS);

/** A heading followed by a table, kept together up to the table's first rows. */
function headedTable(doc: Doc, title: string, head: string[], rows: Cell[][], widths?: number[], size = 12): void {
  heading(doc, title, size, tableStart(doc, head, rows, widths));
  table(doc, head, rows, widths);
}

const chartHeight = (doc: Doc, g: ChartGeometry) => (g.height * contentWidth(doc)) / g.width;

/** Draws the same geometry as the SVG, scaled to the page width, with PDF vector paths. */
function chart(doc: Doc, g: ChartGeometry): void {
  const scale = contentWidth(doc) / g.width;
  const h = chartHeight(doc, g);
  ensureSpace(doc, h + 10);
  const ox = MARGIN;
  const oy = doc.y;
  const X = (x: number) => ox + x * scale;
  const Y = (y: number) => oy + y * scale;
  const { plot } = g;
  const label = LABEL_SIZE * scale;
  doc.font(BOLD).fontSize(10).fillColor('#000').text(g.title, ox, Y(6), { width: g.width * scale, align: 'center' });
  doc.font(FONT).fontSize(label);
  for (const t of g.yTicks) {
    doc.moveTo(X(plot.left), Y(t.at)).lineTo(X(plot.right), Y(t.at)).lineWidth(0.3).strokeColor('#e3e3e3').stroke();
    doc.fillColor('#000').text(t.label, X(0), Y(t.at) - label / 2, { width: X(plot.left - 6) - X(0), align: 'right', lineBreak: false });
  }
  for (const t of g.xTicks) doc.text(t.label, X(t.at) - 20, Y(plot.bottom + 6), { width: 40, align: 'center', lineBreak: false });
  doc.rect(X(plot.left), Y(plot.top), (plot.right - plot.left) * scale, (plot.bottom - plot.top) * scale).lineWidth(0.6).strokeColor('#888888').stroke();
  doc.text(g.xLabel, X(plot.left), Y(plot.bottom + 22), { width: (plot.right - plot.left) * scale, align: 'center', lineBreak: false });
  // The y label, rotated like the SVG's, left of the tick labels.
  doc.save().rotate(-90, { origin: [X(4), Y((plot.top + plot.bottom) / 2)] });
  doc.text(g.yLabel, X(4) - 100, Y((plot.top + plot.bottom) / 2) - label / 2, { width: 200, align: 'center', lineBreak: false });
  doc.restore();
  for (const area of g.areas) {
    if (area.points.length === 0) continue;
    const [first, ...rest] = area.points;
    doc.moveTo(X(first![0]), Y(first![1]));
    for (const [x, y] of rest) doc.lineTo(X(x), Y(y));
    doc.closePath().fillOpacity(0.18).fillColor(area.color).fill().fillOpacity(1);
  }
  for (const line of g.lines) {
    if (line.points.length === 0) continue;
    const [first, ...rest] = line.points;
    doc.moveTo(X(first![0]), Y(first![1]));
    for (const [x, y] of rest) doc.lineTo(X(x), Y(y));
    doc.lineWidth(1.2).strokeColor(line.color).stroke();
  }
  doc.font(FONT).fontSize(label);
  for (const item of g.legend) {
    doc.rect(X(item.x), Y(item.y - 8), 12 * scale, 4 * scale).fillColor(item.color).fill();
    doc.fillColor('#000').text(item.name, X(item.x + 16), Y(item.y - 2) - label * 0.8, { lineBreak: false });
  }
  doc.x = MARGIN;
  doc.y = oy + h + 8;
}

function summary(doc: Doc, d: PreparedReport): void {
  const s = d.simulation;
  const m = d.money;
  const o = d.outcomes;
  const last = o.bandsAt[o.bandsAt.length - 1];
  heading(doc, 'Summary');
  paragraph(doc, `Simulation ${s.simulation_id} of model ${s.model_name} on scenario ${s.scenario_name}: ${s.num_episodes} simulated futures of up to ${o.horizon} months, seed ${s.seed}, run ${s.timestamp}. Amounts in ${m.code} (${m.symbol}).`);
  const rows: Cell[][] = [
    ['Ran out of cash', `${o.broke} of ${o.episodes} (${formatPercent(100 * o.brokeShare, 0)})`],
    ...(o.brokeMonths ? [['…typically by month', formatNumber(o.brokeMonths.median, 0)]] : []),
    ['Total wealth at the end, median', m.format(last?.wealth.p50)],
    ['…1 in 10 futures below', m.format(last?.wealth.p10)],
    ['Cash at the end, median', m.format(last?.cash.p50)],
    ['Months lasted (mean)', formatNumber(s.duration_mean, 1)]
  ];
  pairs(doc, ['key figure', 'value'], rows);
  heading(doc, 'What to change', 12, Math.min(paragraphHeight(doc, d.advice[0] ?? ''), 40));
  list(doc, d.advice);
}

function scenario(doc: Doc, d: PreparedReport): void {
  const c = d.scenario.config;
  heading(doc, `Scenario: ${d.scenario.name}`, 15, paragraphHeight(doc, d.scenario.description || '(no description)') + 20);
  paragraph(doc, d.scenario.description || '(no description)');
  headedTable(doc, 'Environment', ['field', 'value'], environmentRows(c.environment, d.money), PAIRS);
  headedTable(doc, "Training (the scenario's defaults)", ['field', 'value'], trainingConfigRows(c.training), PAIRS);
  headedTable(doc, 'Reward weights', ['weight', 'value'], Object.entries(c.reward).map(([k, v]) => [k, formatNumber(v)]), PAIRS);
  paragraph(doc, 'Each weight is explained in the glossary at the end.', '#555');
}

function training(doc: Doc, d: PreparedReport): void {
  if (!d.model) {
    heading(doc, 'Training', 15, 30);
    paragraph(doc, `The model ${d.simulation.model_name} is no longer stored.`);
    return;
  }
  const m = d.model;
  const text = trainedText(d);
  heading(doc, 'Training', 15, paragraphHeight(doc, text) + 10);
  paragraph(doc, text);
  if (d.training_settings) headedTable(doc, 'Settings used', ['setting', 'value'], settingRows(d.training_settings), PAIRS);
  else paragraph(doc, 'The settings this model trained with were not recorded (a run from before they were, or an imported model).');
  if (m.final_metrics) headedTable(doc, 'Final metrics', ['metric', 'value'], finalMetricRows(m.final_metrics, d.money), PAIRS);
  else paragraph(doc, 'No final metrics were stored with this model.');
  const hist = Object.entries(m.training_history);
  if (hist.length > 0) {
    headedTable(
      doc,
      'Training history',
      ['metric', 'count', 'first', 'last', 'mean', 'min', 'max'],
      hist.map(([k, v]) => [k, formatNumber(v.count), formatNumber(v.first), formatNumber(v.last), formatNumber(v.mean), formatNumber(v.min), formatNumber(v.max)]),
      [0.22, 0.1, 0.136, 0.136, 0.136, 0.136, 0.136]
    );
  } else {
    paragraph(doc, 'No per-episode training history is stored for this model.');
  }
}

function baselines(doc: Doc, d: PreparedReport): void {
  const b = d.baselines;
  const title = 'Your plan vs the best fixed split vs the best rule';
  if (!b) {
    heading(doc, title, 12, paragraphHeight(doc, BASELINES_ABSENT));
    paragraph(doc, BASELINES_ABSENT);
    return;
  }
  const head = ['plan', 'mean reward', 'your plan minus it', '95 % interval', 'your plan is'];
  const widths = [0.4, 0.12, 0.14, 0.17, 0.17];
  const rows = baselineRows(b, d.scenario.config.environment, d.money).map((r) => [
    r.plan,
    formatNumber(r.mean),
    r.diff ? formatNumber(r.diff.mean) : MISSING,
    r.diff ? `${formatNumber(r.diff.ci95[0])} to ${formatNumber(r.diff.ci95[1])}` : MISSING,
    r.diff ? r.diff.verdict : MISSING
  ]);
  heading(doc, title, 12, paragraphHeight(doc, baselinesIntro(b)) + tableStart(doc, head, rows, widths));
  paragraph(doc, baselinesIntro(b));
  table(doc, head, rows, widths);
}

function results(doc: Doc, d: PreparedReport): void {
  const s = d.simulation;
  const m = d.money;
  const o = d.outcomes;
  const failure =
    o.broke > 0 && o.brokeMonths
      ? `${o.broke} of ${o.episodes} simulated futures (${formatPercent(100 * o.brokeShare, 0)}) ran out of cash before month ${o.horizon}: the first in month ${o.brokeMonths.first}, the median in month ${formatNumber(o.brokeMonths.median, 0)}, the last in month ${o.brokeMonths.last}.`
      : `None of the ${o.episodes} simulated futures ran out of cash within ${o.horizon} months.`;
  heading(doc, 'Results', 15, 80);
  heading(doc, 'Running out of cash', 12, paragraphHeight(doc, failure) + 10);
  paragraph(doc, failure, o.broke > 0 ? '#b00000' : '#000');
  const brokeYears = o.brokeByYear.filter((y) => y.count > 0);
  if (brokeYears.length > 0) {
    table(
      doc,
      ['year', 'months', 'futures that ran out of cash', 'share of all'],
      brokeYears.map((y) => [String(y.year), `${12 * y.year - 11}–${Math.min(12 * y.year, o.horizon)}`, String(y.count), formatPercent((100 * y.count) / Math.max(1, o.episodes))]),
      [0.15, 0.25, 0.35, 0.25]
    );
  }
  const bandHead = BAND_HEADERS;
  const bandW = [0.1, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15];
  const rows = bandRows(o, m);
  heading(doc, 'Wealth and cash over all futures', 12, paragraphHeight(doc, BANDS_NOTE) + tableStart(doc, bandHead, rows, bandW));
  paragraph(doc, BANDS_NOTE);
  table(doc, bandHead, rows, bandW);
  baselines(doc, d);
  headedTable(doc, 'Averages', ['measure', 'mean', 'std'], averageRows(s, m), [0.4, 0.3, 0.3]);
  const eps = d.episodeRows;
  headedTable(doc, 'Episodes', episodeHeaders, eps.map((x) => episodeRow(x, o.horizon, m)), [0.09, 0.13, 0.156, 0.156, 0.156, 0.156, 0.156]);
  if (d.episodeCount > eps.length) paragraph(doc, `First ${eps.length} of ${d.episodeCount} futures shown (at most ${MAX_EPISODE_ROWS}).`);
}

function charts(doc: Doc, d: PreparedReport): void {
  const geometries = d.charts.map((c) => layoutChart(c));
  heading(doc, 'Charts', 15, paragraphHeight(doc, BANDS_NOTE) + (geometries[0] ? chartHeight(doc, geometries[0]) + 10 : 0));
  paragraph(doc, BANDS_NOTE);
  for (const g of geometries) chart(doc, g);
}

function strategy(doc: Doc, d: PreparedReport): void {
  const s = d.simulation;
  heading(doc, 'Strategy', 15, paragraphHeight(doc, d.strategy[0] ?? ''));
  for (const line of d.strategy) paragraph(doc, line);
  pairs(doc, ['allocation', 'mean share'], [['invest', formatPercent(s.avg_invest_pct)], ['save', formatPercent(s.avg_save_pct)], ['consume', formatPercent(s.avg_consume_pct)]]);
  headedTable(doc, 'By year', ['year', 'invest', 'save', 'consume'], d.allocationByYear.map((r) => [String(r.year), formatPercent(r.invest), formatPercent(r.save), formatPercent(r.consume)]), [0.25, 0.25, 0.25, 0.25]);
}

function glossary(doc: Doc, d: PreparedReport): void {
  const first = d.glossary[0];
  heading(doc, 'Glossary', 15, first ? paragraphHeight(doc, first.meaning) + 16 : 0);
  for (const g of d.glossary) {
    doc.font(FONT).fontSize(10);
    ensureSpace(doc, 14 + Math.min(paragraphHeight(doc, g.meaning), 28));
    doc.font(BOLD).fontSize(10).text(g.term, MARGIN, doc.y, { width: contentWidth(doc) });
    doc.font(FONT).text(g.meaning, MARGIN + 12, doc.y, { width: contentWidth(doc) - 12 });
    doc.moveDown(0.35);
  }
}

const RENDER = { summary, scenario, training, results, charts, strategy } as const;

/** The same sections and charts as the HTML report, as a PDF (PDFKit, with DejaVu Sans embedded). */
export function renderPdf(d: PreparedReport): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    try {
      const { regular, bold } = loadFonts();
      const doc = new PDFDocument({ size: 'A4', margin: MARGIN, bufferPages: true, info: { Title: d.title, Creator: 'HRL Finance', Producer: 'HRL Finance (PDFKit)' } });
      const chunks: Buffer[] = [];
      doc.on('data', (c: Buffer) => chunks.push(c));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
      doc.registerFont(FONT, regular);
      doc.registerFont(BOLD, bold);
      doc.font(BOLD).fontSize(20).text(d.title, MARGIN, MARGIN, { width: contentWidth(doc) });
      doc.font(FONT).fontSize(9).fillColor('#666').text(`Report ${d.report_id} · generated ${d.generated_at} · HRL Finance · amounts in ${d.money.code} (${d.money.symbol})`, { width: contentWidth(doc) });
      doc.fillColor('#000');
      for (const s of d.sections) RENDER[s](doc, d);
      glossary(doc, d);
      // Page numbers, written once every page exists (the margin is lifted so no page is added).
      const range = doc.bufferedPageRange();
      for (let i = range.start; i < range.start + range.count; i++) {
        doc.switchToPage(i);
        const pageMargin = doc.page.margins.bottom;
        doc.page.margins.bottom = 0;
        doc.font(FONT).fontSize(8).fillColor('#888').text(`page ${i + 1} of ${range.count}`, MARGIN, doc.page.height - MARGIN / 2 - 4, { width: contentWidth(doc), align: 'center', lineBreak: false });
        doc.page.margins.bottom = pageMargin;
      }
      doc.end();
    } catch (error) {
      reject(error);
    }
  });
}
