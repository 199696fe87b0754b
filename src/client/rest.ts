import { toHttpBase } from './urls.js';
import type {
  HealthResponse,
  Run,
  RunEventsResponse,
  RunHistoryResponse,
  RunListResponse,
  RunStatus,
  DeletedResponse,
  Scenario,
  ScenarioBody,
  ScenarioListResponse,
  ScenarioTemplatesResponse,
  ScenarioUpdateBody,
  StartTrainingBody,
  StartTrainingResponse,
  StopTrainingBody,
  StopTrainingResponse,
  TrainingStatusResponse
} from './types.js';

export interface RestOptions {
  /** Service base URL, e.g. `http://127.0.0.1:8000` (a `ws://…/ws` URL works too). */
  url: string;
  token?: string;
  fetch?: typeof fetch;
}

/** A non-2xx answer; `body` is Fastify's `{ statusCode, code, error, message }` when the server sent one. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly body: unknown
  ) {
    super(message);
  }
}


/** Typed helper for the training and scenario routes of docs/protocol.md §2. */
export class RestClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: RestOptions) {
    this.baseUrl = toHttpBase(options.url);
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  health(): Promise<HealthResponse> {
    return this.request('GET', '/health');
  }

  // ---- training ----
  startTraining(body: StartTrainingBody): Promise<StartTrainingResponse> {
    return this.request('POST', '/api/training/start', body);
  }
  stopTraining(body: StopTrainingBody = {}): Promise<StopTrainingResponse> {
    return this.request('POST', '/api/training/stop', body);
  }
  trainingStatus(): Promise<TrainingStatusResponse> {
    return this.request('GET', '/api/training/status');
  }
  listRuns(query: { scenario_name?: string; status?: RunStatus; limit?: number; offset?: number } = {}): Promise<RunListResponse> {
    return this.request('GET', `/api/training/runs${toQuery(query)}`);
  }
  getRun(runId: string): Promise<Run> {
    return this.request('GET', `/api/training/runs/${encodeURIComponent(runId)}`);
  }
  runHistory(runId: string): Promise<RunHistoryResponse> {
    return this.request('GET', `/api/training/runs/${encodeURIComponent(runId)}/history`);
  }
  runEvents(runId: string, afterSeq = 0, limit?: number): Promise<RunEventsResponse> {
    return this.request('GET', `/api/training/runs/${encodeURIComponent(runId)}/events${toQuery({ after_seq: afterSeq, limit })}`);
  }

  // ---- scenarios ----
  /** `GET /api/scenarios`: summaries, newest first. */
  listScenarios(): Promise<ScenarioListResponse> {
    return this.request('GET', '/api/scenarios');
  }
  /** `GET /api/scenarios/templates`: the five built-in profiles, ready to create from. */
  listTemplates(): Promise<ScenarioTemplatesResponse> {
    return this.request('GET', '/api/scenarios/templates');
  }
  getScenario(name: string): Promise<Scenario> {
    return this.request('GET', `/api/scenarios/${encodeURIComponent(name)}`);
  }
  createScenario(body: ScenarioBody): Promise<Scenario> {
    return this.request('POST', '/api/scenarios', body);
  }
  updateScenario(name: string, body: ScenarioUpdateBody): Promise<Scenario> {
    return this.request('PUT', `/api/scenarios/${encodeURIComponent(name)}`, body);
  }
  deleteScenario(name: string): Promise<DeletedResponse> {
    return this.request('DELETE', `/api/scenarios/${encodeURIComponent(name)}`);
  }
  /** The original YAML format, importable again. */
  exportScenario(name: string): Promise<string> {
    return this.request('GET', `/api/scenarios/${encodeURIComponent(name)}/export`, undefined, 'text');
  }
  /** Imports a scenario file in the original YAML format; `name` overrides the file's own. */
  importScenario(yaml: string, name?: string): Promise<Scenario> {
    return this.request('POST', `/api/scenarios/import${toQuery({ name })}`, yaml, 'json', 'application/yaml');
  }

  /** Any route: JSON in, JSON (or text) out; throws HttpError on non-2xx. */
  async request<T>(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json', contentType?: string): Promise<T> {
    const headers: Record<string, string> = { accept: as === 'json' ? 'application/json' : '*/*' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      payload = typeof body === 'string' && contentType !== undefined ? body : JSON.stringify(body);
    }
    const res = await this.#fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    if (!res.ok) {
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      const err = parsed as { code?: string; message?: string };
      throw new HttpError(res.status, err?.code, `${method} ${path}: ${res.status} ${err?.message ?? text}`, parsed);
    }
    if (as === 'text') return text as T;
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

function toQuery(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
