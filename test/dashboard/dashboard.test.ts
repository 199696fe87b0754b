import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { importFixture, ROOT, startApp } from '../client/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test/artifacts');
// As root, on a machine without outside network: no sandbox, no background connections.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

const points = (page: Page, metric = 'avg_reward') =>
  page.locator(`figure[data-chart="${metric}"]`).getAttribute('data-points').then(Number);

/** Polls a chart's point count until `ok` holds (the page sets data-points on each redraw). */
async function waitForPoints(page: Page, ok: (n: number) => boolean, metric = 'avg_reward', timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await points(page, metric);
    if (ok(n)) return n;
    if (Date.now() > deadline) throw new Error(`${metric} has ${n} points after ${timeoutMs} ms`);
    await page.waitForTimeout(50);
  }
}

t.test('the dashboard at / starts a run from the UI and charts it live to completion', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)` }, async (t) => {
  const { app, url } = await startApp(t, { progressHz: 20 });
  await importFixture(url, 'demo');
  await mkdir(ARTIFACTS, { recursive: true });

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  // The dashboard runs under its Content-Security-Policy; anything it blocks is recorded here.
  await page.addInitScript(
    "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
  );

  const response = await page.goto(url);
  t.match(response?.headers()['content-security-policy'], /default-src 'none'.*frame-ancestors 'none'/, 'the page is served with its CSP');
  t.equal(response?.headers()['x-frame-options'], 'DENY');
  await page.getByText('live', { exact: true }).waitFor();
  // Every control is reachable by its label.
  const scenario = page.getByLabel('Scenario');
  await scenario.locator('option[value="scenario:demo"]').waitFor({ state: 'attached' });
  t.ok(await page.locator('optgroup[label="Templates"] option').count() >= 1, 'templates are offered too');
  await scenario.selectOption('scenario:demo');
  await page.getByLabel('Episodes', { exact: true }).fill('60');
  await page.getByLabel(/Seed/).fill('7');
  await page.getByRole('button', { name: 'Start training' }).click();

  const first = await waitForPoints(page, (n) => n >= 1);
  await waitForPoints(page, (n) => n > first);
  t.ok((await points(page)) > first, `the chart grows live (from ${first} points)`);

  // A network drop mid-run: the page reconnects and backfills, so no point is lost.
  for (const ws of app.websocketServer.clients) ws.terminate();

  await page.locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  const runId = (await page.locator('#run-id').textContent())!;
  const { events } = (await (await fetch(`${url}/api/training/runs/${runId}/events`)).json()) as { events: Array<{ type: string }> };
  const progress = events.filter((e) => e.type === 'training_progress').length;
  await waitForPoints(page, (n) => n === progress, 'goal_adherence', 10_000);
  for (const metric of ['avg_reward', 'avg_cash', 'avg_invested', 'stability', 'goal_adherence']) {
    t.equal(await points(page, metric), progress, `${metric}: one point per progress event, none lost across the drop`);
  }
  t.equal(await page.locator('#run-episodes').textContent(), '60 / 60');
  t.ok(await page.getByRole('button', { name: 'Stop this run' }).isDisabled(), 'stop is disabled once the run ended');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

  t.test('a run is selected from the list with the keyboard and its charts load from history', async (t) => {
    const fresh = await browser.newPage({ viewport: { width: 390, height: 844 } });
    t.teardown(() => fresh.close());
    await fresh.goto(url);
    const runButton = fresh.getByRole('button', { name: /^demo, completed, 60 of 60 episodes/ });
    await runButton.focus();
    await fresh.keyboard.press('Enter');
    await fresh.locator('#run-status', { hasText: 'completed' }).waitFor();
    await waitForPoints(fresh, (n) => n === progress, 'avg_reward', 10_000);
    t.pass('history backfilled the charts');
    const overflow = await fresh.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    t.ok(Number(overflow) <= 0, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
    await fresh.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
  });

  t.test('a template starts a run (created as a scenario first) and the Stop button stops it', async (t) => {
    await page.getByLabel('Scenario').selectOption('template:balanced');
    await page.getByLabel('Episodes', { exact: true }).fill('5000');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.locator('#run-scenario', { hasText: 'balanced' }).waitFor();
    await waitForPoints(page, (n) => n >= 1);
    await page.getByRole('button', { name: 'Stop this run' }).click();
    await page.locator('#run-status', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    const scenario = (await (await fetch(`${url}/api/scenarios/balanced`)).json()) as { name: string };
    t.equal(scenario.name, 'balanced', 'the template is now a stored scenario');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stopped.png'), fullPage: true });
  });

  t.test('the page raised no script errors and its CSP blocked nothing it needs', async (t) => {
    t.same(pageErrors, []);
    t.same(await page.evaluate('window.cspViolations'), []);
  });

  t.test('a page on another origin cannot frame the dashboard', async (t) => {
    const framing = await browser.newPage();
    t.teardown(() => framing.close());
    const other = url.replace('127.0.0.1', 'localhost'); // another origin served by the same process
    await framing.goto(`${other}/health`);
    const refusals: string[] = [];
    framing.on('console', (m) => m.type() === 'error' && refusals.push(m.text()));
    await framing.evaluate(
      `new Promise((resolve) => { const f = document.createElement('iframe'); f.onload = resolve; f.src = ${JSON.stringify(url)}; document.body.append(f); })`
    );
    const frame = framing.frames().find((f) => f !== framing.mainFrame());
    t.ok(frame, 'the iframe exists');
    t.equal(await frame!.locator('#run-status').count().catch(() => 0), 0, 'the framed dashboard rendered nothing (Chromium shows its error page)');
    t.match(refusals.join('\n'), /frame-ancestors|X-Frame-Options/, 'Chromium says why');
  });
});
