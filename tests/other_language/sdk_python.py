"""A split on the standalone sandbox (`wechatpay-sandbox`) made with a published Python SDK,
wechatpayv3 2.0.4 (https://github.com/minibear2021/wechatpayv3), in its public-key mode: it signs
the requests and verifies the answers with the sandbox's WeChat Pay public key. The control plane
(plain HTTP with the token) adds the paid transaction, moves the clock and injects the faults.

    python3 -m pip install wechatpayv3==2.0.4
    python3 tests/other_language/sdk_python.py BASE_URL CREDENTIALS_DIR TOKEN

The sandbox is started with `--clock-speed 0 --processing-delay 3 --notify-url` pointing at
`sdk_python_receiver.py`. It prints one line per step and exits non-zero at the first thing that
is not as expected. `sandbox/tests/sdks.rs` runs it.

wechatpayv3 has no method for the e-commerce (电商收付通) paths, `/v3/ecommerce/profitsharing/...`
(its `profitsharing_*` methods call the service providers' `/v3/profitsharing/...`), so the calls
go through its signed request, `_core.request`; and it has no base-URL option, so its gateway,
`_core._gate_way`, is set to the sandbox's.
"""

import json
import sys
import time
from datetime import datetime
import urllib.error
import urllib.request

from sdk_python_sdk import APPID, client  # exits, saying how to install it, without the SDK
from wechatpayv3.type import RequestType  # noqa: E402

BASE, DIR, TOKEN = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]


SUB_MCHID = "1900000109"
TRANSACTION = "4200000000000000000000000301"
SUPPLIER = "190001001"
OUT_ORDER_NO = "P-SDK-PY-1"
ORDERS = "/v3/ecommerce/profitsharing/orders"
QUERY = f"{ORDERS}?sub_mchid={SUB_MCHID}&transaction_id={TRANSACTION}&out_order_no={OUT_ORDER_NO}"

wxpay = client(DIR)
# No base-URL option: every request goes to `self._gate_way + path` (core.py).
wxpay._core._gate_way = BASE


def api(method, path, body=None, headers=None):
    """The SDK's signed request: (status, JSON). It verifies the signature of a 2xx answer and
    raises when it does not hold; it hands back any other answer as it came."""
    status, text = wxpay._core.request(path, method=method, data=body, headers=headers)
    return status, json.loads(text) if text else None


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    body = json.loads(raw) if raw else None
    assert status == 200, (method, path, status, body)
    return body


def step(name, what):
    print(f"{name:<20} {what}", flush=True)


def shares(order):
    """The receivers of a split as `account:amount:result`."""
    return " ".join(
        f"{r['receiver_account']}:{r['amount']}:{r['result']}" for r in order["receivers"])


def split():
    return {"appid": APPID, "sub_mchid": SUB_MCHID, "transaction_id": TRANSACTION,
            "out_order_no": OUT_ORDER_NO, "finish": False, "receivers": [
                {"type": "MERCHANT_ID", "receiver_account": SUPPLIER, "amount": 300,
                 "description": "供应商货款"}]}


# The paid transaction to split, and the first two attempts of its notification spoiled: the
# receiver's SDK must turn both away.
control("POST", "/sandbox/transactions",
        {"sub_mchid": SUB_MCHID, "transaction_id": TRANSACTION, "amount": 1000})
control("POST", "/sandbox/notification-faults", {"kind": "tamper_body"})
control("POST", "/sandbox/notification-faults", {"kind": "tamper_ciphertext"})

status, added = api(RequestType.POST, "/v3/ecommerce/profitsharing/receivers/add", {
    "type": "MERCHANT_ID", "account": SUPPLIER, "name": "示例商户全称",
    "relation_type": "SUPPLIER"})
assert status == 200 and added["account"] == SUPPLIER, (status, added)
step("add_receiver", f"{added['type']} {added['account']}")

# In-band: the header spoils this one answer; the split is not made.
status, error = api(RequestType.POST, ORDERS, split(),
                    headers={"Wechatpay-Sandbox-Fault": "500 SYSTEM_ERROR"})
made = OUT_ORDER_NO in [o["out_order_no"] for o in control("GET", "/sandbox/orders")["orders"]]
step("fault_in_band", f"{status} {error['code']}, {'split made' if made else 'no split'}")

status, created = api(RequestType.POST, ORDERS, split())
assert status == 200, (status, created)
step("create_order", f"{created['out_order_no']} {created['status']} {shares(created)}")

# Over the control plane: the next answer on the query's path is an error...
control("POST", "/sandbox/faults", {
    "fault": {"kind": "status", "status": 429, "code": "FREQUENCY_LIMITED"}, "path": ORDERS})
status, error = api(RequestType.GET, QUERY)
step("fault_control_plane", f"{status} {error['code']}")
# ... and then one whose body does not match its signature, which the SDK refuses.
control("POST", "/sandbox/faults", {"fault": {"kind": "tamper_body"}, "path": ORDERS})
try:
    api(RequestType.GET, QUERY)
    refused = "accepted"
except Exception as refusal:  # the SDK raises a bare Exception
    refused = f"refused: {refusal}"
step("fault_tamper_body", refused)

status, order = api(RequestType.GET, QUERY)
assert status == 200, (status, order)
step("query_order", f"{order['out_order_no']} {order['status']} {shares(order)}")

before = datetime.fromisoformat(control("GET", "/sandbox/clock")["now"])
after = datetime.fromisoformat(control("POST", "/sandbox/clock/advance", {"seconds": 5})["now"])
step("clock_advance", f"{(after - before).total_seconds():g} s")

status, order = api(RequestType.GET, QUERY)
assert status == 200, (status, order)
finished = all(r.get("finish_time") for r in order["receivers"])
step("query_order", f"{order['out_order_no']} {order['status']} {shares(order)}, "
     f"{'finish_time set' if finished else 'no finish_time'}")


def deliveries(count):
    """The sandbox's deliveries, once there are `count`."""
    for _ in range(200):
        listed = control("GET", "/sandbox/notifications")["deliveries"]
        if len(listed) >= count:
            return listed
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} deliveries: {listed}")


# Each spoiled attempt is sent again 15 s later on the sandbox's clock.
deliveries(1)
control("POST", "/sandbox/clock/advance", {"seconds": 15})
deliveries(2)
control("POST", "/sandbox/clock/advance", {"seconds": 15})
listed = deliveries(3)
for d in listed:
    step("notification", f"{d['id']} {d['event_type']} #{d['attempt']} {d['status']} "
         f"{'received' if d['received'] else 'not received'} {d['fault'] or 'no fault'}")
