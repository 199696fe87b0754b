import http from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

/**
 * One HTTP request over a real socket with exactly the headers given (fetch would not let
 * a test set Host, nor send a body-less POST without its own defaults).
 */
export async function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} });
  req.end(opts.body);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk;
  return { status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) };
}

export interface UpgradeOutcome {
  /** 101 when the socket opened, else the HTTP status of the refusal. */
  status: number;
  body: string;
  /** Frames received before the refusal (always 0 when refused before the upgrade). */
  frames: number;
}

/** Tries a WebSocket handshake and reports whether it opened or what HTTP error refused it. */
export async function tryUpgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<UpgradeOutcome> {
  const ws = new WebSocket(url, options);
  let frames = 0;
  ws.on('message', () => frames++);
  ws.on('error', () => {}); // terminate() before the handshake reports an error by design
  const outcome = await new Promise<UpgradeOutcome>((resolve) => {
    ws.once('open', () => resolve({ status: 101, body: '', frames }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, frames }));
      res.on('error', () => resolve({ status: res.statusCode!, body, frames }));
    });
  });
  ws.terminate();
  return outcome;
}
