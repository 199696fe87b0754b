import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPORT_SECTIONS, type GenerateReportBody, type ReportSection, type ReportType } from '../contracts/reports.js';
import type { SimulationResult } from '../contracts/simulation.js';
import { notFound } from '../errors.js';
import type { ModelService } from '../models/models.js';
import type { ReportRecord, Storage } from '../storage/index.js';
import { renderHtml } from './html.js';
import { renderPdf } from './pdf.js';
import type { ReportData } from './report-data.js';

export const newReportId = (): string => `rep_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;

export type Renderer = (data: ReportData) => Promise<Buffer>;

export const DEFAULT_RENDERERS: Record<ReportType, Renderer> = {
  html: async (data) => Buffer.from(renderHtml(data), 'utf8'),
  pdf: renderPdf
};

export const CONTENT_TYPES: Record<ReportType, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf'
};

export interface ReportServiceOptions {
  storage: Storage;
  models: ModelService;
  /** Report files live here (<dataDir>/reports). */
  dir: string;
  /** Tests inject failing renderers. */
  renderers?: Partial<Record<ReportType, Renderer>>;
}

/**
 * Generates report files next to their metadata. A report exists completely or not at
 * all: the file is written under a temporary name and renamed into place, and the record
 * is inserted last; any failure removes the file and writes no record.
 */
export class ReportService {
  readonly #storage: Storage;
  readonly #models: ModelService;
  readonly #renderers: Record<ReportType, Renderer>;
  readonly dir: string;

  constructor(options: ReportServiceOptions) {
    this.#storage = options.storage;
    this.#models = options.models;
    this.dir = options.dir;
    this.#renderers = { ...DEFAULT_RENDERERS, ...options.renderers };
  }

  filePath(record: ReportRecord): string {
    return path.join(this.dir, record.file_name);
  }

  async #gather(simulationId: string, reportId: string, title: string | undefined, sections: ReportSection[]): Promise<ReportData> {
    const sim = await this.#storage.simulations.get(simulationId);
    if (!sim) throw notFound('simulation', simulationId);
    const result = sim.result as unknown as SimulationResult;
    const detail = await this.#models.detail(sim.model_name);
    let model: ReportData['model'] = null;
    if (detail) {
      const { environment: _e, training: _t, reward: _r, seed: _s, training_history, final_metrics, ...summary } = detail;
      const history = detail.run_id === null ? [] : await this.#storage.episodes.list(detail.run_id);
      model = {
        summary,
        final_metrics,
        training_history,
        reward_curve: history.filter((h) => h.episode <= detail.episodes).map((h) => h.episode_reward)
      };
    }
    return {
      report_id: reportId,
      title: title ?? `Simulation report: ${sim.model_name} on ${sim.scenario_name}`,
      generated_at: new Date().toISOString(),
      sections,
      simulation: result,
      scenario: { name: sim.scenario_name, description: sim.description, config: sim.config },
      model
    };
  }

  async generate(body: GenerateReportBody): Promise<ReportRecord> {
    const type: ReportType = body.report_type ?? 'html';
    const wanted = new Set(body.include_sections ?? []);
    // Empty means every section; the order is always the report's own.
    const sections = wanted.size === 0 ? [...REPORT_SECTIONS] : REPORT_SECTIONS.filter((s) => wanted.has(s));
    const reportId = newReportId();
    const data = await this.#gather(body.simulation_id, reportId, body.title, sections);

    const content = await this.#renderers[type](data);
    const fileName = `${reportId}.${type}`;
    const finalPath = path.join(this.dir, fileName);
    const tmpPath = path.join(this.dir, `.${fileName}.${randomBytes(4).toString('hex')}.tmp`);
    const record: ReportRecord = {
      report_id: reportId,
      simulation_id: body.simulation_id,
      report_type: type,
      title: data.title,
      generated_at: data.generated_at,
      size_bytes: content.byteLength,
      sections,
      file_name: fileName
    };
    await mkdir(this.dir, { recursive: true });
    try {
      await writeFile(tmpPath, content, { flag: 'wx' });
      await rename(tmpPath, finalPath);
      await this.#storage.reports.insert(record);
    } catch (error) {
      await rm(tmpPath, { force: true });
      await rm(finalPath, { force: true });
      throw error;
    }
    return record;
  }
}
