import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';

export type Scope = 'read' | 'write';

export interface TokenEntry {
  /** SHA-256 of the token: fixed length, so every comparison takes the same time. */
  digest: Buffer;
  scopes: ReadonlySet<Scope>;
}

const digestOf = (token: string) => createHash('sha256').update(token).digest();

/** Parses `tokenA:read,tokenB:read+write` entries. Errors name the setting, never the token. */
export function parseTokens(spec: string, setting: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  for (const [index, raw] of spec.split(/[,\n]/).entries()) {
    const item = raw.replace(/#.*$/, '').trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    const token = colon > 0 ? item.slice(0, colon) : '';
    const scopes = colon > 0 ? item.slice(colon + 1).split('+').map((s) => s.trim()) : [];
    if (token.length < 8 || scopes.length === 0 || scopes.some((s) => s !== 'read' && s !== 'write')) {
      throw new ConfigError(
        `Invalid configuration ${setting}: entry ${index + 1} must be <token of 8+ characters>:<read|write|read+write>`
      );
    }
    entries.push({ digest: digestOf(token), scopes: new Set(scopes as Scope[]) });
  }
  return entries;
}

/**
 * Tokens from HRL_TOKENS and the HRL_TOKENS_FILE file together. A setting that is given but
 * yields no token stops start-up: asking for tokens and getting an open service is the
 * one outcome nobody wants.
 */
export function loadTokens(config: { tokens: string; tokensFile: string }): TokenEntry[] {
  const fromEnv = parseTokens(config.tokens, 'HRL_TOKENS');
  if (config.tokens.trim() !== '' && fromEnv.length === 0) {
    throw new ConfigError('Invalid configuration HRL_TOKENS: it is set but holds no token; unset it to run open, or give <token>:<scopes> entries');
  }
  if (!config.tokensFile) return fromEnv;
  let text: string;
  try {
    text = readFileSync(config.tokensFile, 'utf8');
  } catch (error) {
    throw new ConfigError(`Invalid configuration HRL_TOKENS_FILE: cannot read ${config.tokensFile} (${(error as NodeJS.ErrnoException).code})`);
  }
  const fromFile = parseTokens(text, 'HRL_TOKENS_FILE');
  if (fromFile.length === 0) {
    throw new ConfigError(
      `Invalid configuration HRL_TOKENS_FILE: ${config.tokensFile} holds no token (one <token>:<scopes> per line); refusing to start open`
    );
  }
  return [...fromEnv, ...fromFile];
}

/** The scopes of a presented token, or null when it is unknown. Compares against every entry. */
export function scopesOf(entries: readonly TokenEntry[], presented: string): ReadonlySet<Scope> | null {
  const digest = digestOf(presented);
  let found: ReadonlySet<Scope> | null = null;
  for (const entry of entries) {
    if (timingSafeEqual(entry.digest, digest)) found = entry.scopes;
  }
  return found;
}
