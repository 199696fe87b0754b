#!/usr/bin/env node
// `npx hrl-finance`: runs the CLI from source (through tsx) in a checkout, else the built file.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/index.ts', import.meta.url);
const built = new URL('../dist/cli/index.js', import.meta.url);

if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  console.error('hrl-finance: neither src/cli/index.ts nor dist/cli/index.js found; run `npm run build`');
  process.exit(1);
}
