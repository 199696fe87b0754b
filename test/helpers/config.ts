import { loadConfig, type Config } from '../../src/config.js';

/**
 * Config for in-process test servers: defaults plus overrides, with the event-loop
 * overload guard off. Test files run two at a time on a 2-core machine next to worker
 * threads, so the loop can lag by seconds without the service being at fault; the guard
 * itself is tested on its own in test/server/under-pressure.test.ts.
 */
export const testConfig = (overrides: Partial<Config> = {}): Config =>
  loadConfig({}, { workers: 1, logLevel: 'silent', maxEventLoopDelayMs: 0, ...overrides });
