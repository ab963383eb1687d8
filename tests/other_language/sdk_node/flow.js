// A split on the standalone sandbox (`wechatpay-sandbox`) made with a published Node SDK,
// wechatpay-axios-plugin (the version package.json pins), in its public-key mode: it signs the
// requests and verifies the answers with the sandbox's WeChat Pay public key (`certs:
// {[public_key_id]: pem}`), against the sandbox's `baseURL`. The control plane (plain HTTP with
// the token, Node's fetch) adds the paid transaction, moves the clock and injects the faults.
//
//     npm ci --prefix tests/other_language/sdk_node
//     node tests/other_language/sdk_node/flow.js BASE_URL CREDENTIALS_DIR TOKEN
//
// The sandbox is started with `--clock-speed 0 --processing-delay 3 --notify-url` pointing at
// `receiver.js`. It prints one line per step, the same lines as ../sdk_python.py, and exits
// non-zero at the first thing that is not as expected. `sandbox/tests/sdks.rs` runs it.
'use strict';

const assert = require('assert');
const { readFileSync } = require('fs');
const { join } = require('path');

const sdk = require('./sdk');

const { Wechatpay } = sdk();

const [BASE, DIR, TOKEN] = [process.argv[2].replace(/\/$/, ''), process.argv[3], process.argv[4]];
const read = (name) => readFileSync(join(DIR, name), 'utf8').trim();

const SUB_MCHID = '1900000109';
const TRANSACTION = '4200000000000000000000000302';
const SUPPLIER = '190001001';
const APPID = 'wx8888888888888888';
const OUT_ORDER_NO = 'P-SDK-NODE-1';
const KEY_ID = read('public_key_id');

const wxpay = new Wechatpay({
  mchid: read('mchid'),
  serial: read('merchant_serial_no'),
  privateKey: read('merchant_private_key.pem'),
  certs: { [KEY_ID]: read('platform_public_key.pem') },
  baseURL: `${BASE}/`,
  // The plugin sends no Wechatpay-Serial of its own: without it, WeChat Pay (and the sandbox)
  // signs the answer with the platform certificate, whose serial is not in `certs`. With the
  // public key's id, the answer is signed with the public key, which `certs` verifies.
  headers: { 'Wechatpay-Serial': KEY_ID },
});
const orders = wxpay.v3.ecommerce.profitsharing.orders;
const query = () => orders.get({
  params: { sub_mchid: SUB_MCHID, transaction_id: TRANSACTION, out_order_no: OUT_ORDER_NO },
});

async function control(method, path, body) {
  const answer = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await answer.json();
  assert.strictEqual(answer.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** What the SDK reports for a call that fails: the status and the code of WeChat Pay's error. */
async function failure(call) {
  try {
    const { status, data } = await call();
    return `answered ${status} ${JSON.stringify(data)}`;
  } catch (error) {
    if (!error.response) { throw error; }
    return `${error.response.status} ${error.response.data.code}`;
  }
}

function step(name, what) {
  process.stdout.write(`${name.padEnd(20)} ${what}\n`);
}

const shares = (order) => order.receivers
  .map((r) => `${r.receiver_account}:${r.amount}:${r.result}`).join(' ');

const split = () => ({
  appid: APPID,
  sub_mchid: SUB_MCHID,
  transaction_id: TRANSACTION,
  out_order_no: OUT_ORDER_NO,
  finish: false,
  receivers: [{
    type: 'MERCHANT_ID', receiver_account: SUPPLIER, amount: 300, description: '供应商货款',
  }],
});

async function deliveries(count) {
  let listed = [];
  for (let i = 0; i < 200; i += 1) {
    ({ deliveries: listed } = await control('GET', '/sandbox/notifications'));
    if (listed.length >= count) { return listed; }
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
  throw new Error(`fewer than ${count} deliveries: ${JSON.stringify(listed)}`);
}

async function main() {
  // The paid transaction to split, and the first two attempts of its notification spoiled: the
  // receiver's SDK must turn both away.
  await control('POST', '/sandbox/transactions', {
    sub_mchid: SUB_MCHID, transaction_id: TRANSACTION, amount: 1000,
  });
  await control('POST', '/sandbox/notification-faults', { kind: 'tamper_body' });
  await control('POST', '/sandbox/notification-faults', { kind: 'tamper_ciphertext' });

  const { data: added } = await wxpay.v3.ecommerce.profitsharing.receivers.add.post({
    type: 'MERCHANT_ID', account: SUPPLIER, name: '示例商户全称', relation_type: 'SUPPLIER',
  });
  step('add_receiver', `${added.type} ${added.account}`);

  // In-band: the header spoils this one answer; the split is not made.
  const inBand = await failure(() => orders.post(split(), {
    headers: { 'Wechatpay-Sandbox-Fault': '500 SYSTEM_ERROR' },
  }));
  const made = (await control('GET', '/sandbox/orders')).orders
    .some((o) => o.out_order_no === OUT_ORDER_NO);
  step('fault_in_band', `${inBand}, ${made ? 'split made' : 'no split'}`);

  const { data: created } = await orders.post(split());
  step('create_order', `${created.out_order_no} ${created.status} ${shares(created)}`);

  // Over the control plane: the next answer on the query's path is an error...
  const path = '/v3/ecommerce/profitsharing/orders';
  await control('POST', '/sandbox/faults', {
    fault: { kind: 'status', status: 429, code: 'FREQUENCY_LIMITED' }, path,
  });
  step('fault_control_plane', await failure(query));
  // ... and then one whose body does not match its signature, which the SDK refuses.
  await control('POST', '/sandbox/faults', { fault: { kind: 'tamper_body' }, path });
  let refused;
  try {
    await query();
    refused = 'accepted';
  } catch (error) {
    refused = `refused: ${error.code}`;
  }
  step('fault_tamper_body', refused);

  let { data: order } = await query();
  step('query_order', `${order.out_order_no} ${order.status} ${shares(order)}`);

  const before = Date.parse((await control('GET', '/sandbox/clock')).now);
  const after = Date.parse((await control('POST', '/sandbox/clock/advance', { seconds: 5 })).now);
  step('clock_advance', `${(after - before) / 1000} s`);

  ({ data: order } = await query());
  const finished = order.receivers.every((r) => r.finish_time);
  step('query_order', `${order.out_order_no} ${order.status} ${shares(order)}, ${finished ? 'finish_time set' : 'no finish_time'}`);

  // Each spoiled attempt is sent again 15 s later on the sandbox's clock.
  await deliveries(1);
  await control('POST', '/sandbox/clock/advance', { seconds: 15 });
  await deliveries(2);
  await control('POST', '/sandbox/clock/advance', { seconds: 15 });
  for (const d of await deliveries(3)) {
    step('notification', `${d.id} ${d.event_type} #${d.attempt} ${d.status} ${d.received ? 'received' : 'not received'} ${d.fault || 'no fault'}`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
