/**
 * Generates models for other languages from the JSON Schemas in schemas/ with quicktype.
 *
 *   npm run codegen -- --lang python --out gen/python     → gen/python/hrl_finance_models.py
 *   npm run codegen -- --lang go --out gen/go              → gen/go/models.go (package hrlfinance)
 *   npm run codegen -- --lang <any quicktype language> --out dir [--package NAME] [--just-types]
 *
 * Every message and REST body in schemas/ becomes a type, with (unless --just-types)
 * converters that validate while parsing, e.g. Python's `run_event_from_dict(json.loads(frame))`.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMAS_DIR = path.join(ROOT, 'schemas');
/** Not message or body schemas. */
const NOT_MODELS = new Set(['asyncapi.json', 'index.json', 'openapi.json']);

const OUTPUT: Record<string, string> = {
  python: 'hrl_finance_models.py',
  go: 'models.go',
  typescript: 'models.ts',
  java: 'Models.java',
  csharp: 'Models.cs',
  rust: 'models.rs',
  kotlin: 'Models.kt',
  swift: 'Models.swift'
};

export interface CodegenOptions {
  lang: string;
  out: string;
  /** Go package / Java package etc. (default hrlfinance). */
  packageName?: string;
  justTypes?: boolean;
}

/** Runs quicktype over every model schema; returns the generated file's path. */
export async function codegen(options: CodegenOptions): Promise<string> {
  const schemas = (await readdir(SCHEMAS_DIR)).filter((n) => n.endsWith('.json') && !NOT_MODELS.has(n)).sort();
  await mkdir(options.out, { recursive: true });
  const file = path.join(path.resolve(options.out), OUTPUT[options.lang] ?? `models.${options.lang}`);
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('quicktype/package.json');
  const bin = path.join(path.dirname(pkgPath), (require(pkgPath) as { bin: string }).bin);
  const args = [bin, '--src-lang', 'schema', '--lang', options.lang, '--out', file];
  if (options.lang === 'go' || options.lang === 'java' || options.lang === 'kotlin') args.push('--package', options.packageName ?? 'hrlfinance');
  if (options.lang === 'python') args.push('--python-version', '3.7');
  if (options.justTypes) args.push('--just-types');
  args.push(...schemas.map((n) => path.join(SCHEMAS_DIR, n)));
  await promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return file;
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lang: { type: 'string' },
      out: { type: 'string' },
      package: { type: 'string' },
      'just-types': { type: 'boolean', default: false }
    }
  });
  if (!values.lang || !values.out) {
    console.error('usage: npm run codegen -- --lang python|go|<quicktype language> --out DIR [--package NAME] [--just-types]');
    process.exit(64);
  }
  const file = await codegen({ lang: values.lang, out: values.out, packageName: values.package, justTypes: values['just-types'] });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await cli();
