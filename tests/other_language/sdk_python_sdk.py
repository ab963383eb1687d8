"""What the Python SDK scripts share: wechatpayv3 at the pinned version (a clear exit without it),
and its client in public-key mode from the credentials the sandbox wrote into a directory."""

import os
import sys
from importlib.metadata import PackageNotFoundError, version

SDK_VERSION = "2.0.4"
try:
    FOUND = version("wechatpayv3")
except PackageNotFoundError:
    FOUND = None
if FOUND != SDK_VERSION:
    sys.exit(f"wechatpayv3 {SDK_VERSION} is needed (found {FOUND}): "
             f"python3 -m pip install wechatpayv3=={SDK_VERSION}")

from wechatpayv3 import WeChatPay, WeChatPayType  # noqa: E402

APPID = "wx8888888888888888"


def read(directory, name):
    """A credentials file the sandbox wrote, as text."""
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        return f.read().strip()


def client(directory):
    """The SDK's client for the merchant whose credentials are in `directory`, verifying with
    the sandbox's WeChat Pay public key."""
    return WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=read(directory, "mchid"),
        private_key=read(directory, "merchant_private_key.pem"),
        cert_serial_no=read(directory, "merchant_serial_no"),
        appid=APPID,
        apiv3_key=read(directory, "apiv3_key"),
        partner_mode=True,
        public_key=read(directory, "platform_public_key.pem"),
        public_key_id=read(directory, "public_key_id"),
    )
