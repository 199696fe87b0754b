import { Type } from '@sinclair/typebox';
import { TimestampSchema } from './common.js';

export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  timestamp: TimestampSchema
});

/** 503: the service is up but its database cannot be read or written (locked, full, gone). */
export const HealthUnhealthyResponseSchema = Type.Object({
  status: Type.Literal('unhealthy'),
  reason: Type.String({ description: 'what failed, e.g. the database is locked' }),
  version: Type.String(),
  timestamp: TimestampSchema
});
