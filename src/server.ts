import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLockedError } from './storage/data-dir-lock.js';

// Settings read while building (tokens, allowed hosts) fail as ConfigError too: one line, exit 1.
let config;
let app;
try {
  config = loadConfig();
  app = await buildApp(config);
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
// A second signal, or a shutdown longer than HRL_SHUTDOWN_MS, exits at once with code 1.
closeWithGrace({ delay: config.shutdownMs, logger: { error: (m: string) => app.log.error(m) } }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an uncaught error');
  else app.log.info({ signal }, 'shutting down: stopping runs, then closing sockets');
  await app.close();
});
await app.listen({ port: config.port, host: config.host });
