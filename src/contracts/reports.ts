import { Type, type Static } from '@sinclair/typebox';
import { TimestampSchema } from './common.js';
import { pageFields, SimulationIdSchema } from './simulation.js';

export const REPORT_SECTIONS = ['summary', 'scenario', 'training', 'results', 'charts', 'strategy'] as const;
export type ReportSection = (typeof REPORT_SECTIONS)[number];

export const ReportSectionSchema = Type.Union(REPORT_SECTIONS.map((s) => Type.Literal(s)));
const reportTypes = () => [Type.Literal('html'), Type.Literal('pdf')];
export const ReportTypeSchema = Type.Union(reportTypes());
export type ReportType = Static<typeof ReportTypeSchema>;

export const ReportIdSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^rep_[a-z0-9]+_[0-9a-f]+$',
  description: 'rep_<time base36>_<64 random bits hex>',
  examples: ['rep_mx4b0m1q_2c26b46b68ffc68f']
});

export const GenerateReportBodySchema = Type.Object(
  {
    simulation_id: SimulationIdSchema,
    report_type: Type.Optional(Type.Union(reportTypes(), { default: 'html' })),
    include_sections: Type.Optional(
      Type.Array(ReportSectionSchema, { uniqueItems: true, maxItems: REPORT_SECTIONS.length, description: 'empty or absent: every section' })
    ),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
  },
  { additionalProperties: false }
);
export type GenerateReportBody = Static<typeof GenerateReportBodySchema>;

export const ReportParamsSchema = Type.Object({ report_id: ReportIdSchema });

export const ReportMetadataSchema = Type.Object({
  report_id: ReportIdSchema,
  simulation_id: SimulationIdSchema,
  report_type: ReportTypeSchema,
  title: Type.String(),
  generated_at: TimestampSchema,
  file_size_kb: Type.Number({ minimum: 0 }),
  sections: Type.Array(ReportSectionSchema),
  download_url: Type.String({ description: 'GET this path for the file' })
});
export type ReportMetadata = Static<typeof ReportMetadataSchema>;

export const ReportListQuerySchema = Type.Object({ simulation_id: Type.Optional(SimulationIdSchema), ...pageFields() });

export const ReportListResponseSchema = Type.Object({
  reports: Type.Array(ReportMetadataSchema),
  total: Type.Integer({ minimum: 0 })
});

export const ReportDeletedResponseSchema = Type.Object({ message: Type.String(), report_id: ReportIdSchema });
