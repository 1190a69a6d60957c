// PATCH /api/v1/users/me at RATE requests per second. Every name is new (RUN differs
// between runs), so every request commits a change and its users.user_updated event.
import http from 'k6/http';

const tokens = JSON.parse(open(__ENV.TOKENS));

export const options = {
  scenarios: {
    patch: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 100),
      timeUnit: '1s',
      duration: __ENV.DURATION || '10s',
      preAllocatedVUs: 16,
      maxVUs: 64,
    },
  },
  discardResponseBodies: true,
  summaryTimeUnit: 'ms',
};

export default function () {
  const token = tokens[(__VU * 7919 + __ITER) % tokens.length];
  http.patch(__ENV.URL, JSON.stringify({ name: `Load Tester ${__ENV.RUN}-${__VU}-${__ITER}` }), {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  });
}
