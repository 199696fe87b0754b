import { chartSvg, layoutChart } from './charts.js';
import { formatNumber, formatPercent, MISSING } from './format.js';
import { BASELINES_ABSENT, baselineRows, baselinesIntro } from './reading.js';
import { MAX_EPISODE_ROWS, type PreparedReport } from './report-data.js';
import { averageRows, BAND_HEADERS, bandRows, environmentRows, episodeHeaders, episodeRow, finalMetricRows, settingRows, trainedText, trainingConfigRows, BANDS_NOTE, type Cell } from './report-tables.js';

/** Escapes text for HTML element content and quoted attribute values. Every user-supplied string goes through it. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

/** Chart width (px) of the phone layout: about a 375 px screen's content width. */
const PHONE_CHART_WIDTH = 360;

/**
 * A table that stays inside a phone's width: below 600 px each row becomes a block of
 * "label: value" lines (the label from data-label), so nothing scrolls sideways.
 */
const table = (head: string[], rows: Cell[][], cls = ''): string =>
  `<table class="${cls}"><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td data-label="${e(head[i] ?? '')}"${i > 0 ? ' class="num"' : ''}>${e(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

/** Two-column tables (field, value) stay tables on a phone: they fit. */
const pairs = (head: [string, string], rows: Cell[][]) => table(head, rows, 'pairs');

const STYLE = `*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;max-width:960px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45;overflow-wrap:break-word}
h1{border-bottom:2px solid #444;padding-bottom:.3em;font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ccc;break-after:avoid}h3{break-after:avoid}
code{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em;max-width:100%}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th{background:#f3f3f3}.meta{color:#666}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5em,1fr));gap:.8em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em .8em}.card b{display:block;font-size:1.25em}.card.alert{border-color:#d62728;background:#fff4f4}
figure{margin:1em 0;max-width:640px}svg{max-width:100%;height:auto;display:block}figure .narrow{display:none}figcaption{font-weight:bold;text-align:center;margin-bottom:.2em}
.desc{white-space:pre-wrap}.advice li{margin:.4em 0}.alert-text{color:#b00}
dl.glossary dt{font-weight:bold;margin-top:.6em}dl.glossary dd{margin:0 0 0 1em}
@media (max-width:600px){
body{padding:0 .6em;margin:.8em auto}h1{font-size:1.35em}
table:not(.pairs),table:not(.pairs) tbody,table:not(.pairs) tr,table:not(.pairs) td{display:block;width:100%}
table:not(.pairs) thead{display:none}
table:not(.pairs) tr{border:1px solid #ddd;border-radius:6px;margin:.5em 0;padding:.3em .5em}
table:not(.pairs) td{border:0;padding:.1em 0;text-align:right;white-space:normal}
table:not(.pairs) td::before{content:attr(data-label);float:left;font-weight:bold;padding-right:.6em;text-align:left}
table.pairs td.num{white-space:normal}
figure .wide{display:none}figure .narrow{display:block}
}`;

function summary(d: PreparedReport): string {
  const s = d.simulation;
  const m = d.money;
  const o = d.outcomes;
  const last = o.bandsAt[o.bandsAt.length - 1];
  const card = (label: string, value: string, alert = false) => `<div class="card${alert ? ' alert' : ''}">${e(label)}<b>${e(value)}</b></div>`;
  return `<section id="summary"><h2>Summary</h2>
<p>Simulation <code>${e(s.simulation_id)}</code> of model <b>${e(s.model_name)}</b> on scenario <b>${e(s.scenario_name)}</b>: ${e(s.num_episodes)} simulated futures of up to ${e(o.horizon)} months, seed ${e(s.seed)}, run ${e(s.timestamp)}. Amounts in ${e(m.code)} (${e(m.symbol)}).</p>
<div class="cards">${card('Ran out of cash', `${o.broke} of ${o.episodes} (${formatPercent(100 * o.brokeShare, 0)})`, o.broke > 0)}${o.brokeMonths ? card('…typically by month', formatNumber(o.brokeMonths.median, 0), true) : ''}${card('Total wealth at the end, median', m.format(last?.wealth.p50))}${card('…1 in 10 futures below', m.format(last?.wealth.p10))}${card('Cash at the end, median', m.format(last?.cash.p50))}${card('Months lasted (mean)', formatNumber(s.duration_mean, 1))}</div>
<h3>What to change</h3><ol class="advice">${d.advice.map((a) => `<li>${e(a)}</li>`).join('')}</ol></section>`;
}

function scenario(d: PreparedReport): string {
  const c = d.scenario.config;
  return `<section id="scenario"><h2>Scenario: ${e(d.scenario.name)}</h2>
<p class="desc">${e(d.scenario.description || '(no description)')}</p>
<h3>Environment</h3>${pairs(['field', 'value'], environmentRows(c.environment, d.money))}<h3>Training (the scenario's defaults)</h3>${pairs(['field', 'value'], trainingConfigRows(c.training))}<h3>Reward weights</h3>${pairs(['weight', 'value'], Object.entries(c.reward).map(([k, v]) => [k, formatNumber(v)]))}<p class="meta">Each weight is explained in the glossary at the end.</p></section>`;
}

function training(d: PreparedReport): string {
  if (!d.model) return `<section id="training"><h2>Training</h2><p>The model ${e(d.simulation.model_name)} is no longer stored.</p></section>`;
  const m = d.model;
  const hist = Object.entries(m.training_history);
  return `<section id="training"><h2>Training</h2>
<p>${e(trainedText(d))}</p>
${d.training_settings ? `<h3>Settings used</h3>${pairs(['setting', 'value'], settingRows(d.training_settings))}` : '<p>The settings this model trained with were not recorded (a run from before they were, or an imported model).</p>'}
${m.final_metrics ? `<h3>Final metrics</h3>${pairs(['metric', 'value'], finalMetricRows(m.final_metrics, d.money))}` : '<p>No final metrics were stored with this model.</p>'}
${hist.length > 0 ? `<h3>Training history</h3>${table(['metric', 'count', 'first', 'last', 'mean', 'min', 'max'], hist.map(([k, v]) => [k, formatNumber(v.count), formatNumber(v.first), formatNumber(v.last), formatNumber(v.mean), formatNumber(v.min), formatNumber(v.max)]))}` : '<p>No per-episode training history is stored for this model.</p>'}</section>`;
}

function baselines(d: PreparedReport): string {
  const b = d.baselines;
  const head = '<h3 id="baselines">Your plan vs the best fixed split vs the best rule</h3>';
  if (!b) return `${head}<p>${e(BASELINES_ABSENT)}</p>`;
  return `${head}<p>${e(baselinesIntro(b))}</p>${table(
    ['plan', 'mean reward', 'your plan minus it', '95 % interval', 'your plan is'],
    baselineRows(b, d.scenario.config.environment, d.money).map((r) => [
      r.plan,
      formatNumber(r.mean),
      r.diff ? formatNumber(r.diff.mean) : MISSING,
      r.diff ? `${formatNumber(r.diff.ci95[0])} to ${formatNumber(r.diff.ci95[1])}` : MISSING,
      r.diff ? r.diff.verdict : MISSING
    ])
  )}`;
}

function results(d: PreparedReport): string {
  const s = d.simulation;
  const m = d.money;
  const o = d.outcomes;
  const eps = d.episodeRows;
  const brokeYears = o.brokeByYear.filter((y) => y.count > 0);
  return `<section id="results"><h2>Results</h2>
<h3>Running out of cash</h3>
<p${o.broke > 0 ? ' class="alert-text"' : ''}>${o.broke > 0 && o.brokeMonths ? e(`${o.broke} of ${o.episodes} simulated futures (${formatPercent(100 * o.brokeShare, 0)}) ran out of cash before month ${o.horizon}: the first in month ${o.brokeMonths.first}, the median in month ${formatNumber(o.brokeMonths.median, 0)}, the last in month ${o.brokeMonths.last}.`) : e(`None of the ${o.episodes} simulated futures ran out of cash within ${o.horizon} months.`)}</p>
${brokeYears.length > 0 ? table(['year', 'months', 'futures that ran out of cash', 'share of all'], brokeYears.map((y) => [String(y.year), `${12 * y.year - 11}–${Math.min(12 * y.year, o.horizon)}`, String(y.count), formatPercent((100 * y.count) / Math.max(1, o.episodes))])) : ''}
<h3>Wealth and cash over all futures</h3><p>${e(BANDS_NOTE)}</p>
${table(BAND_HEADERS, bandRows(o, m))}
${baselines(d)}
<h3>Averages</h3><p class="meta">Means and standard deviations over all futures, an ended one with the values it ended with.</p>
${table(['measure', 'mean', 'std'], averageRows(s, m))}
<h3>Episodes</h3>${table(episodeHeaders, eps.map((x) => episodeRow(x, o.horizon, m)))}${d.episodeCount > eps.length ? `<p class="meta">First ${eps.length} of ${d.episodeCount} futures shown (at most ${MAX_EPISODE_ROWS}).</p>` : ''}</section>`;
}

function charts(d: PreparedReport): string {
  // Each chart twice: laid out for a page and for a phone (CSS shows one), so a phone's
  // chart text is not a scaled-down page chart's.
  return `<section id="charts"><h2>Charts</h2><p>${e(BANDS_NOTE)}</p>${d.charts
    .map(
      (c) =>
        `<figure><figcaption>${e(c.title)}</figcaption><div class="wide">${chartSvg(layoutChart(c), { title: false })}</div><div class="narrow">${chartSvg(layoutChart(c, PHONE_CHART_WIDTH, 200), { title: false })}</div></figure>`
    )
    .join('\n')}</section>`;
}

function strategy(d: PreparedReport): string {
  const s = d.simulation;
  return `<section id="strategy"><h2>Strategy</h2>${d.strategy.map((l) => `<p>${e(l)}</p>`).join('')}
${pairs(['allocation', 'mean share'], [['invest', formatPercent(s.avg_invest_pct)], ['save', formatPercent(s.avg_save_pct)], ['consume', formatPercent(s.avg_consume_pct)]])}
<h3>By year</h3>${table(['year', 'invest', 'save', 'consume'], d.allocationByYear.map((r) => [String(r.year), formatPercent(r.invest), formatPercent(r.save), formatPercent(r.consume)]))}</section>`;
}

function glossary(d: PreparedReport): string {
  return `<section id="glossary"><h2>Glossary</h2><dl class="glossary">${d.glossary.map((g) => `<dt>${e(g.term)}</dt><dd>${e(g.meaning)}</dd>`).join('')}</dl></section>`;
}

const RENDER = { summary, scenario, training, results, charts, strategy } as const;

/** One self-contained file: inline CSS and SVG, no scripts, no external resources. */
export function renderHtml(d: PreparedReport): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(d.title)}</title><style>${STYLE}</style></head>
<body><h1>${e(d.title)}</h1>
<p class="meta">Report ${e(d.report_id)} · generated ${e(d.generated_at)} · HRL Finance · amounts in ${e(d.money.code)} (${e(d.money.symbol)})</p>
${d.sections.map((s) => RENDER[s](d)).join('\n')}
${glossary(d)}
</body></html>
`;
}
