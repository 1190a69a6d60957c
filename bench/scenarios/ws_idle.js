// Idle sockets: VUS virtual users each open PER_VU sockets (staggered), spread over the
// ROOMS slugs, hold them for HOLD_SECONDS from the start, then close them.
// BASE is ws://host:port/ws/chat/; TOKENS (optional) a JSON file used round robin.
import { WebSocket } from 'k6/experimental/websockets';
import { Counter } from 'k6/metrics';
import { setTimeout } from 'k6/timers';

const tokens = __ENV.TOKENS ? JSON.parse(open(__ENV.TOKENS)) : null;
const rooms = JSON.parse(open(__ENV.ROOMS));
const PER_VU = Number(__ENV.PER_VU || 100);
const HOLD_MS = Number(__ENV.HOLD_SECONDS || 30) * 1000;
const GAP_MS = Number(__ENV.CONNECT_GAP_MS || 10);

const opened = new Counter('sockets_opened');
const failed = new Counter('sockets_failed');
const closedEarly = new Counter('sockets_closed_early');

export const options = {
  scenarios: {
    idle: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.VUS || 10),
      iterations: 1,
      maxDuration: '10m',
    },
  },
};

export default function () {
  const sockets = [];
  let done = false;
  for (let j = 0; j < PER_VU; j += 1) {
    const index = (__VU - 1) * PER_VU + j;
    setTimeout(() => {
      const query = tokens ? `?token=${tokens[index % tokens.length]}` : '';
      const ws = new WebSocket(`${__ENV.BASE}${rooms[index % rooms.length]}/${query}`);
      ws.onopen = () => opened.add(1);
      ws.onerror = () => failed.add(1);
      ws.onclose = () => {
        if (!done) {
          closedEarly.add(1);
        }
      };
      sockets.push(ws);
    }, j * GAP_MS);
  }
  setTimeout(() => {
    done = true;
    sockets.forEach((ws) => ws.readyState <= 1 && ws.close());
  }, HOLD_MS);
}
