"""A notify handler written as a merchant in another language would, for the standalone simulator
(`wechatpay-sandbox --notify-url`): it verifies each notification's signature with the WeChat Pay public
key and decrypts its resource with the APIv3 key, with Python's `cryptography` only.

    python3 tests/other_language/notify_receiver.py CREDENTIALS_DIR

It prints the port it listens on (127.0.0.1), then one JSON line per notification:
{"id", "event_type", "resource"} once verified and decrypted (answered 204), or {"error"}
(answered 400). `tests/simulator.rs` runs it.
"""

import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DIR = sys.argv[1]


def read(name):
    # Read at the first notification: the server writes the files once it has started.
    with open(os.path.join(DIR, name), "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            line = self.decode(body)
            status = 204
        except Exception as error:  # every failure is reported, and answered as one
            line = {"error": f"{type(error).__name__}: {error}"}
            status = 400
        print(json.dumps(line, ensure_ascii=False), flush=True)
        self.send_response(status)
        if status != 204:
            payload = json.dumps({"code": "FAIL", "message": "not verified"}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        else:
            self.end_headers()

    def decode(self, body):
        h = self.headers
        if h["Wechatpay-Signature-Type"] != "WECHATPAY2-SHA256-RSA2048":
            raise ValueError(f"signature type {h['Wechatpay-Signature-Type']}")
        if h["Wechatpay-Serial"] != read("public_key_id").decode().strip():
            raise ValueError(f"serial {h['Wechatpay-Serial']}")
        timestamp = h["Wechatpay-Timestamp"]
        if abs(time.time() - int(timestamp)) > 300:
            raise ValueError(f"stale timestamp {timestamp}")
        message = f"{timestamp}\n{h['Wechatpay-Nonce']}\n".encode() + body + b"\n"
        key = serialization.load_pem_public_key(read("platform_public_key.pem"))
        key.verify(
            base64.b64decode(h["Wechatpay-Signature"]), message, padding.PKCS1v15(), hashes.SHA256()
        )
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource["algorithm"] != "AEAD_AES_256_GCM":
            raise ValueError(f"algorithm {resource['algorithm']}")
        plaintext = AESGCM(read("apiv3_key").strip()).decrypt(
            resource["nonce"].encode(),
            base64.b64decode(resource["ciphertext"]),
            resource.get("associated_data", "").encode(),
        )
        return {
            "id": envelope["id"],
            "event_type": envelope["event_type"],
            "resource": json.loads(plaintext),
        }

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
