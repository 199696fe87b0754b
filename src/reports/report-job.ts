// What the report worker is sent and how it turns that into a file. The simulation comes
// as its stored JSON bytes and the reward curve as a Float64Array, both transferred, so
// the event loop never decodes, parses, copies or walks the per-month histories.
import type { ReportSection, ReportType } from '../contracts/reports.js';
import type { SimulationResult } from '../contracts/simulation.js';
import { renderHtml } from './html.js';
import { renderPdf } from './pdf.js';
import { prepareReport, type ReportData } from './report-data.js';

export interface ReportJob {
  type: ReportType;
  report_id: string;
  title: string;
  generated_at: string;
  sections: ReportSection[];
  /** The stored SimulationResult as UTF-8 JSON bytes (transferred to the worker, not copied). */
  simulation_json: Uint8Array;
  scenario: ReportData['scenario'];
  currency: ReportData['currency'];
  training_settings: ReportData['training_settings'];
  baselines: ReportData['baselines'];
  model: (Omit<NonNullable<ReportData['model']>, 'reward_curve'> & { reward_curve: Float64Array }) | null;
}

export type ToReportWorker = { jobId: number; job: ReportJob };
export type FromReportWorker =
  | { jobId: number; ok: true; bytes: ArrayBuffer }
  | { jobId: number; ok: false; error: { name: string; message: string } };

/** Parses, prepares (every series once) and renders one report. */
export async function renderReport(job: ReportJob): Promise<Buffer> {
  const { type, simulation_json, ...rest } = job;
  const text = Buffer.from(simulation_json.buffer, simulation_json.byteOffset, simulation_json.byteLength).toString('utf8');
  const prepared = prepareReport({ ...rest, simulation: JSON.parse(text) as SimulationResult });
  return type === 'html' ? Buffer.from(renderHtml(prepared), 'utf8') : renderPdf(prepared);
}
