import { main } from './main.js';

// The CLI's one environment setting; the service's own settings live in src/config.ts.
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, defaultUrl: process.env.HRL_URL || undefined });
// Exit once stdout has drained, so piped JSON lines are never cut short.
process.stdout.write('', () => process.exit(code));
