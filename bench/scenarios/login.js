// POST a login body, one virtual user, back to back: latency without queueing.
// CREDENTIALS is a JSON file of {email, password}, used round robin.
import http from 'k6/http';

const credentials = JSON.parse(open(__ENV.CREDENTIALS));

export const options = {
  scenarios: {
    login: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS || 1),
      duration: __ENV.DURATION || '10s',
    },
  },
  discardResponseBodies: true,
  summaryTimeUnit: 'ms',
};

export default function () {
  const given = credentials[(__VU * 31 + __ITER) % credentials.length];
  http.post(__ENV.URL, JSON.stringify(given), {
    headers: { 'Content-Type': 'application/json' },
  });
}
