/** Query parameters whose values are secrets (the WebSocket token). */
const SECRET_PARAMS = new Set(['token']);

function isSecretParam(rawKey: string): boolean {
  let key: string;
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    // Undecodable: the query parser may still read it as a secret, so hide it.
    return true;
  }
  return SECRET_PARAMS.has(key.trim().toLowerCase());
}

/**
 * The URL as logged: every secret query value replaced by `[redacted]`. Keys are compared
 * after percent-decoding, as the query parser reads them, so `?%74oken=` is hidden too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    return isSecretParam(rawKey) ? `${rawKey}=[redacted]` : pair;
  });
  return `${url.slice(0, q + 1)}${pairs.join('&')}`;
}
