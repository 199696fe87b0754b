import { chartSvg, layoutChart } from './charts.js';
import { fmt, MAX_EPISODE_ROWS, type PreparedReport } from './report-data.js';

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

const table = (head: string[], rows: Array<Array<string | number>>, numeric = true): string =>
  `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric && i > 0 ? ' class="num"' : ''}>${e(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

const keyValues = (obj: Record<string, unknown>): string =>
  table(
    ['field', 'value'],
    Object.entries(obj).map(([k, v]) => [k, typeof v === 'number' ? fmt(v, Number.isInteger(v) ? 0 : 4) : String(v ?? '–')])
  );

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #444;padding-bottom:.3em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}.meta{color:#666}.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:11em}.card b{display:block;font-size:1.3em}figure{margin:1em 0}
.desc{white-space:pre-wrap}`;

function summary(d: PreparedReport): string {
  const s = d.simulation;
  const card = (label: string, value: string) => `<div class="card">${e(label)}<b>${e(value)}</b></div>`;
  return `<section id="summary"><h2>Summary</h2>
<p>Simulation <code>${e(s.simulation_id)}</code> of model <b>${e(s.model_name)}</b> on scenario <b>${e(s.scenario_name)}</b>: ${e(s.num_episodes)} episodes, seed ${e(s.seed)}, run ${e(s.timestamp)}.</p>
<div class="cards">${card('Total wealth (mean)', fmt(s.total_wealth_mean))}${card('Final cash (mean)', fmt(s.final_cash_mean))}${card('Portfolio value (mean)', fmt(s.final_portfolio_mean))}${card('Invested (mean)', fmt(s.final_invested_mean))}${card('Investment gains (mean)', fmt(s.investment_gains_mean))}${card('Duration (months)', fmt(s.duration_mean, 1))}</div></section>`;
}

function scenario(d: PreparedReport): string {
  const c = d.scenario.config;
  return `<section id="scenario"><h2>Scenario: ${e(d.scenario.name)}</h2>
<p class="desc">${e(d.scenario.description || '(no description)')}</p>
<h3>Environment</h3>${keyValues(c.environment)}<h3>Training</h3>${keyValues(c.training)}<h3>Reward</h3>${keyValues(c.reward)}</section>`;
}

function training(d: PreparedReport): string {
  if (!d.model) return `<section id="training"><h2>Training</h2><p>The model ${e(d.simulation.model_name)} is no longer stored.</p></section>`;
  const m = d.model;
  const hist = Object.entries(m.training_history);
  return `<section id="training"><h2>Training</h2>
<p>Model <b>${e(m.summary.name)}</b> trained ${e(m.summary.episodes)} episodes on ${e(m.summary.scenario_name)} (saved ${e(m.summary.trained_at)}${m.summary.run_id ? `, run <code>${e(m.summary.run_id)}</code>` : ''}).</p>
${m.final_metrics ? `<h3>Final metrics</h3>${keyValues(m.final_metrics)}` : '<p>No final metrics were stored with this model.</p>'}
${hist.length > 0 ? `<h3>Training history</h3>${table(['metric', 'count', 'first', 'last', 'mean', 'min', 'max'], hist.map(([k, v]) => [k, v.count, fmt(v.first), fmt(v.last), fmt(v.mean), fmt(v.min), fmt(v.max)]))}` : '<p>No per-episode training history is stored for this model.</p>'}</section>`;
}

function results(d: PreparedReport): string {
  const s = d.simulation;
  const agg: Array<[string, number, number]> = [
    ['duration (months)', s.duration_mean, s.duration_std],
    ['final cash', s.final_cash_mean, s.final_cash_std],
    ['invested', s.final_invested_mean, s.final_invested_std],
    ['portfolio value', s.final_portfolio_mean, s.final_portfolio_std],
    ['total wealth', s.total_wealth_mean, s.total_wealth_std],
    ['investment gains', s.investment_gains_mean, s.investment_gains_std],
    ['episode reward', s.episode_reward_mean, s.episode_reward_std]
  ];
  const eps = d.episodeRows;
  return `<section id="results"><h2>Results</h2>
${table(['measure', 'mean', 'std'], agg.map(([k, m, sd]) => [k, fmt(m), fmt(sd)]))}
<h3>Episodes</h3>${table(
    ['episode', 'months', 'final cash', 'invested', 'portfolio', 'total wealth', 'gains'],
    eps.map((x) => [x.episode_id, x.duration, fmt(x.final_cash), fmt(x.final_invested), fmt(x.final_portfolio_value), fmt(x.total_wealth), fmt(x.investment_gains)])
  )}${d.episodeCount > eps.length ? `<p class="meta">First ${eps.length} of ${d.episodeCount} episodes shown (at most ${MAX_EPISODE_ROWS}).</p>` : ''}</section>`;
}

function charts(d: PreparedReport): string {
  return `<section id="charts"><h2>Charts</h2>${d.charts
    .map((c) => `<figure>${chartSvg(layoutChart(c))}</figure>`)
    .join('\n')}</section>`;
}

function strategy(d: PreparedReport): string {
  const s = d.simulation;
  return `<section id="strategy"><h2>Strategy</h2>${d.strategy
    .map((l) => `<p>${e(l)}</p>`)
    .join('')}
${table(['allocation', 'mean %'], [['invest', fmt(s.avg_invest_pct, 1)], ['save', fmt(s.avg_save_pct, 1)], ['consume', fmt(s.avg_consume_pct, 1)]])}
<h3>By year</h3>${table(['year', 'invest %', 'save %', 'consume %'], d.allocationByYear.map((r) => [r.year, fmt(r.invest, 1), fmt(r.save, 1), fmt(r.consume, 1)]))}</section>`;
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
<p class="meta">Report ${e(d.report_id)} · generated ${e(d.generated_at)} · HRL Finance</p>
${d.sections.map((s) => RENDER[s](d)).join('\n')}
</body></html>
`;
}
