import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { REPORT_SECTIONS, type GenerateReportBody, type ReportSection, type ReportType } from '../contracts/reports.js';
import { notFound, ServiceError } from '../errors.js';
import { DEFAULT_CURRENCY } from '../hrl/index.js';
import type { ModelService } from '../models/models.js';
import type { ReportRecord, Storage } from '../storage/index.js';
import type { ReportJob } from './report-job.js';
import { ServiceBusyError, type ReportRenderer } from './report-workers.js';

/** Reward-curve points read for a report (bucket means); the chart downsamples them to 400. */
const REWARD_CURVE_POINTS = 4000;

export const newReportId = (): string => `rep_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;

export const CONTENT_TYPES: Record<ReportType, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf'
};

export interface ReportServiceOptions {
  storage: Storage;
  models: ModelService;
  /** Report files live here (<dataDir>/reports), unless storage keeps their bytes (`reports.contentInDatabase`). */
  dir: string;
  /** Where reports are rendered (the report workers; tests inject failing ones). */
  renderer: ReportRenderer;
  /** Reports in progress at once, gathering, waiting or rendering; more get 503 with Retry-After. */
  maxInProgress: number;
  /** Reports kept per simulation (the newest); older ones go with their files when a new one is stored. */
  keepPerSimulation?: number;
}

/**
 * Generates report files next to their metadata, or, when storage keeps report bytes (a
 * deployment of several processes, where any of them must serve any report), in the
 * record's own row. A report exists completely or not at all: the file is written under
 * a temporary name and renamed into place, and the record is inserted last; any failure
 * removes the file and writes no record. The event loop
 * only reads storage and moves bytes: parsing, series and rendering happen in the renderer.
 */
export class ReportService {
  readonly #storage: Storage;
  readonly #models: ModelService;
  readonly #renderer: ReportRenderer;
  readonly #maxInProgress: number;
  readonly #keepPerSimulation: number;
  #inProgress = 0;
  readonly dir: string;

  constructor(options: ReportServiceOptions) {
    this.#storage = options.storage;
    this.#models = options.models;
    this.dir = options.dir;
    this.#renderer = options.renderer;
    this.#maxInProgress = options.maxInProgress;
    this.#keepPerSimulation = options.keepPerSimulation ?? Number.MAX_SAFE_INTEGER;
  }

  /** Deletes a report's record, then its file; false when there is no such report. */
  async delete(reportId: string): Promise<boolean> {
    const record = await this.#storage.reports.delete(reportId);
    if (!record) return false;
    await rm(this.filePath(record), { force: true });
    return true;
  }

  /** Deletes every report of these simulations (records, then files); returns how many. */
  async deleteForSimulations(simulationIds: readonly string[]): Promise<number> {
    return this.#removeFiles(await this.#storage.reports.deleteBeyond(simulationIds, 0));
  }

  async #removeFiles(records: readonly ReportRecord[]): Promise<number> {
    if (!this.#storage.reports.contentInDatabase) for (const record of records) await rm(this.filePath(record), { force: true });
    return records.length;
  }

  filePath(record: ReportRecord): string {
    return path.join(this.dir, record.file_name);
  }

  /** The report's bytes, from the database or a stream of its file; null when they are gone. */
  async content(record: ReportRecord): Promise<Buffer | Readable | null> {
    if (this.#storage.reports.contentInDatabase) return (await this.#storage.reports.content(record.report_id)) ?? null;
    const file = this.filePath(record);
    try {
      await stat(file);
    } catch {
      return null;
    }
    return createReadStream(file);
  }

  async #gather(type: ReportType, simulationId: string, reportId: string, title: string | undefined, sections: ReportSection[]): Promise<ReportJob> {
    const sim = await this.#storage.simulations.getWithResultBytes(simulationId);
    if (!sim) throw notFound('simulation', simulationId);
    const detail = await this.#models.detail(sim.model_name);
    // The figures stored with the run or model, never recomputed here (the baselines and
    // settings of older runs and imported models are absent and the report says so).
    const run = detail?.run_id ? await this.#storage.runs.get(detail.run_id) : undefined;
    const stored = detail?.final_metrics?.baselines ?? run?.baselines ?? null;
    const scenario = await this.#storage.scenarios.get(sim.scenario_name);
    let model: ReportJob['model'] = null;
    if (detail) {
      const { environment: _e, training: _t, reward: _r, seed: _s, training_history, final_metrics, ...summary } = detail;
      // Bucket means from the database, never every episode: the chart shows at most 400 points anyway.
      const curve = detail.run_id === null ? [] : await this.#storage.episodes.rewardCurve(detail.run_id, detail.episodes, REWARD_CURVE_POINTS);
      model = { summary, final_metrics, training_history, reward_curve: Float64Array.from(curve) };
    }
    return {
      type,
      report_id: reportId,
      title: title ?? `Simulation report: ${sim.model_name} on ${sim.scenario_name}`,
      generated_at: new Date().toISOString(),
      sections,
      simulation_json: sim.result_bytes,
      scenario: { name: sim.scenario_name, description: sim.description, config: sim.config },
      currency: scenario?.currency ?? DEFAULT_CURRENCY,
      training_settings: (detail?.training_settings ?? run?.training_settings ?? null) as ReportJob['training_settings'],
      baselines: stored,
      model
    };
  }

  async generate(body: GenerateReportBody): Promise<ReportRecord> {
    if (this.#inProgress >= this.#maxInProgress) {
      throw new ServiceBusyError('HRL_REPORTS_BUSY', `${this.#inProgress} reports are in progress, the most this service takes at once; retry in a few seconds`, 5);
    }
    this.#inProgress++;
    try {
      return await this.#generate(body);
    } finally {
      this.#inProgress--;
    }
  }

  async #generate(body: GenerateReportBody): Promise<ReportRecord> {
    const type: ReportType = body.report_type ?? 'html';
    const wanted = new Set(body.include_sections ?? []);
    // Empty means every section; the order is always the report's own.
    const sections = wanted.size === 0 ? [...REPORT_SECTIONS] : REPORT_SECTIONS.filter((s) => wanted.has(s));
    const reportId = newReportId();
    const job = await this.#gather(type, body.simulation_id, reportId, body.title, sections);
    const content = await this.#renderer.render(job);
    const fileName = `${reportId}.${type}`;
    const record: ReportRecord = {
      report_id: reportId,
      simulation_id: body.simulation_id,
      report_type: type,
      title: job.title,
      generated_at: job.generated_at,
      size_bytes: content.byteLength,
      sections,
      file_name: fileName
    };
    if (this.#storage.reports.contentInDatabase) {
      await this.#storage.reports.insert(record, content);
      await this.#undoIfOrphaned(record);
    } else {
      await this.#insertWithFile(record, content);
    }
    // Retention: the newest reports of a simulation stay, older ones go with their files.
    await this.#removeFiles(await this.#storage.reports.deleteBeyond([record.simulation_id], this.#keepPerSimulation));
    return record;
  }

  /**
   * The simulation may have been deleted while this report rendered. Its delete removes
   * its reports after the simulation row, so checking after our insert leaves no orphan
   * in any order: either we see it gone and undo, or its delete sees (and removes) ours.
   */
  async #undoIfOrphaned(record: ReportRecord): Promise<void> {
    if (await this.#storage.simulations.exists(record.simulation_id)) return;
    await this.#storage.reports.delete(record.report_id);
    throw new ServiceError(404, 'HRL_NOT_FOUND', `simulation ${JSON.stringify(record.simulation_id)} was deleted while its report was generated; no report was kept`);
  }

  async #insertWithFile(record: ReportRecord, content: Buffer): Promise<void> {
    const finalPath = this.filePath(record);
    const tmpPath = path.join(this.dir, `.${record.file_name}.${randomBytes(4).toString('hex')}.tmp`);
    await mkdir(this.dir, { recursive: true });
    try {
      await writeFile(tmpPath, content, { flag: 'wx' });
      await rename(tmpPath, finalPath);
      await this.#storage.reports.insert(record);
      await this.#undoIfOrphaned(record);
    } catch (error) {
      await rm(tmpPath, { force: true });
      await rm(finalPath, { force: true });
      throw error;
    }
  }
}
