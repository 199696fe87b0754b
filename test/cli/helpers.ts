import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ROOT } from '../client/helpers.js';

const BIN = path.join(ROOT, 'bin/hrl-finance.js');

interface Cli {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves once stdout or stderr contains `text`. */
  waitFor(text: string | RegExp): Promise<void>;
}

/** Runs the CLI with stdout and stderr piped (not a terminal); `env` adds to a clean HRL_URL/HRL_TOKEN. */
export function cli(t: { teardown(fn: () => unknown): void }, args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, HRL_URL: '', HRL_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ test: (s: string) => boolean; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) if (w.test(stdout + stderr)) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  };
  child.stdout.on('data', (c: Buffer) => ((stdout += c.toString()), check()));
  child.stderr.on('data', (c: Buffer) => ((stderr += c.toString()), check()));
  const exited = once(child, 'exit');
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    done: exited.then(([code]) => ({ code: code as number | null, stdout, stderr })),
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
        if (test(stdout + stderr)) return resolve();
        waiters.push({ test, resolve });
        void exited.then(() => reject(new Error(`exited before printing ${text}: ${stdout}${stderr}`)));
      })
  };
}

export const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; seq: number; run_id: string });

