"""A notify handler for the standalone sandbox (`wechatpay-sandbox --notify-url`) made with a
published Python SDK, wechatpayv3 2.0.4: its `callback(headers, body)` verifies the signature with
the WeChat Pay public key and decrypts the resource with the APIv3 key.

    python3 tests/other_language/sdk_python_receiver.py CREDENTIALS_DIR

It prints the port it listens on (127.0.0.1), then one JSON line per notification:
{"id", "event_type", "resource"} once the SDK verified and decrypted it (answered 204), or
{"error"} (answered 400). `sandbox/tests/sdks.rs` runs it.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from sdk_python_sdk import client  # exits, saying how to install it, without the SDK

DIR = sys.argv[1]
SDK = []


def sdk():
    # Made at the first notification: the sandbox writes the files once it has started, after
    # this handler (its URL is one of the sandbox's flags).
    if not SDK:
        SDK.append(client(DIR))
    return SDK[0]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            # None when the signature does not hold or the resource does not decrypt.
            notification = sdk().callback(self.headers, body)
            if notification is None:
                raise ValueError("the SDK's callback turned it away (None)")
            line = {
                "id": notification["id"],
                "event_type": notification["event_type"],
                "resource": notification["resource"],
            }
            status = 204
        except Exception as error:  # every failure is reported, and answered as one
            line = {"error": f"{type(error).__name__}: {error}"}
            status = 400
        print(json.dumps(line, ensure_ascii=False), flush=True)
        self.send_response(status)
        if status != 204:
            payload = json.dumps({"code": "FAIL", "message": line["error"]}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        else:
            self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
