import uPlot from 'uplot';
import { compact, DEFAULT_CURRENCY, money, num } from './format.js';

/**
 * The metrics of a training_progress payload charted against episode. `unit(currency)` is
 * the caption's unit, `axis` (or the currency) the y axis label; every value is a rolling mean over the last 10 episodes.
 */
export const METRICS = [
  { key: 'avg_reward', title: 'Average reward', unit: () => 'reward points per episode, higher is better', axis: 'points', color: '#0b5fff' },
  { key: 'avg_cash', title: 'Average cash at the end of an episode', unit: (c) => c, color: '#1a7f37', money: true },
  { key: 'avg_invested', title: 'Average invested at the end of an episode', unit: (c) => c, color: '#8250df', money: true },
  { key: 'stability', title: 'Stability', unit: () => 'score 0–1, higher is steadier', axis: 'score', color: '#9a6700', range: [0, 1] },
  { key: 'goal_adherence', title: 'Goal adherence gap', unit: () => 'share of budget 0–1, lower is better', axis: 'share of budget', color: '#cf222e' }
];

const HEIGHT = 220;

/** One uPlot per metric; `add` appends a progress payload. Made per selected run (its currency). */
export class Charts {
  /** @param {HTMLElement} root the element holding `figure[data-chart]` blocks */
  constructor(root, currency = DEFAULT_CURRENCY) {
    this.currency = currency;
    this.episodes = [];
    this.values = Object.fromEntries(METRICS.map((m) => [m.key, []]));
    this.observers = [];
    this.plots = METRICS.map((metric) => {
      const figure = root.querySelector(`[data-chart="${metric.key}"]`);
      const target = figure.querySelector('.plot');
      target.replaceChildren();
      const unit = metric.unit(currency);
      const caption = figure.querySelector('figcaption');
      caption.replaceChildren(Object.assign(document.createElement('span'), { className: 'title', textContent: `${metric.title} (${unit})` }));
      const latest = Object.assign(document.createElement('span'), { className: 'latest' });
      caption.append(latest);
      const plot = new uPlot(
        {
          width: Math.max(200, target.clientWidth || 300),
          height: HEIGHT,
          scales: { x: { time: false }, ...(metric.range && { y: { range: metric.range } }) },
          // A static legend: the series names show without hovering (the caption carries the latest value).
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
          axes: [
            { label: 'episode', labelSize: 20, values: (_u, splits) => splits.map((v) => compact(v)) },
            { label: metric.money ? currency : metric.axis, labelSize: 20, size: 56, values: (_u, splits) => splits.map((v) => compact(v)) }
          ],
          series: [
            { label: 'episode' },
            { label: `${metric.title.toLowerCase()}, mean of the last 10 episodes`, stroke: metric.color, width: 2 }
          ]
        },
        [[], []],
        target
      );
      const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, target.clientWidth), height: HEIGHT }));
      observer.observe(target);
      this.observers.push(observer);
      return { metric, figure, plot, latest };
    });
    this.pending = false;
  }

  destroy() {
    for (const observer of this.observers) observer.disconnect();
    for (const { plot } of this.plots) plot.destroy();
  }

  /** Appends one progress payload (ignores an episode not after the last one). */
  add(data) {
    const last = this.episodes[this.episodes.length - 1];
    if (last !== undefined && data.episode <= last) return;
    this.episodes.push(data.episode);
    for (const m of METRICS) this.values[m.key].push(data[m.key]);
    this.schedule();
  }

  /** Redraws at most once a frame, however fast events arrive. */
  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  format(metric, value) {
    return metric.money ? money(value, this.currency) : num(value);
  }

  render() {
    const n = this.episodes.length;
    for (const { metric, figure, plot, latest } of this.plots) {
      plot.setData([this.episodes, this.values[metric.key]]);
      figure.dataset.points = String(n);
      latest.textContent = n ? `latest ${this.format(metric, this.values[metric.key][n - 1])} at episode ${num(this.episodes[n - 1])}` : 'no episodes yet';
    }
  }

  /** One sentence for screen readers: the latest value of every chart. */
  summary() {
    const n = this.episodes.length;
    if (!n) return '';
    return `Episode ${this.episodes[n - 1]}: ${METRICS.map((m) => `${m.title} ${this.format(m, this.values[m.key][n - 1])}`).join(', ')}`;
  }
}
