// GET one authenticated URL. MODE=closed: VUS virtual users back to back for DURATION
// (throughput). MODE=rate: RATE requests per second, open model (latency at a given load).
// TOKENS is a JSON file of bearer tokens, used round robin.
import http from 'k6/http';

const tokens = JSON.parse(open(__ENV.TOKENS));
const url = __ENV.URL;
const duration = __ENV.DURATION || '10s';

const scenario =
  (__ENV.MODE || 'closed') === 'rate'
    ? {
        executor: 'constant-arrival-rate',
        rate: Number(__ENV.RATE),
        timeUnit: '1s',
        duration,
        preAllocatedVUs: Number(__ENV.PREALLOCATED || 16),
        maxVUs: Number(__ENV.MAX_VUS || 64),
      }
    : { executor: 'constant-vus', vus: Number(__ENV.VUS || 8), duration };

export const options = {
  scenarios: { read: scenario },
  discardResponseBodies: true,
  summaryTimeUnit: 'ms',
};

export default function () {
  const token = tokens[(__VU * 7919 + __ITER) % tokens.length];
  http.get(url, { headers: { Authorization: `Bearer ${token}` } });
}
