// UserDirectory.GetUser back to back from VUS virtual users, one channel each.
// IDS is a JSON file of user ids; CREDENTIAL the internal service credential.
import grpc from 'k6/net/grpc';
import { Counter } from 'k6/metrics';

const client = new grpc.Client();
client.load([__ENV.PROTO_DIR], 'strata/users/v1/user_directory.proto');
const ids = JSON.parse(open(__ENV.IDS));
const ok = new Counter('grpc_ok');
const notOk = new Counter('grpc_not_ok');
const params = {
  metadata: { authorization: `Bearer ${__ENV.CREDENTIAL}` },
  timeout: '5s',
};

export const options = {
  scenarios: {
    get: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS || 8),
      duration: __ENV.DURATION || '10s',
    },
  },
  summaryTimeUnit: 'ms',
};

export default function () {
  if (__ITER === 0) {
    client.connect(__ENV.TARGET, { plaintext: true });
  }
  const id = ids[(__VU * 7919 + __ITER) % ids.length];
  const response = client.invoke('strata.users.v1.UserDirectory/GetUser', { id }, params);
  if (response && response.status === grpc.StatusOK) {
    ok.add(1);
  } else {
    notOk.add(1);
  }
}
