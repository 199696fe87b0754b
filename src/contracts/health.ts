import { Type } from '@sinclair/typebox';
import { TimestampSchema } from './common.js';

export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  timestamp: TimestampSchema
});
