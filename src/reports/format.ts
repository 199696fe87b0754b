// Numbers and money as a reader wants them: digits by magnitude (never "0.0000" for a tiny
// value, never sixteen digits for a huge one) and every amount with its currency. Shared by
// the HTML and PDF renderers so both print the same strings.

/** Shown for a missing or non-finite value. */
export const MISSING = '–';

const LOCALE = 'en-US';
const grouped = (digits: number) => new Intl.NumberFormat(LOCALE, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const FORMATS = [grouped(0), grouped(1), grouped(2)];
const SIGNIFICANT = new Intl.NumberFormat(LOCALE, { maximumSignificantDigits: 3 });

/** "1.23e-5", "-4e+20" → "-4e20": exponent notation with at most three significant digits. */
export function exponent(v: number): string {
  const [mantissa, exp] = v.toExponential(2).split('e') as [string, string];
  const m = mantissa.replace(/\.?0+$/, '');
  return `${m}e${exp.replace(/^\+/, '')}`;
}

/** Beyond these the plain form would print 0.000… or a long row of digits. */
const TINY = 1e-3;
const HUGE = 1e15;

/**
 * A number formatted by its magnitude: exponent notation below 0.001 and from 10¹⁵ on,
 * three significant digits below 1, up to `digits` decimals below 1,000, whole numbers
 * (grouped) above. `digits` caps the decimals of ordinary values (default 2).
 */
export function formatNumber(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < TINY || a >= HUGE) return exponent(v);
  if (a < 1) return SIGNIFICANT.format(v);
  if (a < 1000) return FORMATS[Math.max(0, Math.min(2, digits))]!.format(v);
  return FORMATS[0]!.format(v);
}

/** A percentage of a 0–100 value, e.g. "42.5%". */
export const formatPercent = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? MISSING : `${FORMATS[Math.max(0, Math.min(2, digits))]!.format(v)}%`;

/** A share 0–1 as a percentage. */
export const formatShare = (v: number | null | undefined, digits = 1): string => formatPercent(v === null || v === undefined ? v : 100 * v, digits);

export interface Money {
  /** ISO 4217 code, e.g. EUR. */
  code: string;
  /** The symbol as printed, e.g. €, $, CHF. */
  symbol: string;
  format(v: number | null | undefined): string;
}

/**
 * Amounts in `code` with its symbol: cents below 1,000, whole units above, exponent
 * notation for a non-zero amount under a cent or from 10¹⁵ on. An unknown code is printed
 * as "CODE 12.00" rather than failing a report (the service validates codes on input).
 */
export function money(code: string): Money {
  let cents: Intl.NumberFormat;
  let whole: Intl.NumberFormat;
  try {
    cents = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: code });
    whole = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: code, maximumFractionDigits: 0, minimumFractionDigits: 0 });
  } catch {
    const plain = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? MISSING : `${code} ${formatNumber(v)}`);
    return { code, symbol: code, format: plain };
  }
  const symbol = cents.formatToParts(1).find((p) => p.type === 'currency')?.value ?? code;
  // The currency's own decimals (0 for JPY): below its smallest unit an amount is "tiny".
  const unit = 10 ** -(cents.resolvedOptions().maximumFractionDigits ?? 2);
  // The number's parts (integer groups, separators, fraction) replaced by one exponent string.
  const withNumber = (v: number, text: string) => {
    let placed = false;
    return whole
      .formatToParts(v)
      .map((p) => {
        if (p.type !== 'integer' && p.type !== 'group' && p.type !== 'decimal' && p.type !== 'fraction') return p.value;
        if (placed) return '';
        placed = true;
        return text;
      })
      .join('');
  };
  const format = (v: number | null | undefined): string => {
    if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
    if (v === 0) return cents.format(0);
    const a = Math.abs(v);
    if (a < unit / 2 || a >= HUGE) return withNumber(v, exponent(a));
    return (a < 1000 ? cents : whole).format(v);
  };
  return { code, symbol, format };
}
