// Chat fan-out: MEMBERS sockets in one room, all held by one VU so that the phases can
// follow what the sockets see. Phases: connect (staggered), settle (until no presence
// frame for SETTLE_MS), latency (SENDERS send RATE messages per second in all for
// LATENCY_SECONDS), drain (until no latency-phase message has arrived for DRAIN_MS, so a
// backlog does not spill into the next phase), saturation (each sender keeps WINDOW
// messages in flight: it sends the next one when its own message comes back, for
// SATURATION_SECONDS), then close.
// A message body carries "~fan|<phase>|<sent at, ms>|<sender index>|<sequence>".
// URL is ws://host:port/ws/chat/<slug>/; TOKENS (optional) a JSON file, one per member.
import { WebSocket } from 'k6/experimental/websockets';
import { Counter, Trend } from 'k6/metrics';
import { clearInterval, setInterval, setTimeout } from 'k6/timers';

const tokens = __ENV.TOKENS ? JSON.parse(open(__ENV.TOKENS)) : null;
const MEMBERS = Number(__ENV.MEMBERS || 50);
const SENDERS = Math.min(Number(__ENV.SENDERS || 4), MEMBERS);
const RATE = Number(__ENV.RATE || 10);
const LATENCY_MS = Number(__ENV.LATENCY_SECONDS || 10) * 1000;
const SATURATION_MS = Number(__ENV.SATURATION_SECONDS || 10) * 1000;
const WINDOW = Number(__ENV.WINDOW || 4);
const CONNECT_GAP_MS = Number(__ENV.CONNECT_GAP_MS || 5);
const CONNECT_TIMEOUT_MS = Number(__ENV.CONNECT_TIMEOUT_SECONDS || 120) * 1000;
const SETTLE_MS = Number(__ENV.SETTLE_MS || 1000);
const SETTLE_MAX_MS = Number(__ENV.SETTLE_MAX_SECONDS || 120) * 1000;
const DRAIN_MS = Number(__ENV.DRAIN_MS || 2000);
const DRAIN_MAX_MS = Number(__ENV.DRAIN_MAX_SECONDS || 60) * 1000;
const MARK = '"~fan|';
// client_id must be new in every run: chat answers a known one with the stored message.
const RUN = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;

const latency = new Trend('delivery_latency', true);
const saturatedLatency = new Trend('saturated_delivery_latency', true);
const delivered = new Counter('deliveries');
const saturatedDelivered = new Counter('saturated_deliveries');
const sent = new Counter('messages_sent');
const saturatedSent = new Counter('saturated_messages_sent');
const opened = new Counter('sockets_opened');
const failed = new Counter('sockets_failed');
const closedEarly = new Counter('sockets_closed_early');
const setupSeconds = new Trend('setup_seconds');

export const options = {
  scenarios: {
    fanout: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '15m' },
  },
  summaryTimeUnit: 'ms',
};

export default function () {
  const sockets = [];
  const started = Date.now();
  let openCount = 0;
  let phase = 'connect';
  let lastOther = Date.now();
  let lastLatencyFrame = Date.now();
  let saturationEnd = 0;
  let sequence = 0;

  function body(kind, sender) {
    sequence += 1;
    return `~fan|${kind}|${Date.now()}|${sender}|${sequence}`;
  }

  function send(sender, kind) {
    const ws = sockets[sender];
    if (!ws || ws.readyState !== 1) {
      return;
    }
    const text = body(kind, sender);
    ws.send(JSON.stringify({ type: 'message.send', body: text, client_id: `${RUN}-${sequence}` }));
    (kind === 'L' ? sent : saturatedSent).add(1);
  }

  function onFrame(index, data) {
    const at = data.indexOf(MARK);
    const now = Date.now();
    if (at < 0) {
      lastOther = now;
      return;
    }
    const fields = data.substring(at + 1, data.indexOf('"', at + 1)).split('|');
    const took = now - Number(fields[2]);
    if (fields[1] === 'L') {
      lastLatencyFrame = now;
      latency.add(took);
      delivered.add(1);
      return;
    }
    if (now <= saturationEnd) {
      saturatedLatency.add(took);
      saturatedDelivered.add(1);
    }
    if (phase === 'saturation' && Number(fields[3]) === index && now < saturationEnd) {
      send(index, 'T');
    }
  }

  function connect(index) {
    const query = tokens ? `?token=${tokens[index % tokens.length]}` : '';
    const ws = new WebSocket(`${__ENV.URL}${query}`);
    sockets[index] = ws;
    ws.onopen = () => {
      openCount += 1;
      opened.add(1);
    };
    ws.onmessage = (event) => onFrame(index, event.data);
    ws.onerror = () => {
      if (phase === 'connect') {
        failed.add(1);
      }
    };
    ws.onclose = () => {
      if (phase !== 'done') {
        closedEarly.add(1);
      }
    };
  }

  for (let index = 0; index < MEMBERS; index += 1) {
    setTimeout(() => connect(index), index * CONNECT_GAP_MS);
  }

  const waitOpen = setInterval(() => {
    const late = Date.now() - started > CONNECT_TIMEOUT_MS;
    if (openCount < MEMBERS && !late) {
      return;
    }
    clearInterval(waitOpen);
    phase = 'settle';
    const settleStarted = Date.now();
    const waitQuiet = setInterval(() => {
      const now = Date.now();
      if (now - lastOther < SETTLE_MS && now - settleStarted < SETTLE_MAX_MS) {
        return;
      }
      clearInterval(waitQuiet);
      setupSeconds.add((Date.now() - started) / 1000);
      latencyPhase();
    }, 100);
  }, 100);

  function latencyPhase() {
    phase = 'latency';
    const every = (1000 * SENDERS) / RATE;
    const timers = [];
    for (let sender = 0; sender < SENDERS; sender += 1) {
      setTimeout(() => {
        if (phase === 'latency') {
          timers.push(setInterval(() => send(sender, 'L'), every));
        }
      }, (sender * every) / SENDERS);
    }
    setTimeout(() => {
      phase = 'drain';
      timers.forEach((timer) => clearInterval(timer));
      const drainStarted = Date.now();
      const waitDrained = setInterval(() => {
        const now = Date.now();
        if (now - lastLatencyFrame < DRAIN_MS && now - drainStarted < DRAIN_MAX_MS) {
          return;
        }
        clearInterval(waitDrained);
        saturationPhase();
      }, 100);
    }, LATENCY_MS);
  }

  function saturationPhase() {
    phase = 'saturation';
    saturationEnd = Date.now() + SATURATION_MS;
    for (let sender = 0; sender < SENDERS; sender += 1) {
      for (let k = 0; k < WINDOW; k += 1) {
        send(sender, 'T');
      }
    }
    setTimeout(() => {
      phase = 'drain';
      setTimeout(() => {
        phase = 'done';
        sockets.forEach((ws) => ws && ws.readyState <= 1 && ws.close());
      }, DRAIN_MS);
    }, SATURATION_MS);
  }
}
