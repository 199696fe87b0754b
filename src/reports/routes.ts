import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponseSchema } from '../contracts/common.js';
import {
  GenerateReportBodySchema,
  ReportListQuerySchema,
  ReportListResponseSchema,
  ReportMetadataSchema,
  ReportDeletedResponseSchema,
  ReportParamsSchema,
  type ReportMetadata
} from '../contracts/reports.js';
import { notFound, ServiceError } from '../errors.js';
import type { ReportRecord } from '../storage/index.js';
import { CONTENT_TYPES } from './report-service.js';
import { ServiceBusyError } from './report-workers.js';

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema };

const metadata = (r: ReportRecord): ReportMetadata => ({
  report_id: r.report_id,
  simulation_id: r.simulation_id,
  report_type: r.report_type,
  title: r.title,
  generated_at: r.generated_at,
  file_size_kb: Math.round((r.size_bytes / 1024) * 100) / 100,
  sections: r.sections as ReportMetadata['sections'],
  download_url: `/api/reports/${r.report_id}`
});

/** Report routes of docs/protocol.md §2. */
export const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { reports } = app;

  app.post(
    '/generate',
    {
      schema: {
        tags: ['reports'],
        summary: 'Generate an HTML or PDF report of a stored simulation',
        body: GenerateReportBodySchema,
        response: { 201: ReportMetadataSchema, ...errors, 500: ErrorResponseSchema, 503: ErrorResponseSchema }
      }
    },
    async (request, reply) => {
      try {
        const record = await reports.generate(request.body);
        reply.code(201);
        return metadata(record);
      } catch (error) {
        if (error instanceof ServiceBusyError) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }
    }
  );

  app.get(
    '/list',
    {
      schema: {
        tags: ['reports'],
        summary: 'Generated reports, newest first',
        querystring: ReportListQuerySchema,
        response: { 200: ReportListResponseSchema, ...errors }
      }
    },
    async (request) => {
      const { limit = 100, offset = 0, simulation_id } = request.query;
      const { reports: rows, total } = await app.storage.reports.list({ limit, offset, ...(simulation_id ? { simulation_id } : {}) });
      return { reports: rows.map(metadata), total };
    }
  );

  const find = async (reportId: string) => {
    const record = await app.storage.reports.get(reportId);
    if (!record) throw notFound('report', reportId);
    return record;
  };

  app.get(
    '/:report_id',
    {
      schema: {
        tags: ['reports'],
        summary: 'Download the report file (attachment)',
        produces: ['text/html', 'application/pdf'],
        params: ReportParamsSchema,
        response: { 200: Type.String({ format: 'binary', description: 'the HTML or PDF file' }), ...errors, 410: ErrorResponseSchema }
      }
    },
    async (request, reply) => {
      const record = await find(request.params.report_id);
      const content = await reports.content(record);
      if (content === null) {
        throw new ServiceError(410, 'HRL_REPORT_FILE_GONE', `the file of report ${JSON.stringify(record.report_id)} is no longer on disk`);
      }
      return reply
        .type(CONTENT_TYPES[record.report_type])
        .header('content-disposition', `attachment; filename="${record.file_name}"`)
        .header('x-content-type-options', 'nosniff')
        // A stream or buffer is sent as is (no serializer); the 200 schema only documents the body.
        .send(content as unknown as string);
    }
  );

  app.get(
    '/:report_id/metadata',
    { schema: { tags: ['reports'], summary: "A report's metadata", params: ReportParamsSchema, response: { 200: ReportMetadataSchema, ...errors } } },
    async (request) => metadata(await find(request.params.report_id))
  );

  app.delete(
    '/:report_id',
    {
      schema: { tags: ['reports'], summary: 'Delete a report (its record, then its file)', params: ReportParamsSchema, response: { 200: ReportDeletedResponseSchema, ...errors } }
    },
    async (request) => {
      const { report_id } = request.params;
      if (!(await app.reports.delete(report_id))) throw notFound('report', report_id);
      return { message: `report ${JSON.stringify(report_id)} deleted`, report_id };
    }
  );
};
