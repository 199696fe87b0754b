// Numbers as a person reads them: grouped thousands, decimals by magnitude, tiny values
// as 1e-5 rather than 0.0000, money with its currency (the scenario's, default EUR).

export const DEFAULT_CURRENCY = 'EUR';

/** A plain number, its decimals chosen by magnitude. */
export function num(value, { signed = false } = {}) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const sign = signed && value > 0 ? '+' : '';
  if (abs !== 0 && abs < 0.001) return sign + value.toExponential(1).replace('.0e', 'e');
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return sign + value.toLocaleString('en', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

const moneyFormats = new Map();
/** An amount with its currency: "€12,345" / "CHF 1,200". An unknown code falls back to "1,200 XYZ". */
export function money(value, currency = DEFAULT_CURRENCY) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : 2;
  const key = `${currency}/${digits}`;
  let format = moneyFormats.get(key);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: digits });
    } catch {
      format = { format: (v) => `${num(v)} ${currency}` };
    }
    moneyFormats.set(key, format);
  }
  return format.format(value);
}

/** Short axis ticks: 12k, 1.5M, keeping small values readable. */
export function compact(value) {
  if (!Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  if (abs >= 10_000) return value.toLocaleString('en', { notation: 'compact', maximumFractionDigits: 1 });
  return num(value);
}

/** 0.42 → "42 %". */
export const pct = (share) => (Number.isFinite(share) ? `${Math.round(share * 100)} %` : '–');

/** `emergency_fund_first` + {k: 1.5} → "Emergency fund first (k = 1.5)". */
export function ruleName(name, params = {}) {
  const words = String(name).replace(/_/g, ' ');
  const label = {
    fifty_thirty_twenty: '50/30/20 rule',
    invest_above_expenses: 'Invest what is left after expected expenses',
    emergency_fund_first: 'Emergency fund first',
    save_everything: 'Save everything'
  }[name] ?? words.charAt(0).toUpperCase() + words.slice(1);
  if (name === 'emergency_fund_first' && Number.isFinite(params.k)) return `${label} (saves until cash reaches ${num(params.k)} × the safety threshold, then invests)`;
  const args = Object.entries(params).map(([k, v]) => `${k} = ${num(v)}`);
  return args.length ? `${label} (${args.join(', ')})` : label;
}

/** [invest, save, consume] shares → "invest 40 %, save 30 %, consume 30 %". */
export const allocation = (shares) => `invest ${pct(shares[0])}, save ${pct(shares[1])}, consume ${pct(shares[2])}`;
