import { cliEnv } from './config.js';
import { main } from './main.js';

const env = cliEnv();
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, defaultUrl: env.url, defaultToken: env.token });
// Exit once stdout has drained, so piped JSON lines are never cut short.
process.stdout.write('', () => process.exit(code));
