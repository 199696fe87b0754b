import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard, dashboardStaleReason } from '../../scripts/build-dashboard.mjs';
import { ROOT } from '../client/helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test/artifacts');
export const skipWithoutChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;

// As root, on a machine without outside network: no sandbox, no background connections.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // A page whose timers are throttled in the background would make reconnect times meaningless.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding'
];

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The service serves dist/dashboard/: bundle it when missing or older than its sources (about a second). */
export async function ensureDashboardBundle(): Promise<void> {
  if (dashboardStaleReason(ROOT)) await buildDashboard(ROOT);
}

export async function launchBrowser(t: Teardown): Promise<Browser> {
  await ensureDashboardBundle();
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  t.teardown(() => browser.close());
  return browser;
}

/** Script errors, console errors and CSP violations of a page, recorded from its first script on. */
export interface PageProblems {
  errors: string[];
  cspViolations(): Promise<string[]>;
}

export async function watchProblems(page: Page): Promise<PageProblems> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  // The dashboard runs under its Content-Security-Policy; anything it blocks is recorded here.
  await page.addInitScript(
    "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
  );
  return { errors, cspViolations: async () => (await page.evaluate('window.cspViolations')) as string[] };
}

const points = (page: Page, metric = 'avg_reward') => page.locator(`figure[data-chart="${metric}"]`).getAttribute('data-points').then(Number);

/** Polls a chart's point count until `ok` holds (the page sets data-points on each redraw). */
export async function waitForPoints(page: Page, ok: (n: number) => boolean, metric = 'avg_reward', timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await points(page, metric);
    if (ok(n)) return n;
    if (Date.now() > deadline) throw new Error(`${metric} has ${n} points after ${timeoutMs} ms`);
    await page.waitForTimeout(50);
  }
}

export { points };

/** Horizontal overflow of the page in CSS pixels (0 or less: no sideways scrolling). */
export const overflowX = (page: Page) => page.evaluate('document.documentElement.scrollWidth - window.innerWidth').then(Number);
