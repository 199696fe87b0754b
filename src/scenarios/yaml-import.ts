// Bounded reading of scenario files sent over HTTP. The `yaml` package's cost grows
// faster than the input (its duplicate-key scan compares every key with every other, and
// composing is slow per token), so the work is capped before it starts: the body by bytes,
// the document by tokens (the lexer is a generator, stopped at the cap), then nesting,
// keys and aliases on the composed tree. A scenario file is about 250 tokens and 30 keys.
import type { FastifyRequest } from 'fastify';
import { isMap, isScalar, isSeq, Lexer, parseDocument, type Node } from 'yaml';
import { ServiceError } from '../errors.js';

/** Content types the import route reads as YAML; anything else is a 415. */
export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'] as const;

export const YAML_LIMITS = {
  /** Request body bytes (413 above): ten times the largest shipped file (0.5–1.5 KB). */
  bytes: 16 * 1024,
  /** YAML tokens (scalars, indicators, comments, line breaks); twice a commented scenario file. */
  tokens: 512,
  /** Keys in the whole document; a full scenario has about 30. */
  keys: 64,
  /** Mappings or sequences inside one another; a scenario needs 2 (file, block). */
  depth: 4,
  /** Alias nodes (`*name`), weighted by the size of what they repeat (the yaml package's maxAliasCount). */
  aliases: 16
} as const;

export const badYaml = (message: string) => new ServiceError(400, 'FST_ERR_VALIDATION', `body ${message}`);

const tooLarge = () =>
  new ServiceError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', `body must be at most ${YAML_LIMITS.bytes} bytes (${YAML_LIMITS.bytes / 1024} KiB); a scenario file is about 1 KB`);

/** 415 unless the request says it carries YAML (checked before any byte of the body is read). */
export async function requireYamlContentType(request: FastifyRequest): Promise<void> {
  const header = request.headers['content-type'];
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(YAML_CONTENT_TYPES as readonly string[]).includes(type)) {
    throw new ServiceError(
      415,
      'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      `content-type must be one of ${YAML_CONTENT_TYPES.join(', ')} (got ${header === undefined ? 'none' : JSON.stringify(header)})`
    );
  }
}

/**
 * Content-type parser for YAML bodies: reads at most YAML_LIMITS.bytes and answers 413 with
 * the limit in words as soon as the declared or received length passes it.
 */
export function readYamlBody(request: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: string) => void): void {
  const declared = Number(request.headers['content-length']);
  if (declared > YAML_LIMITS.bytes) {
    done(tooLarge());
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const finish = (err: Error | null, body?: string) => {
    if (settled) return;
    settled = true;
    payload.removeListener('data', onData);
    done(err, body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > YAML_LIMITS.bytes) finish(tooLarge());
    else chunks.push(chunk);
  };
  payload.on('data', onData);
  payload.on('end', () => finish(null, Buffer.concat(chunks).toString('utf8')));
  payload.on('error', (err: Error) => finish(err));
}

/** Parses a tiny document once, so the first import does not pay for compiling the parser. */
export function warmYamlParser(): void {
  parseBoundedYaml('environment:\n  income: 1\n');
}

/**
 * Parses a bounded YAML document into plain data. Every refusal is a 400 naming the bound;
 * duplicate keys are found with one set per mapping (linear) instead of the parser's scan.
 */
export function parseBoundedYaml(text: string): unknown {
  let tokens = 0;
  let flowDepth = 0;
  for (const token of new Lexer().lex(text)) {
    if (++tokens > YAML_LIMITS.tokens) throw badYaml(`has more than ${YAML_LIMITS.tokens} YAML tokens; a scenario file needs about 250`);
    if (token === '{' || token === '[') {
      if (++flowDepth > YAML_LIMITS.depth) throw badYaml(`nests collections deeper than ${YAML_LIMITS.depth} levels`);
    } else if (token === '}' || token === ']') {
      flowDepth = Math.max(0, flowDepth - 1);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw badYaml(`must be valid YAML (${error.message.split('\n')[0]})`);
  checkTree(doc.contents);
  try {
    return doc.toJS({ maxAliasCount: YAML_LIMITS.aliases });
  } catch (err) {
    throw badYaml(`must not repeat anchored content more than ${YAML_LIMITS.aliases} times (${(err as Error).message})`);
  }
}

/** Keys, nesting and duplicates over the composed tree (aliases are resolved and counted by toJS). */
function checkTree(root: Node | null): void {
  let keys = 0;
  const stack: Array<{ node: unknown; depth: number; path: string }> = [{ node: root, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth + 1 > YAML_LIMITS.depth) throw badYaml(`nests collections deeper than ${YAML_LIMITS.depth} levels (at ${path || 'the top'})`);
    }
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (++keys > YAML_LIMITS.keys) throw badYaml(`has more than ${YAML_LIMITS.keys} keys; a scenario has about 30`);
        if (!isScalar(pair.key)) throw badYaml(`keys must be plain names (at ${path || 'the top'})`);
        const key = pair.key.value;
        const field = path ? `${path}.${String(key)}` : String(key);
        if (seen.has(key)) throw badYaml(`gives ${field} more than once`);
        seen.add(key);
        stack.push({ node: pair.value, depth: depth + 1, path: field });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, depth: depth + 1, path: `${path}[${i}]` }));
    }
  }
}
