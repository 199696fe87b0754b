import { Charts, METRICS } from './charts.js';
import { Live } from './live.js';

const TOKEN_KEY = 'hrl-finance.token';
const TERMINAL = new Set(['training_completed', 'training_stopped', 'training_error']);
const ACTIVE = new Set(['queued', 'running']);

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
  runProgress: $('run-progress'),
  stopButton: $('stop-button'),
  chartSummary: $('chart-summary')
};

const state = {
  token: localStorage.getItem(TOKEN_KEY) ?? '',
  /** @type {Map<string, any>} run_id → Run (REST shape), kept current from events */
  runs: new Map(),
  /** the selected run: id, last seq applied to the charts, events held behind a gap */
  selected: null,
  templates: new Map()
};

// ---- REST -----------------------------------------------------------------------------

async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const error = new Error(parsed?.message ?? `${method} ${path}: HTTP ${res.status}`);
    error.status = res.status;
    throw error;
  }
  return parsed;
}

// ---- connection ---------------------------------------------------------------------------

const live = new Live({
  url: location.href,
  token: state.token,
  onState: (s, detail) => {
    el.connDot.className = `dot ${s}`;
    el.connText.textContent = s === 'open' ? 'live' : s === 'reconnecting' ? detail ?? 'reconnecting…' : 'connecting…';
  },
  onOpen: (reconnected) => {
    live.send({ type: 'subscribe_training' });
    if (reconnected) void loadRuns();
    if (state.selected) void resumeSelected();
  },
  onMessage: (msg) => {
    if (msg.type === 'error') {
      if (msg.code === 'unknown_run' && state.selected) showMessage(`Run ${state.selected.id} is unknown to the server.`);
      return;
    }
    if (msg.type === 'subscription_confirmed') {
      // The server no longer holds the events after our last seq: reload the run over REST.
      if (state.selected && msg.run_id === state.selected.id && msg.resumed === false && state.selected.resumeId === msg.request_id) {
        void loadSelected(state.selected.id, { keepSelection: true });
      }
      return;
    }
    if (typeof msg.seq === 'number' && msg.run_id) onRunEvent(msg);
  }
});

// ---- runs list ---------------------------------------------------------------------------------

async function loadRuns() {
  try {
    const { runs } = await api('/api/training/runs?limit=50');
    state.runs = new Map(runs.map((r) => [r.run_id, r]));
    renderRuns();
  } catch (error) {
    showMessage(`Could not load runs: ${error.message}`);
  }
}

const fetchingRuns = new Set();
async function fetchRun(runId) {
  if (fetchingRuns.has(runId)) return;
  fetchingRuns.add(runId);
  try {
    const run = await api(`/api/training/runs/${encodeURIComponent(runId)}`);
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
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = run.scenario_name;
      const badge = document.createElement('span');
      badge.className = `badge ${run.status}`;
      badge.textContent = run.status;
      const sub = document.createElement('span');
      sub.className = 'sub';
      sub.textContent = `${run.episodes_completed}/${run.num_episodes} episodes · ${run.run_id}`;
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

// ---- selected run ----------------------------------------------------------------------------

let charts = null;

/** Loads a run's recorded events over REST, then follows it live from the last seq. */
async function loadSelected(runId, { keepSelection = false } = {}) {
  if (!charts) charts = new Charts(el.detailBody);
  state.selected = { id: runId, last: 0, held: new Map(), backfilling: false, resumeId: null };
  charts.reset();
  el.detailEmpty.hidden = true;
  el.detailBody.hidden = false;
  renderRuns();
  renderDetail();
  if (!keepSelection) el.detail.focus();
  await backfill();
  await fetchRun(runId);
  subscribeSelected();
}

/** After a reconnect: fill the gap over REST, then resume the socket from the last seq. */
async function resumeSelected() {
  await backfill();
  subscribeSelected();
}

function subscribeSelected() {
  const sel = state.selected;
  if (!sel || !live.open) return;
  sel.resumeId = live.send({ type: 'subscribe_training', run_id: sel.id, since_seq: sel.last });
}

/** Applies the run's stored events after the last one applied (REST `/events?after_seq=`). */
async function backfill() {
  const sel = state.selected;
  if (!sel || sel.backfilling) return;
  sel.backfilling = true;
  try {
    for (;;) {
      const { events } = await api(`/api/training/runs/${encodeURIComponent(sel.id)}/events?after_seq=${sel.last}`);
      if (state.selected !== sel) return;
      for (const event of events) apply(event);
      if (events.length < 10000) break;
    }
  } catch (error) {
    showMessage(`Could not load the run's events: ${error.message}`);
  } finally {
    sel.backfilling = false;
  }
  // Events that arrived ahead of the gap are applied once the gap is filled.
  for (const [seq, event] of [...sel.held].sort((a, b) => a[0] - b[0])) {
    sel.held.delete(seq);
    apply(event);
  }
}

function onRunEvent(event) {
  updateRunFromEvent(event);
  const sel = state.selected;
  if (!sel || event.run_id !== sel.id) return;
  if (event.seq <= sel.last) return; // already applied
  if (event.seq !== sel.last + 1 || sel.backfilling) {
    sel.held.set(event.seq, event);
    if (!sel.backfilling) void backfill();
    return;
  }
  apply(event);
}

/** Applies one event of the selected run; callers pass events in seq order. */
function apply(event) {
  const sel = state.selected;
  if (!sel || event.seq <= sel.last) return;
  sel.last = event.seq;
  updateRunFromEvent(event);
  if (event.type === 'training_progress') charts.add(event.data);
  renderDetail();
}

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
      run = { ...run, status: 'stopped', episodes_completed: d.episodes_completed };
      break;
    case 'training_error':
      run = { ...run, status: 'failed', episodes_completed: d.episodes_completed, error: d.message };
      break;
  }
  state.runs.set(event.run_id, run);
  // The stored status distinguishes failed from interrupted: ask once the run ended.
  if (TERMINAL.has(event.type)) void fetchRun(event.run_id);
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
  el.runEpisodes.textContent = `${done} / ${total}`;
  el.runProgress.max = Math.max(1, total);
  el.runProgress.value = done;
  el.stopButton.disabled = !ACTIVE.has(status);
  const latest = run?.latest_progress;
  el.chartSummary.textContent = latest
    ? `Episode ${latest.episode}: ${METRICS.map((m) => `${m.label} ${Number(latest[m.key]).toFixed(m.digits)}`).join(', ')}`
    : '';
}

el.stopButton.addEventListener('click', async () => {
  const sel = state.selected;
  if (!sel) return;
  el.stopButton.disabled = true;
  try {
    const res = await api('/api/training/stop', { method: 'POST', body: { run_id: sel.id } });
    showMessage(res.message, true);
  } catch (error) {
    showMessage(`Could not stop the run: ${error.message}`);
    renderDetail();
  }
});

// ---- scenarios and start ---------------------------------------------------------------------

async function loadScenarios() {
  const [imported, templates] = await Promise.all([
    api('/api/scenarios').then((b) => (Array.isArray(b) ? b : b?.scenarios ?? []), () => null),
    api('/api/scenarios/templates').then((b) => (Array.isArray(b) ? b : b?.templates ?? []), () => [])
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
  // Without the list route, fall back to the scenarios of known runs.
  if (imported === null) {
    const names = [...new Set([...state.runs.values()].map((r) => r.scenario_name))];
    if (names.length > 0) {
      const group = document.createElement('optgroup');
      group.label = 'Scenarios of earlier runs';
      group.append(...names.map((n) => new Option(n, `scenario:${n}`)));
      groups.push(group);
    }
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
    await api('/api/scenarios', {
      method: 'POST',
      body: { name, description: template.description ?? '', environment: template.environment, training: template.training, reward: template.reward }
    });
  } catch (error) {
    if (error.status !== 409) throw error; // 409: created earlier, reuse it
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
    const res = await api('/api/training/start', { method: 'POST', body });
    showMessage(`${res.message}: run ${res.data.run_id}`, true);
    state.runs.set(res.data.run_id, {
      run_id: res.data.run_id,
      scenario_name,
      status: res.data.status === 'queued' ? 'queued' : 'running',
      num_episodes: res.data.num_episodes,
      episodes_completed: 0,
      created_at: new Date().toISOString()
    });
    void loadScenarios();
    await loadSelected(res.data.run_id, { keepSelection: true });
  } catch (error) {
    showMessage(`Could not start: ${error.message}`);
  } finally {
    el.startButton.disabled = false;
  }
});

el.token.value = state.token;
el.tokenSave.addEventListener('click', () => {
  state.token = el.token.value.trim();
  if (state.token) localStorage.setItem(TOKEN_KEY, state.token);
  else localStorage.removeItem(TOKEN_KEY);
  live.restart(state.token);
  void loadRuns().then(loadScenarios);
});

function showMessage(text, ok = false) {
  el.formMessage.textContent = text;
  el.formMessage.classList.toggle('ok', ok);
}

// ---- start ---------------------------------------------------------------------------------------

live.connect();
await loadRuns();
await loadScenarios();
const fromHash = decodeURIComponent(location.hash.slice(1));
if (fromHash && state.runs.has(fromHash)) void loadSelected(fromHash, { keepSelection: true });
