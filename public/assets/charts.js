import uPlot from '/vendor/uplot/uPlot.esm.js';

/** The metrics of a training_progress payload charted against episode. */
export const METRICS = [
  { key: 'avg_reward', label: 'avg reward', color: '#0b5fff', digits: 2 },
  { key: 'avg_cash', label: 'avg cash', color: '#1a7f37', digits: 0 },
  { key: 'avg_invested', label: 'avg invested', color: '#8250df', digits: 0 },
  { key: 'stability', label: 'stability', color: '#bf8700', digits: 3, range: [0, 1] },
  { key: 'goal_adherence', label: 'goal adherence gap', color: '#cf222e', digits: 3 }
];

const HEIGHT = 200;

/** One uPlot per metric; `add` appends a progress payload, `reset` clears for another run. */
export class Charts {
  /** @param {HTMLElement} root the element holding `figure[data-chart]` blocks */
  constructor(root) {
    this.episodes = [];
    this.values = Object.fromEntries(METRICS.map((m) => [m.key, []]));
    this.plots = METRICS.map((metric) => {
      const figure = root.querySelector(`[data-chart="${metric.key}"]`);
      const target = figure.querySelector('.plot');
      const plot = new uPlot(
        {
          width: Math.max(200, target.clientWidth || 300),
          height: HEIGHT,
          scales: { x: { time: false }, ...(metric.range && { y: { range: metric.range } }) },
          axes: [{ label: 'episode' }, { size: 60 }],
          series: [
            { label: 'episode' },
            { label: metric.label, stroke: metric.color, width: 2, value: (_u, v) => (v == null ? '–' : v.toFixed(metric.digits)) }
          ]
        },
        [[], []],
        target
      );
      new ResizeObserver(() => plot.setSize({ width: Math.max(200, target.clientWidth), height: HEIGHT })).observe(target);
      return { metric, figure, plot };
    });
    this.pending = false;
  }

  reset() {
    this.episodes = [];
    for (const m of METRICS) this.values[m.key] = [];
    this.render();
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

  render() {
    for (const { metric, figure, plot } of this.plots) {
      plot.setData([this.episodes, this.values[metric.key]]);
      figure.dataset.points = String(this.episodes.length);
    }
  }

  get points() {
    return this.episodes.length;
  }
}
