/**
 * Rules that keep a page on another site from changing state here. Browsers send `Origin`
 * on every cross-origin write (also on form posts and no-cors fetches) and on every
 * WebSocket handshake, which CORS does not cover; a request without `Origin` comes from a
 * non-browser client (curl, the CLI), which a web page cannot forge.
 */

/** `scheme://host[:port]` with the scheme's default port left out, or null. */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}

/**
 * Whether `origin` may act on this service: the same scheme-less host as the request
 * (the dashboard itself), or one of the configured CORS origins (`*` allows any).
 */
export function originAllowed(origin: string, requestHost: string, corsOrigins: ReadonlySet<string>): boolean {
  if (corsOrigins.has('*')) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false; // includes the opaque origin `null`
  if (corsOrigins.has(normalized)) return true;
  const { protocol, host } = new URL(normalized);
  const defaultPort = protocol === 'https:' ? ':443' : ':80';
  const ownHost = requestHost.toLowerCase().endsWith(defaultPort) ? requestHost.slice(0, -defaultPort.length) : requestHost;
  return host === ownHost.toLowerCase();
}

/** Media types a write may carry: JSON everywhere, YAML where a route parses it (scenario import). */
const WRITE_MEDIA_TYPES = new Set(['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

export function mediaTypeOf(contentType: string): string {
  return contentType.split(';', 1)[0].trim().toLowerCase();
}

export const acceptedWriteType = (mediaType: string): boolean => WRITE_MEDIA_TYPES.has(mediaType);

export const STATE_CHANGING = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
