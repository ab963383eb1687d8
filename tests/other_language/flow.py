"""The profit-sharing flow against the standalone simulator (`wechatpay-sandbox`), written as an SDK in
another language would: it signs, verifies and encrypts with Python's `cryptography`, reads the
credentials from the files the server writes, and follows the README's walk-through step by step.

    python3 tests/other_language/flow.py BASE_URL CREDENTIALS_DIR

It prints one line per step and exits non-zero at the first thing that is not as the README says.
`tests/simulator.rs` runs it.
"""

import base64
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

BASE, DIR = sys.argv[1], sys.argv[2]


def read(name):
    with open(os.path.join(DIR, name), "rb") as f:
        return f.read()


MCHID = read("mchid").decode().strip()
SERIAL = read("merchant_serial_no").decode().strip()
KEY = serialization.load_pem_private_key(read("merchant_private_key.pem"), None)
WECHATPAY = serialization.load_pem_public_key(read("platform_public_key.pem"))
KEY_ID = read("public_key_id").decode().strip()

SUB_MCHID = "1900000109"
TRANSACTION = "4208450740201411110007820472"
SUPPLIER = "190001001"
PERSON = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
APPID = "wx8888888888888888"


def call(method, path, body=None):
    """Signs and sends a request, verifies the answer's signature, returns (status, JSON)."""
    text = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{text}\n".encode()
    signature = base64.b64encode(KEY.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    headers = {
        "Authorization": f'WECHATPAY2-SHA256-RSA2048 mchid="{MCHID}",nonce_str="{nonce}",'
        f'timestamp="{timestamp}",serial_no="{SERIAL}",signature="{signature}"',
        "Accept": "application/json",
        "User-Agent": "flow.py",
        # Answers are then signed with the WeChat Pay public key, and sensitive fields are
        # encrypted with it.
        "Wechatpay-Serial": KEY_ID,
    }
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = text.encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as answer:
            status, raw, got = answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    assert got["Wechatpay-Serial"] == KEY_ID, got["Wechatpay-Serial"]
    signed = f"{got['Wechatpay-Timestamp']}\n{got['Wechatpay-Nonce']}\n".encode() + raw + b"\n"
    WECHATPAY.verify(
        base64.b64decode(got["Wechatpay-Signature"]), signed, padding.PKCS1v15(), hashes.SHA256()
    )
    return status, json.loads(raw) if raw else None


def expect(answer, status, code=None):
    got_status, body = answer
    assert got_status == status, (got_status, body)
    if code is not None:
        assert body["code"] == code, body
    return body


def until(method, path, field, pending):
    """Queries until `field` is no longer `pending`; returns the answer."""
    for _ in range(100):
        body = expect(call(method, path), 200)
        if body[field] != pending:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} stayed {pending}")


def step(name, what):
    print(f"{name:<20} {what}", flush=True)


# 3. Receivers.
RECEIVERS = "/v3/ecommerce/profitsharing/receivers/add"
expect(call("POST", RECEIVERS, {"type": "MERCHANT_ID", "account": SUPPLIER,
                                "name": "示例商户全称", "relation_type": "SUPPLIER"}), 200)
expect(call("POST", RECEIVERS, {"appid": APPID, "type": "PERSONAL_OPENID", "account": PERSON,
                                "name": "张三", "relation_type": "DISTRIBUTOR"}), 200)
step("add_receiver", f"MERCHANT_ID {SUPPLIER}, PERSONAL_OPENID {PERSON}")

# 4. The split; the person's name encrypted with RSAES-OAEP (SHA-1) under the public key.
name = base64.b64encode(WECHATPAY.encrypt("张三".encode(), padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None))).decode()
ORDERS = "/v3/ecommerce/profitsharing/orders"


def split(out_order_no, merchant_amount):
    return {"appid": APPID, "sub_mchid": SUB_MCHID, "transaction_id": TRANSACTION,
            "out_order_no": out_order_no, "finish": False, "receivers": [
                {"type": "MERCHANT_ID", "receiver_account": SUPPLIER, "amount": merchant_amount,
                 "description": "供应商货款"},
                {"type": "PERSONAL_OPENID", "receiver_account": PERSON, "amount": 100,
                 "description": "分销佣金", "receiver_name": name}]}


expect(call("POST", ORDERS, split("P0", 201)), 403, "RULE_LIMIT")  # 301 fen of 1000: over 30 %
created = expect(call("POST", ORDERS, split("P1", 200)), 200)
assert created["status"] == "PROCESSING", created
assert [r["result"] for r in created["receivers"]] == ["PENDING", "PENDING"], created
step("create_order", f"P1 {created['status']}")

# 5. Until it is done.
query = f"{ORDERS}?sub_mchid={SUB_MCHID}&transaction_id={TRANSACTION}&out_order_no=P1"
order = until("GET", query, "status", "PROCESSING")
assert order["status"] == "FINISHED", order
assert all(r["result"] == "SUCCESS" and r["finish_time"] for r in order["receivers"]), order
step("query_order", f"P1 {order['status']}")

# 6. A return, and until it is done.
RETURNS = "/v3/ecommerce/profitsharing/returnorders"


def give_back(out_return_no, amount):
    return {"sub_mchid": SUB_MCHID, "out_order_no": "P1", "out_return_no": out_return_no,
            "return_mchid": SUPPLIER, "amount": amount, "description": "退货"}


expect(call("POST", RETURNS, give_back("R0", 201)), 403, "NOT_ENOUGH")
returned = expect(call("POST", RETURNS, give_back("R1", 50)), 200)
assert returned["result"] == "PROCESSING", returned
done = until("GET", f"{RETURNS}?sub_mchid={SUB_MCHID}&out_order_no=P1&out_return_no=R1",
             "result", "PROCESSING")
assert done["result"] == "SUCCESS" and done["amount"] == 50, done
step("query_return_order", f"R1 {done['result']}")

# 7. Finish, and what is left.
expect(call("POST", "/v3/ecommerce/profitsharing/finish-order", {
    "sub_mchid": SUB_MCHID, "transaction_id": TRANSACTION, "out_order_no": "F1",
    "description": "分账完结"}), 200)
amounts = expect(call("GET", f"{ORDERS}/{TRANSACTION}/amounts"), 200)
assert amounts == {"transaction_id": TRANSACTION, "unsplit_amount": 0}, amounts
step("query_order_amounts", f"unsplit_amount {amounts['unsplit_amount']}")
