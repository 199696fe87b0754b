// Follows one training run over the WebSocket with nothing but the `ws` package, and
// resumes after a dropped connection without missing or repeating an event.
//
//   node examples/watch-run.mjs RUN_ID [ws://127.0.0.1:8000/ws]      (token: HRL_TOKEN)
//
// Exit code: 0 completed, 2 stopped, 1 failed or refused (wrong run id, bad token),
// 69 the service cannot be reached.
import WebSocket from 'ws';

const [runId, url = 'ws://127.0.0.1:8000/ws'] = process.argv.slice(2);
if (!runId) {
  console.error('usage: node examples/watch-run.mjs RUN_ID [WS_URL]');
  process.exit(64);
}
const token = process.env.HRL_TOKEN;
const TERMINAL = { training_completed: 0, training_stopped: 2, training_error: 1 };
const MAX_RETRIES = 10;

let lastSeq = 0; // resume point: the last seq processed
let retries = 0;
let everConnected = false;

function connect() {
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  let done = false;
  const finish = (code, message) => {
    done = true;
    if (message) console.error(message);
    ws.close(1000);
    process.exitCode = code;
  };

  ws.on('open', () => {
    everConnected = true;
    retries = 0;
    ws.send(JSON.stringify({ type: 'subscribe_training', run_id: runId, since_seq: lastSeq }));
  });
  // The upgrade was answered with HTTP instead of a WebSocket: 401/403 (token), 404 (path), 429/503 (limits).
  ws.on('unexpected-response', (_req, res) => {
    done = true;
    console.error(`${url} refused the WebSocket: HTTP ${res.statusCode} ${res.statusMessage}`);
    process.exitCode = 1;
    res.resume();
    ws.terminate();
  });
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString());
    if (msg.type === 'error') {
      // The server rejected a message; the socket stays open. For this client every
      // rejection is final: unknown_run (a wrong run id), invalid_message, ...
      return finish(1, `server error ${msg.code}: ${msg.message}`);
    }
    if (msg.type === 'subscription_confirmed' && !msg.resumed && lastSeq > 0) {
      console.error(`events after seq ${lastSeq} are gone from the server: reload the run over REST`);
    }
    if (msg.seq === undefined || msg.seq <= lastSeq) return; // session messages carry no seq
    lastSeq = msg.seq;
    const d = msg.data;
    console.log(msg.seq, msg.type, d.episode ?? d.episodes_completed ?? '', d.avg_reward ?? '');
    if (msg.type in TERMINAL) finish(TERMINAL[msg.type]);
  });
  // A refused or broken connection: 'error' comes first (with the reason), then 'close'.
  ws.on('error', (error) => {
    if (!done && !everConnected) {
      done = true;
      console.error(`cannot connect to ${url}: ${error.code ?? error.message}`);
      process.exitCode = 69;
    }
  });
  ws.on('close', (code) => {
    if (done) return;
    if (++retries > MAX_RETRIES) {
      console.error(`${url}: connection lost ${MAX_RETRIES} times in a row; giving up`);
      process.exitCode = 69;
      return;
    }
    const delay = Math.min(200 * 2 ** retries, 5000);
    console.error(`connection closed (${code}); resuming after seq ${lastSeq} in ${delay} ms`);
    setTimeout(connect, delay);
  });
}

connect();
