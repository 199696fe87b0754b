// Chart geometry computed once and drawn twice: as inline SVG (HTML reports) and with
// PDFKit's vector path operations (PDF reports), so both formats show the same charts.

export interface Series {
  name: string;
  color: string;
  /** y values; x is 1-based index unless `x` is given. */
  values: readonly number[];
  x?: readonly number[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** A fixed y range (e.g. 0–100 for shares), widened if the data leave it. */
  yRange?: [number, number];
  /** Shaded areas between two series of the same x (e.g. the P10–P90 band), drawn under the lines. */
  areas?: ReadonlyArray<{ color: string; lower: readonly number[]; upper: readonly number[]; x?: readonly number[] }>;
}

export interface Tick {
  value: number;
  label: string;
  /** Position in chart pixels. */
  at: number;
}

export interface ChartGeometry {
  title: string;
  xLabel: string;
  yLabel: string;
  width: number;
  height: number;
  /** Plot area inside the chart box. */
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: Tick[];
  yTicks: Tick[];
  lines: Array<{ name: string; color: string; points: Array<[number, number]> }>;
  /** Closed polygons (upper edge left to right, then lower edge back), drawn translucent. */
  areas: Array<{ color: string; points: Array<[number, number]> }>;
  /** Legend entries, wrapped into rows below the x label so no two overlap. */
  legend: Array<{ name: string; color: string; x: number; y: number }>;
}

/** Legend and axis text size in chart pixels (the PDF scales it with the chart). */
export const LABEL_SIZE = 11;
/**
 * Width budgeted per character of a legend entry: 0.62 em is above the average advance of
 * DejaVu Sans (the PDF font) and of common system sans fonts, so entries never overlap.
 */
const CHAR_WIDTH = 0.62 * LABEL_SIZE;
const LEGEND_ROW = 16;
/** Below the plot: tick labels, then the x label, then the legend's first row. */
const LEGEND_TOP = 52;
const LEGEND_SWATCH = 16;
const LEGEND_GAP = 14;

/** Rows of legend entries that fit between `left` and `right`; [x, row] per entry. */
function legendRows(names: readonly string[], left: number, right: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let x = left;
  let row = 0;
  for (const name of names) {
    const w = LEGEND_SWATCH + name.length * CHAR_WIDTH;
    if (x > left && x + w > right) {
      row++;
      x = left;
    }
    out.push([x, row]);
    x += w + LEGEND_GAP;
  }
  return out;
}

/** No axis gets more ticks than this, whatever the data. */
export const MAX_TICKS = 12;

/**
 * A span this small against the values' size is drawn as a flat line: finer steps would
 * fall below the floating-point resolution of the values (the old loop never advanced).
 */
const FLAT_RELATIVE_SPAN = 1e-6;

/** [min, max] widened around a flat value by 10 % of it (1 around zero), kept finite. */
function padFlat(centre: number): [number, number] {
  const pad = Math.abs(centre) * 0.1;
  if (!(pad >= 1e-300)) return [centre - 1, centre + 1];
  return [Math.max(-Number.MAX_VALUE, centre - pad), Math.min(Number.MAX_VALUE, centre + pad)];
}

/**
 * Round tick steps (1, 2, 5 × 10^k) covering [min, max] with about `count` ticks. Bounded
 * for any input: ticks are computed by index (never by repeated addition), at most
 * MAX_TICKS of them, all finite; a flat or near-flat range is padded, a non-finite bound
 * falls back to the other one (or to 0–1).
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const want = Number.isFinite(count) ? Math.min(MAX_TICKS - 2, Math.max(1, Math.round(count))) : 5;
  if (!Number.isFinite(min) && !Number.isFinite(max)) return [0, 1];
  if (!Number.isFinite(min)) min = max;
  if (!Number.isFinite(max)) max = min;
  if (min > max) [min, max] = [max, min];
  // Halves keep every difference below Number.MAX_VALUE.
  const centre = min / 2 + max / 2;
  const halfSpan = max / 2 - min / 2;
  if (halfSpan <= Math.max(Math.abs(min), Math.abs(max)) * (FLAT_RELATIVE_SPAN / 2) || halfSpan < 1e-300) [min, max] = padFlat(centre);
  const raw = max / want - min / want;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (!(step > 0) || !Number.isFinite(step)) return [min, max];
  let first = Math.floor(min / step);
  // min / step can underflow to -0 (subnormal min): one step down restores the cover.
  if (first * step > min) first -= 1;
  const intervals = Math.min(MAX_TICKS - 1, Math.max(1, Math.ceil(max / step - first)));
  const ticks: number[] = [];
  for (let i = 0; i <= intervals; i++) {
    // At the ends of the double range a round tick may not exist: the extreme value stands in.
    const v = Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, Number(((first + i) * step).toPrecision(12))));
    if (ticks.length === 0 || v > ticks[ticks.length - 1]!) ticks.push(v);
  }
  if (ticks.length < 2) return [min, max];
  return ticks;
}

/** A tick label with as many decimals as the tick step needs (exponent notation past six). */
export function formatTick(v: number, step = 1): string {
  const a = Math.abs(v);
  if (!(step > 0) || !Number.isFinite(step)) return v.toPrecision(6);
  if (a >= 1e15 || (a > 0 && a < 1e-6) || step < 1e-6) {
    // Enough significant digits that neighbouring ticks get different labels.
    const digits = Math.min(15, Math.max(1, Math.ceil(Math.log10(Math.max(a, step) / step)) + 1));
    return v.toPrecision(digits);
  }
  if (a >= 1e6 && step >= 1e5) return `${(v / 1e6).toFixed(step >= 1e6 ? 0 : 1)}M`;
  if (a >= 1e4 && step >= 1e3) return `${(v / 1e3).toFixed(0)}k`;
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** Mean of the finite values in values[from, to); NaN when there are none. Never overflows. */
function finiteMean(values: readonly number[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (Number.isFinite(values[i])) n++;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = from; i < to; i++) if (Number.isFinite(values[i])) s += values[i]! / n;
  return s;
}

/** At most `max` points: bucket means, so a long history keeps its shape in a small file. */
export function downsample(values: readonly number[], max: number): { x: number[]; y: number[] } {
  if (values.length <= max) return { x: values.map((_, i) => i + 1), y: values.map((v) => (Number.isFinite(v) ? v : NaN)) };
  const x: number[] = [];
  const y: number[] = [];
  const size = values.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    x.push((from + to + 1) / 2);
    y.push(finiteMean(values, from, to));
  }
  return { x, y };
}

/**
 * Mean of the finite values among the last `window` ones, at every index. Each window is
 * summed afresh (cost values × window, window small) so one huge or non-finite value
 * cannot poison the rest of the curve the way a running sum would.
 */
export function rollingMean(values: readonly number[], window: number): number[] {
  const w = Math.max(1, Math.floor(window));
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) out.push(finiteMean(values, Math.max(0, i - w + 1), i + 1));
  return out;
}

const stepOf = (ticks: number[]) => (ticks.length > 1 ? ticks[1]! - ticks[0]! : 1);

export function layoutChart(spec: ChartSpec, width = 640, plotHeight = 220): ChartGeometry {
  // The legend wraps into as many rows as its entries need; the chart grows to hold them.
  const rows = legendRows(spec.series.map((s) => s.name), 60, width - 15);
  const legendHeight = LEGEND_ROW * (1 + Math.max(0, ...rows.map(([, r]) => r)));
  const height = plotHeight + LEGEND_TOP + legendHeight;
  const plot = { left: 60, top: 30, right: width - 15, bottom: plotHeight };
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of spec.series) {
    s.values.forEach((v, i) => {
      const x = s.x?.[i] ?? i + 1;
      if (!Number.isFinite(v) || !Number.isFinite(x)) return;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, v);
      yMax = Math.max(yMax, v);
    });
  }
  if (!Number.isFinite(xMin)) {
    xMin = 0;
    xMax = 1;
    yMin = 0;
    yMax = 1;
  }
  if (xMin === xMax) xMax = xMin + 1;
  if (spec.yRange) {
    const [lo, hi] = spec.yRange;
    if (Number.isFinite(lo)) yMin = Math.min(yMin, lo);
    if (Number.isFinite(hi)) yMax = Math.max(yMax, hi);
  }
  const yT = niceTicks(yMin, yMax);
  const xT = niceTicks(xMin, xMax, 6).filter((v) => v >= xMin && v <= xMax);
  const y0 = yT[0]!;
  const y1 = yT[yT.length - 1]!;
  // Halves keep the differences finite for values near ±Number.MAX_VALUE.
  const frac = (v: number, lo: number, hi: number) => (v / 2 - lo / 2) / (hi / 2 - lo / 2 || 1);
  const sx = (x: number) => plot.left + frac(x, xMin, xMax) * (plot.right - plot.left);
  const sy = (y: number) => plot.bottom - frac(y, y0, y1) * (plot.bottom - plot.top);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    width,
    height,
    plot,
    xTicks: xT.map((v) => ({ value: v, label: formatTick(v, stepOf(xT)), at: round(sx(v)) })),
    yTicks: yT.map((v) => ({ value: v, label: formatTick(v, stepOf(yT)), at: round(sy(v)) })),
    lines: spec.series.map((s) => ({
      name: s.name,
      color: s.color,
      points: s.values.flatMap((v, i): Array<[number, number]> => {
        const x = s.x?.[i] ?? i + 1;
        return Number.isFinite(v) && Number.isFinite(x) ? [[round(sx(x)), round(sy(v))]] : [];
      })
    })),
    areas: (spec.areas ?? []).map((a) => {
      const upper: Array<[number, number]> = [];
      const lower: Array<[number, number]> = [];
      a.upper.forEach((hi, i) => {
        const lo = a.lower[i]!;
        const x = a.x?.[i] ?? i + 1;
        if (!Number.isFinite(hi) || !Number.isFinite(lo) || !Number.isFinite(x)) return;
        upper.push([round(sx(x)), round(sy(hi))]);
        lower.push([round(sx(x)), round(sy(lo))]);
      });
      return { color: a.color, points: upper.length > 1 ? [...upper, ...lower.reverse()] : [] };
    }),
    legend: spec.series.map((s, i) => ({ name: s.name, color: s.color, x: rows[i]![0], y: plotHeight + LEGEND_TOP + LEGEND_ROW * rows[i]![1] }))
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline SVG (no scripts, no external references). `title: false` leaves the title to the page (a caption that wraps). */
export function chartSvg(g: ChartGeometry, options: { title?: boolean } = {}): string {
  const { plot } = g;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${g.width} ${g.height}" width="${g.width}" height="${g.height}" role="img" aria-label="${esc(g.title)}" font-family="DejaVu Sans, Verdana, sans-serif">`
  );
  if (options.title !== false) parts.push(`<text x="${g.width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(g.title)}</text>`);
  for (const t of g.yTicks) {
    parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${t.at}" y2="${t.at}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${t.at + 4}" text-anchor="end" font-size="11">${esc(t.label)}</text>`);
  }
  for (const t of g.xTicks) {
    parts.push(`<text x="${t.at}" y="${plot.bottom + 16}" text-anchor="middle" font-size="11">${esc(t.label)}</text>`);
  }
  parts.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 32}" text-anchor="middle" font-size="11">${esc(g.xLabel)}</text>`);
  parts.push(
    `<text x="14" y="${(plot.top + plot.bottom) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${(plot.top + plot.bottom) / 2})">${esc(g.yLabel)}</text>`
  );
  for (const area of g.areas) {
    if (area.points.length === 0) continue;
    parts.push(`<polygon fill="${esc(area.color)}" fill-opacity="0.18" stroke="none" points="${area.points.map(([x, y]) => `${x},${y}`).join(' ')}"/>`);
  }
  for (const line of g.lines) {
    if (line.points.length === 0) continue;
    parts.push(`<polyline fill="none" stroke="${esc(line.color)}" stroke-width="1.8" points="${line.points.map(([x, y]) => `${x},${y}`).join(' ')}"/>`);
  }
  for (const item of g.legend) {
    parts.push(`<rect x="${item.x}" y="${item.y - 8}" width="12" height="4" fill="${esc(item.color)}"/>`);
    parts.push(`<text x="${item.x + LEGEND_SWATCH}" y="${item.y - 2}" font-size="${LABEL_SIZE}">${esc(item.name)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
