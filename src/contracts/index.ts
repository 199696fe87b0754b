export * from './common.js';
export * from './events.js';
export * from './client-messages.js';
export * from './training.js';
export * from './scenarios.js';
export * from './health.js';
