import t from 'tap';
import path from 'node:path';
import { importFixture, startApp } from '../client/helpers.js';
import { ARTIFACTS, ensureDashboardBundle, launchBrowser, overflowX, points, skipWithoutChromium, waitForPoints, watchProblems } from './browser.js';

// A real browser through a whole training, simulation and two reports (or three server
// starts): about two minutes alone, four when other suites load the 2-core machine, more
// than .taprc's per-file timeout leaves (the root test tells the runner).
t.setTimeout(480_000);

t.test('the dashboard at / starts a run from the UI and charts it live to completion', { skip: skipWithoutChromium }, async (t) => {
  await ensureDashboardBundle(); // before the server starts: it serves the files it finds then
  const { app, url } = await startApp(t, { progressHz: 20 });
  await importFixture(url, 'demo');
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = await watchProblems(page);

  const response = await page.goto(url);
  const csp = response?.headers()['content-security-policy'] ?? '';
  const host = new URL(url).host;
  t.equal(
    csp,
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://${host} wss://${host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'the page is served with its CSP: its own script, styles, API and socket, nothing inline'
  );
  t.notMatch(csp, /unsafe-(inline|eval)/);
  t.equal(response?.headers()['x-frame-options'], 'DENY');
  const bundle = await page.request.get(`${url}/assets/app.js`);
  t.equal(bundle.headers()['content-security-policy'], csp, 'the bundle carries the same headers');
  t.equal((await page.request.get(`${url}/.build-stamp`)).status(), 404, 'the bundle stamp is not served');
  t.equal((await page.request.get(`${url}/assets/live.js`)).status(), 404, 'the old socket module is gone');

  await page.getByText('live', { exact: true }).waitFor();
  // Every control is reachable by its label.
  const scenario = page.getByLabel('Scenario');
  await scenario.locator('option[value="scenario:demo"]').waitFor({ state: 'attached' });
  t.ok((await page.locator('optgroup[label="Templates"] option').count()) >= 1, 'templates are offered too');
  await scenario.selectOption('scenario:demo');
  await page.getByLabel('Episodes', { exact: true }).fill('60');
  await page.getByLabel(/Seed/).first().fill('7');
  await page.getByRole('button', { name: 'Start training' }).click();

  const first = await waitForPoints(page, (n) => n >= 1);
  await waitForPoints(page, (n) => n > first);
  t.ok((await points(page)) > first, `the chart grows live (from ${first} points)`);

  // A network drop mid-run: the client reconnects and resumes, so no point is lost.
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
  t.ok(await page.getByRole('button', { name: 'Stop this run' }).isHidden(), 'no stop button once the run ended');

  t.test('every chart names its units and its series without hovering', async (t) => {
    const captions = await page.locator('figure.chart figcaption .title').allTextContents();
    t.same(captions, [
      'Average reward (reward points per episode, higher is better)',
      'Average cash at the end of an episode (EUR)',
      'Average invested at the end of an episode (EUR)',
      'Stability (score 0–1, higher is steadier)',
      'Goal adherence gap (share of budget 0–1, lower is better)'
    ]);
    for (const figure of await page.locator('figure.chart').all()) {
      t.match(await figure.locator('.latest').textContent(), /^latest .+ at episode 60$/, 'the latest value shows in the caption');
      t.match(await figure.locator('.u-legend').textContent(), /mean of the last 10 episodes/, 'a static legend names the series');
    }
    t.match(await page.locator('figure[data-chart="avg_cash"] .latest').textContent(), /€/, 'money in the scenario currency');
    // The axis labels (episode; EUR, points, score, share of budget) are drawn on the canvas: see the screenshots.
  });

  t.test('a finished run shows its final metrics, the baseline comparison and its saved model', async (t) => {
    const run = (await (await fetch(`${url}/api/training/runs/${runId}`)).json()) as { model_name: string; baselines?: unknown };
    await page.locator('#results').waitFor();
    t.equal(await page.locator('#run-model').textContent(), run.model_name, 'the saved model name');
    t.match(await page.locator('#run-outcome').textContent(), /^Completed all 60 episodes in /);
    const metrics = await page.locator('#final-metrics dt').allTextContents();
    t.ok(metrics.includes('Average reward') && metrics.includes('Average cash at the end') && metrics.includes('Held-out check: reward'), metrics.join(', '));
    t.ok(run.baselines, 'the run has baselines');
    await page.locator('#baselines').waitFor();
    t.equal(await page.locator('#baselines-table li').count(), 3, 'your plan, best fixed split, best rule');
    t.match(await page.locator('#baselines-table li').nth(1).textContent(), /Best fixed split.*invest \d+ %, save \d+ %, consume \d+ %/);
    const verdicts = await page.locator('#baselines-verdicts li').allTextContents();
    t.equal(verdicts.length, 2);
    for (const v of verdicts) t.match(v, /^Your plan vs the best (fixed split|rule of thumb): [+-]?[\d.,e-]+ points per episode on average \(95 % confidence range .+ to .+\), so /);
  });

  t.test('from a finished run: simulate, then generate and download an HTML and a PDF report', async (t) => {
    await page.getByLabel('Simulated episodes').fill('10');
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.locator('#simulate-message', { hasText: /Simulation sim_\w+ finished/ }).waitFor({ timeout: 60_000 });
    t.match(await page.locator('#simulation-summary').textContent(), /Wealth at the end€[\d,.-]+ ± €/, 'the summary shows money in EUR');
    t.match(await page.locator('#simulation-summary').textContent(), /Ended early\d+ of 10 episodes/);
    for (const [type, contentType, magic] of [
      ['html', 'text/html', '<!doctype html'],
      ['pdf', 'application/pdf', '%PDF-']
    ] as const) {
      await page.getByLabel('Report format').selectOption(type);
      const fileResponse = page.waitForResponse((r) => /\/api\/reports\/rep_\w+$/.test(r.url()), { timeout: 120_000 });
      const downloaded = page.waitForEvent('download', { timeout: 120_000 });
      await page.getByRole('button', { name: 'Generate and download report' }).click();
      const [res, download] = await Promise.all([fileResponse, downloaded]);
      t.match(res.headers()['content-type'], contentType, `${type}: served as ${contentType}`);
      const file = path.join(ARTIFACTS, `dashboard-report.${type}`);
      await download.saveAs(file);
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(file);
      t.ok(bytes.length > 1000, `${type}: a non-empty file (${bytes.length} bytes)`);
      t.match(bytes.subarray(0, 20).toString('latin1').toLowerCase(), magic.toLowerCase(), `${type}: the file is a real ${type}`);
      t.match(download.suggestedFilename(), new RegExp(`\\.${type}$`), `${type}: saved under the server's file name`);
      await page.locator('#report-message', { hasText: /downloaded as/ }).waitFor();
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });

  t.test('a run is selected from the list with the keyboard and shows its results at phone width without sideways scrolling', async (t) => {
    const fresh = await browser.newPage({ viewport: { width: 375, height: 812 } });
    t.teardown(() => fresh.close());
    const phoneProblems = await watchProblems(fresh);
    await fresh.goto(url);
    const runButton = fresh.getByRole('button', { name: /^demo, completed, 60 of 60 episodes/ });
    await runButton.focus();
    await fresh.keyboard.press('Enter');
    await fresh.locator('#run-status', { hasText: 'completed' }).waitFor();
    await waitForPoints(fresh, (n) => n === progress, 'avg_reward', 10_000);
    t.pass('history backfilled the charts');
    await fresh.locator('#baselines').waitFor();
    await fresh.getByLabel('Simulated episodes').fill('5');
    await fresh.getByRole('button', { name: 'Run simulation' }).click();
    await fresh.locator('#simulation-summary').waitFor({ timeout: 60_000 });
    const overflow = await overflowX(fresh);
    t.ok(overflow <= 0, `no horizontal scrolling at 375 px (overflow ${overflow}px)`);
    await fresh.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    // Parts at their real size, for a person to look at (the full page is 5000 px tall).
    await fresh.locator('#results').screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-results.png') });
    await fresh.locator('figure[data-chart="avg_cash"]').screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-chart.png') });
    t.same(phoneProblems.errors, []);
    t.same(await phoneProblems.cspViolations(), []);
  });

  t.test('Stop asks first; "Keep training" keeps it running, confirming stops it and says who stopped it', async (t) => {
    await page.getByLabel('Scenario').selectOption('template:balanced');
    await page.getByLabel('Episodes', { exact: true }).fill('100000');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.locator('#run-scenario', { hasText: 'balanced' }).waitFor();
    await waitForPoints(page, (n) => n >= 1);
    const stopButton = page.getByRole('button', { name: 'Stop this run' });
    const dialog = page.getByRole('dialog', { name: 'Stop this training run?' });

    await stopButton.click();
    await dialog.waitFor();
    t.match(await dialog.textContent(), /cannot be resumed/, 'the dialog says what stopping means');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stop-confirm.png') });
    await dialog.getByRole('button', { name: 'Keep training' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const runId = (await page.locator('#run-id').textContent())!;
    const before = await points(page);
    await waitForPoints(page, (n) => n > before);
    t.equal(((await (await fetch(`${url}/api/training/runs/${runId}`)).json()) as { status: string }).status, 'running', 'cancelling left the run running');

    await stopButton.click();
    await dialog.getByRole('button', { name: 'Stop the run' }).click();
    await page.locator('#run-status', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    t.match(await page.locator('#run-outcome').textContent(), /^Stopped on request \(from this page\) after [\d,]+ of 100,000 episodes\. /, 'the page says why it stopped');
    const scenario = (await (await fetch(`${url}/api/scenarios/balanced`)).json()) as { name: string };
    t.equal(scenario.name, 'balanced', 'the template is now a stored scenario');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stopped.png'), fullPage: true });
  });

  t.test('the page raised no script errors and its CSP blocked nothing it needs', async (t) => {
    t.same(problems.errors, []);
    t.same(await problems.cspViolations(), []);
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
