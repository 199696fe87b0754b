/** `http://h:p` → `ws://h:p/ws`; a `ws(s)://` URL with a path is used as given. */
export function toWsUrl(url: string, token?: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  if (token !== undefined) u.searchParams.set('token', token);
  return u.toString();
}

/** The HTTP origin (plus any base path before `/ws`) for REST calls. */
export function toHttpBase(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  const path = u.pathname.replace(/\/ws\/?$/, '').replace(/\/$/, '');
  return `${u.protocol}//${u.host}${path}`;
}
