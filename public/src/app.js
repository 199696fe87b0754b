// The training dashboard. It talks to the service only through the shipped typed client
// (`hrl-finance/client`, bundled from src/client by scripts/build-dashboard.mjs): HrlClient
// for the socket (ordered, resumable subscriptions, reconnects) and RestClient for REST.
import './style.css';
import { HrlClient, HttpError, RestClient, isTerminal } from 'hrl-finance/client';
import { Charts } from './charts.js';
import { allocation, DEFAULT_CURRENCY, money, num, pct, ruleName } from './format.js';

const TOKEN_KEY = 'hrl-finance.token';
const ACTIVE = new Set(['queued', 'running']);
/** Events per REST page when loading a run's history (the route's default and our page size). */
const EVENTS_PAGE = 10_000;
/**
 * Reconnect backoff for the dashboard: 250 ms doubling to at most 1 s (with jitter), so a
 * restarted server is picked up within about a second of it answering again. One page
 * retrying once a second is no load; the library default (10 s cap) suits fleets of clients.
 */
const RECONNECT = { initialDelayMs: 250, maxDelayMs: 1000 };

const $ = (id) => document.getElementById(id);
const el = {
  connDot: $('conn-dot'),
  connText: $('conn-text'),
  form: $('start-form'),
  scenario: $('scenario-select'),
  episodes: $('episodes-input'),
  seed: $('seed-input'),
  startButton: $('start-button'),
  formMessage: $('form-message'),
  token: $('token-input'),
  tokenSave: $('token-save'),
  runsList: $('runs-list'),
  runsEmpty: $('runs-empty'),
  detail: $('run-detail'),
  detailEmpty: $('detail-empty'),
  detailBody: $('detail-body'),
  runId: $('run-id'),
  runScenario: $('run-scenario'),
  runStatus: $('run-status'),
  runEpisodes: $('run-episodes'),
  runModel: $('run-model'),
  runProgress: $('run-progress'),
  runOutcome: $('run-outcome'),
  stopButton: $('stop-button'),
  stopDialog: $('stop-dialog'),
  stopDialogText: $('stop-dialog-text'),
  stopConfirm: $('stop-confirm'),
  stopCancel: $('stop-cancel'),
  results: $('results'),
  finalMetrics: $('final-metrics'),
  baselines: $('baselines'),
  baselinesIntro: $('baselines-intro'),
  baselinesTable: $('baselines-table'),
  baselinesVerdicts: $('baselines-verdicts'),
  simulateForm: $('simulate-form'),
  simEpisodes: $('sim-episodes'),
  simSeed: $('sim-seed'),
  simulateButton: $('simulate-button'),
  simulateMessage: $('simulate-message'),
  simulationSummary: $('simulation-summary'),
  reportForm: $('report-form'),
  reportType: $('report-type'),
  reportButton: $('report-button'),
  reportMessage: $('report-message'),
  chartSummary: $('chart-summary')
};

const state = {
  token: localStorage.getItem(TOKEN_KEY) ?? '',
  /** @type {Map<string, any>} run_id → Run (REST shape), kept current from events */
  runs: new Map(),
  /** the selected run: id, last seq applied, events held behind a gap, its terminal event */
  selected: null,
  templates: new Map(),
  /** scenario name → the stored scenario (for its currency and horizon) */
  scenarios: new Map()
};

// ---- the typed client ----------------------------------------------------------------------

/** @type {RestClient} */
let rest;
/** @type {HrlClient} */
let client;

function connect() {
  const token = state.token || undefined;
  rest = new RestClient({ url: location.origin, token });
  client = new HrlClient({ url: location.origin, token, reconnect: RECONNECT });
  client.on('state', renderConnection);
  client.on('reconnecting', ({ delay_ms }) => renderConnection('reconnecting', `reconnecting in ${(delay_ms / 1000).toFixed(1)} s`));
  client.on('open', ({ reconnected }) => {
    // Runs started while the page was disconnected are not in the live feed: list them again.
    if (reconnected) void loadRuns();
  });
  client.on('error', (error) => {
    if (error.code === 'unknown_run' && state.selected) showMessage(`Run ${state.selected.id} is unknown to the server.`);
  });
  // Every run, live, for the run list; the client refills what a reconnect missed.
  client.subscribe({}, { onEvent: updateRunFromEvent });
}

// A page coming back to the foreground, or the network returning, need not wait out the backoff.
const reconnectNow = () => client.reconnectNow();
window.addEventListener('online', reconnectNow);
window.addEventListener('focus', reconnectNow);
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && reconnectNow());

function renderConnection(s, detail) {
  el.connDot.className = `dot ${s}`;
  el.connText.textContent = s === 'open' ? 'live' : s === 'reconnecting' ? detail ?? 'reconnecting…' : s === 'closed' ? 'disconnected' : 'connecting…';
}

const errorText = (error) => (error instanceof HttpError ? (error.body?.message ?? error.message) : error.message);

// ---- runs list ---------------------------------------------------------------------------------

const LOAD_RUNS_FAILED = 'Could not load runs';
async function loadRuns() {
  try {
    const { runs } = await rest.listRuns({ limit: 50 });
    // Keep what events taught us about runs the page already knows (a fresher status).
    state.runs = new Map(runs.map((r) => [r.run_id, r]));
    // A failure of an earlier attempt (say, during a restart) is no longer news.
    if (el.formMessage.textContent.startsWith(LOAD_RUNS_FAILED)) showMessage('');
    renderRuns();
    if (state.selected) renderDetail();
  } catch (error) {
    showMessage(`${LOAD_RUNS_FAILED}: ${errorText(error)}`);
  }
}

const fetchingRuns = new Set();
async function fetchRun(runId) {
  if (fetchingRuns.has(runId)) return;
  fetchingRuns.add(runId);
  try {
    const run = await rest.getRun(runId);
    state.runs.set(runId, { ...state.runs.get(runId), ...run });
    renderRuns();
    if (state.selected?.id === runId) renderDetail();
  } catch {
    // it will show up on the next list refresh
  } finally {
    fetchingRuns.delete(runId);
  }
}

function renderRuns() {
  const runs = [...state.runs.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  el.runsEmpty.hidden = runs.length > 0;
  const focusedId = document.activeElement?.dataset?.runId;
  el.runsList.replaceChildren(
    ...runs.map((run) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.runId = run.run_id;
      if (state.selected?.id === run.run_id) button.setAttribute('aria-current', 'true');
      const name = Object.assign(document.createElement('span'), { className: 'name', textContent: run.scenario_name });
      const badge = Object.assign(document.createElement('span'), { className: `badge ${run.status}`, textContent: run.status });
      const sub = Object.assign(document.createElement('span'), { className: 'sub', textContent: `${run.episodes_completed}/${run.num_episodes} episodes · ${run.run_id}` });
      button.append(name, badge, sub);
      button.setAttribute('aria-label', `${run.scenario_name}, ${run.status}, ${run.episodes_completed} of ${run.num_episodes} episodes`);
      button.addEventListener('click', () => void loadSelected(run.run_id));
      li.append(button);
      return li;
    })
  );
  if (focusedId) el.runsList.querySelector(`[data-run-id="${CSS.escape(focusedId)}"]`)?.focus();
}

// Arrow keys move between runs in the list.
el.runsList.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  const buttons = [...el.runsList.querySelectorAll('button')];
  const i = buttons.indexOf(document.activeElement);
  if (i < 0) return;
  event.preventDefault();
  buttons[Math.max(0, Math.min(buttons.length - 1, i + (event.key === 'ArrowDown' ? 1 : -1)))].focus();
});

function updateRunFromEvent(event) {
  let run = state.runs.get(event.run_id);
  if (!run) {
    void fetchRun(event.run_id);
    return;
  }
  const d = event.data;
  switch (event.type) {
    case 'training_started':
      run = { ...run, status: 'running', started_at: d.start_time, num_episodes: d.num_episodes };
      break;
    case 'training_progress':
      if (d.episode < run.episodes_completed) return;
      run = { ...run, status: 'running', episodes_completed: d.episode, num_episodes: d.total_episodes, latest_progress: d };
      break;
    case 'training_completed':
      run = { ...run, status: 'completed', episodes_completed: d.episodes_completed, model_name: d.model_name };
      break;
    case 'training_stopped':
      run = { ...run, status: 'stopped', episodes_completed: d.episodes_completed, model_name: d.model_name };
      break;
    case 'training_error':
      run = { ...run, status: 'failed', episodes_completed: d.episodes_completed, error: d.message };
      break;
  }
  state.runs.set(event.run_id, run);
  // The stored status distinguishes failed from interrupted, and holds the baselines: ask once the run ended.
  if (isTerminal(event)) void fetchRun(event.run_id);
  scheduleRunsRender();
}

let runsRenderPending = false;
function scheduleRunsRender() {
  if (runsRenderPending) return;
  runsRenderPending = true;
  requestAnimationFrame(() => {
    runsRenderPending = false;
    renderRuns();
    if (state.selected) renderDetail();
  });
}

// ---- selected run ----------------------------------------------------------------------------

let charts = null;

async function scenarioOf(name) {
  if (!state.scenarios.has(name)) {
    state.scenarios.set(
      name,
      rest.getScenario(name).catch(() => null) // deleted since: amounts shown in the default currency
    );
  }
  return state.scenarios.get(name);
}

/** Loads a run's recorded events over REST, then follows it live from the last seq. */
async function loadSelected(runId, { keepSelection = false } = {}) {
  state.selected?.sub?.close();
  const sel = { id: runId, last: 0, held: new Map(), backfilling: false, sub: null, terminal: null, stoppedHere: false, simulation: null };
  state.selected = sel;
  el.detailEmpty.hidden = true;
  el.detailBody.hidden = false;
  el.simulateMessage.textContent = '';
  el.reportMessage.textContent = '';
  el.simulationSummary.hidden = true;
  el.reportForm.hidden = true;
  renderRuns();
  renderDetail();
  if (!keepSelection) el.detail.focus();
  if (!state.runs.has(runId)) await fetchRun(runId);
  const scenario = await scenarioOf(state.runs.get(runId)?.scenario_name ?? '');
  if (state.selected !== sel) return;
  charts?.destroy();
  charts = new Charts(el.detailBody, scenario?.currency ?? DEFAULT_CURRENCY);
  charts.render();
  await backfill();
  if (state.selected !== sel) return;
  void fetchRun(runId);
  if (sel.terminal) return; // a finished run has nothing more to follow
  // Resume after the last seq applied: the client delivers each later event once, in order,
  // and resumes again by itself after a reconnect.
  sel.sub = client.subscribe(
    { run_id: runId },
    {
      onEvent: (event) => onRunEvent(sel, event),
      // The server could not replay the gap from memory: read it from the database.
      onResync: () => void backfill(),
      onError: (error) => showMessage(`Could not follow run ${runId}: ${error.message}`)
    },
    { from: sel.last }
  );
}

/** Applies the run's stored events after the last one applied (REST `/events?after_seq=`, paged). */
async function backfill() {
  const sel = state.selected;
  if (!sel || sel.backfilling) return;
  sel.backfilling = true;
  try {
    for (;;) {
      const { events } = await rest.runEvents(sel.id, sel.last, EVENTS_PAGE);
      if (state.selected !== sel) return;
      for (const event of events) apply(sel, event);
      if (events.length < EVENTS_PAGE) break;
    }
  } catch (error) {
    showMessage(`Could not load the run's events: ${errorText(error)}`);
  } finally {
    sel.backfilling = false;
  }
  // Events that arrived ahead of the gap are applied once the gap is filled.
  for (const [seq, event] of [...sel.held].sort((a, b) => a[0] - b[0])) {
    sel.held.delete(seq);
    apply(sel, event);
  }
}

function onRunEvent(sel, event) {
  if (state.selected !== sel || event.seq <= sel.last) return;
  if (event.seq !== sel.last + 1 || sel.backfilling) {
    sel.held.set(event.seq, event);
    if (!sel.backfilling) void backfill();
    return;
  }
  apply(sel, event);
}

/** Applies one event of the selected run; callers pass events in seq order. */
function apply(sel, event) {
  if (state.selected !== sel || event.seq <= sel.last) return;
  sel.last = event.seq;
  updateRunFromEvent(event);
  if (event.type === 'training_progress') charts.add(event.data);
  if (isTerminal(event)) sel.terminal = event;
  renderDetail();
}

function renderDetail() {
  const sel = state.selected;
  if (!sel) return;
  const run = state.runs.get(sel.id);
  el.runId.textContent = sel.id;
  el.runScenario.textContent = run?.scenario_name ?? '…';
  const status = run?.status ?? 'unknown';
  el.runStatus.textContent = status;
  el.runStatus.className = `badge ${status}`;
  const done = run?.episodes_completed ?? 0;
  const total = run?.num_episodes ?? 0;
  el.runEpisodes.textContent = `${num(done)} / ${num(total)}`;
  el.runModel.textContent = run?.model_name ?? (ACTIVE.has(status) ? 'saved when the run ends' : 'none saved');
  el.runProgress.max = Math.max(1, total);
  el.runProgress.value = done;
  el.stopButton.disabled = !ACTIVE.has(status) || sel.stopping === true;
  el.stopButton.hidden = !ACTIVE.has(status);
  renderOutcome(sel, run);
  renderResults(sel, run);
  el.chartSummary.textContent = charts?.summary() ?? '';
}

/** Why a run ended, in words: completed, stopped (by whom), failed (the error), interrupted. */
function renderOutcome(sel, run) {
  const status = run?.status;
  const term = sel.terminal;
  const of = `${num(run?.episodes_completed ?? 0)} of ${num(run?.num_episodes ?? 0)} episodes`;
  let text = '';
  let kind = status;
  if (status === 'queued') text = 'Waiting for a free training worker; it starts by itself.';
  else if (status === 'completed') {
    text = `Completed all ${num(run.episodes_completed)} episodes${term?.type === 'training_completed' ? ` in ${formatDuration(term.data.duration_s)}` : ''}.`;
  } else if (status === 'stopped') {
    const reason = term?.type === 'training_stopped' ? term.data.reason : undefined;
    const who =
      reason === 'shutdown'
        ? 'Stopped because the server shut down'
        : reason === 'user' || sel.stoppedHere
          ? `Stopped on request${sel.stoppedHere ? ' (from this page)' : ''}`
          : 'Stopped (a stop request or a server shutdown)';
    text = `${who} after ${of}. ${run.model_name ? `What it had learned was saved as model ${run.model_name}.` : 'No model was saved.'}`;
  } else if (status === 'failed' || status === 'interrupted') {
    const message = term?.type === 'training_error' ? term.data.message : (run.error ?? 'unknown error');
    const details = term?.type === 'training_error' ? term.data.details.split('\n')[0] : '';
    text =
      status === 'interrupted'
        ? `Interrupted: the service stopped while this run was active, after ${of}. Its history is kept; no model was saved.`
        : `Failed after ${of}: ${message}.${details && !message.includes(details) ? ` Details: ${details}` : ''}`;
  }
  el.runOutcome.hidden = !text;
  el.runOutcome.textContent = text;
  el.runOutcome.className = `outcome ${kind ?? ''}`;
}

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 90) return `${num(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return m < 90 ? `${m} min ${Math.round(seconds - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function facts(dl, rows) {
  dl.replaceChildren(
    ...rows
      .filter((row) => row)
      .map(([label, value, hint]) => {
        const div = document.createElement('div');
        const dt = Object.assign(document.createElement('dt'), { textContent: label });
        const dd = Object.assign(document.createElement('dd'), { textContent: value });
        div.append(dt, dd);
        if (hint) div.append(Object.assign(document.createElement('p'), { className: 'hint', textContent: hint }));
        return div;
      })
  );
}

/** Final metrics, the baseline comparison and the simulate/report tools of a run with a saved model. */
function renderResults(sel, run) {
  const completed = sel.terminal?.type === 'training_completed' ? sel.terminal.data : null;
  const show = !!run?.model_name && !ACTIVE.has(run.status);
  el.results.hidden = !show;
  if (!show) return;
  const currency = charts?.currency ?? DEFAULT_CURRENCY;
  const m = completed?.final_metrics;
  if (m) {
    facts(el.finalMetrics, [
      ['Average reward', num(m.avg_reward), 'reward points per episode (higher is better)'],
      ['Best episode reward', num(m.max_reward)],
      ['Average cash at the end', money(m.avg_cash, currency)],
      ['Average invested', money(m.avg_invested, currency)],
      ['Average portfolio value', money(m.avg_portfolio, currency)],
      ['Average episode length', `${num(m.avg_duration)} months`],
      ['Stability', num(m.stability), '0–1, higher is steadier'],
      ['Goal adherence gap', num(m.goal_adherence), 'share of the budget, lower is better'],
      m.eval_reward_mean !== null && ['Held-out check: reward', num(m.eval_reward_mean), `mean over ${num(m.eval_episodes)} episodes not used in training`],
      m.eval_total_wealth_mean !== null && ['Held-out check: wealth at the end', money(m.eval_total_wealth_mean, currency), 'cash plus portfolio value']
    ]);
  } else {
    facts(el.finalMetrics, [['Final metrics', 'not recorded', 'a stopped run keeps its model but has no final evaluation']]);
  }
  renderBaselines(m?.baselines ?? run.baselines);
}

function renderBaselines(b) {
  el.baselines.hidden = !b;
  if (!b) return;
  el.baselinesIntro.textContent = `Each plan ran the same ${num(b.episodes)} held-out episodes (never used in training). Score: reward points per episode, higher is better.`;
  const row = (label, detail, mean, cls) => {
    const li = Object.assign(document.createElement('li'), { className: cls });
    const name = Object.assign(document.createElement('span'), { className: 'plan' });
    name.append(Object.assign(document.createElement('strong'), { textContent: label }));
    if (detail) name.append(Object.assign(document.createElement('span'), { className: 'hint', textContent: detail }));
    li.append(name, Object.assign(document.createElement('span'), { className: 'score', textContent: num(mean) }));
    return li;
  };
  el.baselinesTable.replaceChildren(
    row('Your plan', 'the learned policy', b.learned_mean, 'yours'),
    row('Best fixed split', allocation(b.best_constant.allocation) + ' every month', b.best_constant.mean, ''),
    row('Best rule of thumb', ruleName(b.best_rule.name, b.best_rule.params), b.best_rule.mean, '')
  );
  el.baselinesVerdicts.replaceChildren(verdict('best fixed split', b.diff_constant), verdict('best rule of thumb', b.diff_rule));
}

/** "Your plan vs X: +12 points (95 % sure the true difference is between +8 and +16): better." */
function verdict(label, diff) {
  const [lo, hi] = diff.ci95;
  const outcome = lo > 0 ? 'better' : hi < 0 ? 'worse' : 'unclear';
  const conclusion = {
    better: 'your plan is better, and the difference is unlikely to be chance.',
    worse: 'the simple alternative does better; consider following it, or train longer.',
    unclear: 'no clear difference: the range includes zero.'
  }[outcome];
  const li = Object.assign(document.createElement('li'), { className: `verdict ${outcome}` });
  li.dataset.verdict = outcome;
  li.textContent = `Your plan vs the ${label}: ${num(diff.mean, { signed: true })} points per episode on average (95 % confidence range ${num(lo, { signed: true })} to ${num(hi, { signed: true })}), so ${conclusion}`;
  return li;
}

// ---- stop, with confirmation ----------------------------------------------------------------

el.stopButton.addEventListener('click', () => {
  const sel = state.selected;
  if (!sel) return;
  const run = state.runs.get(sel.id);
  el.stopDialogText.textContent =
    `Run ${sel.id} (${run?.scenario_name ?? 'unknown scenario'}) has finished ${num(run?.episodes_completed ?? 0)} of ${num(run?.num_episodes ?? 0)} episodes. ` +
    'Stopping ends it for good: it cannot be resumed, and what it has learned so far is saved as a model when there is anything to save.';
  el.stopDialog.returnValue = '';
  el.stopDialog.showModal();
});
el.stopCancel.addEventListener('click', () => el.stopDialog.close('cancel'));
el.stopConfirm.addEventListener('click', () => el.stopDialog.close('stop'));
el.stopDialog.addEventListener('close', async () => {
  const sel = state.selected;
  if (el.stopDialog.returnValue !== 'stop' || !sel) {
    el.stopButton.focus();
    return;
  }
  sel.stopping = true;
  sel.stoppedHere = true;
  renderDetail();
  try {
    const res = await rest.stopTraining({ run_id: sel.id });
    showMessage(res.message, true);
  } catch (error) {
    sel.stoppedHere = false;
    showMessage(`Could not stop the run: ${errorText(error)}`);
  } finally {
    sel.stopping = false;
    renderDetail();
  }
});

// ---- simulate and report from a finished run ----------------------------------------------------

el.simulateForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const sel = state.selected;
  const run = sel && state.runs.get(sel.id);
  if (!run?.model_name) return;
  el.simulateButton.disabled = true;
  el.reportForm.hidden = true;
  el.reportMessage.textContent = '';
  setStatus(el.simulateMessage, `Simulating ${el.simEpisodes.value} episodes with model ${run.model_name}…`, true);
  try {
    const body = { model_name: run.model_name, num_episodes: Number(el.simEpisodes.value) };
    if (el.simSeed.value !== '') body.seed = Number(el.simSeed.value);
    const result = await rest.request('POST', '/api/simulation/run', body);
    if (state.selected !== sel) return;
    sel.simulation = result;
    setStatus(el.simulateMessage, `Simulation ${result.simulation_id} finished.`, true);
    await renderSimulation(result);
    el.reportForm.hidden = false;
  } catch (error) {
    setStatus(el.simulateMessage, `Could not simulate: ${errorText(error)}`);
  } finally {
    el.simulateButton.disabled = false;
  }
});

async function renderSimulation(result) {
  const scenario = await scenarioOf(result.scenario_name);
  const currency = scenario?.currency ?? DEFAULT_CURRENCY;
  const horizon = scenario?.environment?.max_months;
  const early = horizon ? result.episodes.filter((e) => e.duration < horizon).length : null;
  facts(el.simulationSummary, [
    ['Wealth at the end', `${money(result.total_wealth_mean, currency)} ± ${money(result.total_wealth_std, currency)}`, 'cash plus portfolio value, mean ± standard deviation'],
    ['Cash at the end', money(result.final_cash_mean, currency)],
    ['Portfolio value at the end', money(result.final_portfolio_mean, currency)],
    ['Episode length', `${num(result.duration_mean)} months${horizon ? ` of ${horizon}` : ''}`],
    early !== null && ['Ended early', `${early} of ${result.num_episodes} episodes`, 'money ran out before the horizon'],
    ['Monthly split', `invest ${pct(result.avg_invest_pct / 100)}, save ${pct(result.avg_save_pct / 100)}, consume ${pct(result.avg_consume_pct / 100)}`],
    ['Reward', num(result.episode_reward_mean), 'points per episode']
  ]);
  el.simulationSummary.hidden = false;
}

el.reportForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const sel = state.selected;
  const simulation = sel?.simulation;
  if (!simulation) return;
  const type = el.reportType.value;
  el.reportButton.disabled = true;
  setStatus(el.reportMessage, `Generating the ${type.toUpperCase()} report…`, true);
  try {
    const meta = await rest.request('POST', '/api/reports/generate', { simulation_id: simulation.simulation_id, report_type: type });
    const fileName = await download(meta.download_url, `${meta.report_id}.${type}`);
    setStatus(el.reportMessage, `Report ${meta.report_id} (${num(meta.file_size_kb)} KB) downloaded as ${fileName}.`, true);
  } catch (error) {
    setStatus(el.reportMessage, `Could not make the report: ${errorText(error)}`);
  } finally {
    el.reportButton.disabled = false;
  }
});

/** Fetches a file with the page's token and hands it to the browser as a download. */
async function download(path, fallbackName) {
  const res = await fetch(path, { headers: state.token ? { authorization: `Bearer ${state.token}` } : {} });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.message ?? `GET ${path}: HTTP ${res.status}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

// ---- scenarios and start ---------------------------------------------------------------------

async function loadScenarios() {
  const [imported, templates] = await Promise.all([
    rest.listScenarios().then((b) => b.scenarios, () => null),
    rest.listTemplates().then((b) => b.templates, () => [])
  ]);
  state.templates = new Map(templates.map((t) => [t.name, t]));
  const groups = [];
  if (imported && imported.length > 0) {
    const group = document.createElement('optgroup');
    group.label = 'Scenarios';
    group.append(...imported.map((s) => new Option(s.description ? `${s.name} — ${s.description}` : s.name, `scenario:${s.name}`)));
    groups.push(group);
  }
  if (templates.length > 0) {
    const group = document.createElement('optgroup');
    group.label = 'Templates';
    group.append(...templates.map((t) => new Option(t.display_name ?? t.name, `template:${t.name}`)));
    groups.push(group);
  }
  const previous = el.scenario.value;
  if (groups.length === 0) el.scenario.replaceChildren(new Option('No scenarios: import one first', ''));
  else el.scenario.replaceChildren(new Option('Choose a scenario…', ''), ...groups);
  if (previous && [...el.scenario.options].some((o) => o.value === previous)) el.scenario.value = previous;
}

/** A template becomes a stored scenario of the same name the first time it is used. */
async function scenarioNameFor(choice) {
  const [kind, name] = [choice.slice(0, choice.indexOf(':')), choice.slice(choice.indexOf(':') + 1)];
  if (kind !== 'template') return name;
  const template = state.templates.get(name);
  if (!template) return name;
  try {
    await rest.createScenario({
      name,
      description: template.description ?? '',
      ...(template.currency && { currency: template.currency }),
      environment: template.environment,
      training: template.training,
      reward: template.reward
    });
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 409)) throw error; // 409: created earlier, reuse it
  }
  return name;
}

el.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const choice = el.scenario.value;
  if (!choice) {
    showMessage('Choose a scenario.');
    el.scenario.focus();
    return;
  }
  el.startButton.disabled = true;
  showMessage('Starting…', true);
  try {
    const scenario_name = await scenarioNameFor(choice);
    const body = { scenario_name, num_episodes: Number(el.episodes.value) };
    if (el.seed.value !== '') body.seed = Number(el.seed.value);
    const res = await rest.startTraining(body);
    showMessage(`${res.message}: run ${res.data.run_id}`, true);
    state.runs.set(res.data.run_id, {
      run_id: res.data.run_id,
      scenario_name,
      status: res.data.status === 'queued' ? 'queued' : 'running',
      num_episodes: res.data.num_episodes,
      episodes_completed: 0,
      model_name: null,
      created_at: new Date().toISOString()
    });
    state.scenarios.delete(scenario_name); // just created or possibly edited: read it again
    void loadScenarios();
    await loadSelected(res.data.run_id, { keepSelection: true });
  } catch (error) {
    showMessage(`Could not start: ${errorText(error)}`);
  } finally {
    el.startButton.disabled = false;
  }
});

el.token.value = state.token;
el.tokenSave.addEventListener('click', async () => {
  state.token = el.token.value.trim();
  if (state.token) localStorage.setItem(TOKEN_KEY, state.token);
  else localStorage.removeItem(TOKEN_KEY);
  const selected = state.selected?.id;
  await client.close();
  connect();
  await loadRuns();
  await loadScenarios();
  if (selected) void loadSelected(selected, { keepSelection: true });
});

function showMessage(text, ok = false) {
  setStatus(el.formMessage, text, ok);
}

function setStatus(node, text, ok = false) {
  node.textContent = text;
  node.classList.toggle('ok', ok);
}

// ---- start ---------------------------------------------------------------------------------------

connect();
await loadRuns();
await loadScenarios();
const fromHash = decodeURIComponent(location.hash.slice(1));
if (fromHash && state.runs.has(fromHash)) void loadSelected(fromHash, { keepSelection: true });
