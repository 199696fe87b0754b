import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../client/helpers.js';

// A plain clone must stand on its own: every file the README, the docs and the code's
// comments point at exists inside the repository, and nothing points outside it.

async function filesUnder(dir: string, ext: RegExp): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && ext.test(e.name)).map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

const TOP_FOLDERS = ['src', 'docs', 'examples', 'test', 'bench', 'scripts', 'schemas', 'public', 'bin'];
/** `docs/protocol.md`, `examples/scenarios/balanced.yaml`, `src/config.ts` … written anywhere in a text. */
const REPO_PATH = new RegExp(`(?<![\\w./-])(?:${TOP_FOLDERS.join('|')})/[\\w./-]*\\.(?:md|ts|mjs|js|json|yaml|yml)\\b`, 'g');

t.test('README, docs and comments name only files that exist in the repository', async (t) => {
  const texts = ['README.md', ...(await filesUnder('docs', /\.md$/)), ...(await filesUnder('src', /\.(ts|mjs)$/)), ...(await filesUnder('examples', /\.mjs$/))];
  const missing: string[] = [];
  for (const file of texts) {
    const text = await readFile(path.join(ROOT, file), 'utf8');
    for (const [mention] of text.matchAll(REPO_PATH)) {
      if (mention.includes('*') || mention.startsWith('schemas/') && !mention.endsWith('.json')) continue;
      if (!existsSync(path.join(ROOT, mention))) missing.push(`${file}: ${mention}`);
    }
    // Markdown links are relative to the file that holds them.
    if (file.endsWith('.md')) {
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // http:, mailto:
        if (!existsSync(path.resolve(ROOT, path.dirname(file), target))) missing.push(`${file}: link ${target}`);
      }
    }
    if (/\.\.\/shared|\bshared\/(design|fixtures)/.test(text)) missing.push(`${file}: points outside the repository (shared/)`);
  }
  t.same(missing, [], 'no dangling path');
});
