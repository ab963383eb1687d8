//! The checks the real API makes on every request before it answers: headers, the Authorization
//! signature, the timestamp, nonce reuse, and the parameters.

use std::collections::HashMap;

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::json;

use crate::signing::{SCHEME, signing_message};
use crate::{OrderReference, QueryOrderRequest, QueryReturnOrderRequest, Request};

/// The window within which request timestamps are accepted and nonces must not repeat.
pub(crate) const WINDOW_SECS: u64 = 300;

/// An error answer, before signing.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

/// An error answer with WeChat Pay's error body.
pub(crate) fn rejection(
    status: StatusCode,
    code: &str,
    message: &str,
    field: Option<&str>,
) -> Rejection {
    let body = match field {
        Some(field) => json!({"code": code, "message": message,
                              "detail": {"field": field, "location": "query", "issue": message}}),
        None => json!({"code": code, "message": message}),
    };
    Rejection { status, body }
}

/// The merchant the simulator serves.
pub(crate) struct Merchant {
    pub mchid: String,
    pub serial_no: String,
    pub public_key: ParsedPublicKey,
}

/// `Accept` and `User-Agent` must be there, as the real API insists.
pub(crate) fn check_headers(
    accept: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), Rejection> {
    if accept.is_none() || user_agent.is_none() {
        return Err(rejection(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Http头缺少Accept或User-Agent",
            None,
        ));
    }
    Ok(())
}

/// Checks the `Authorization` header against the request as received; remembers the nonce.
pub(crate) fn check_signature(
    authorization: Option<&str>,
    method: &str,
    path_and_query: &str,
    merchant: &Merchant,
    nonces: &mut HashMap<String, u64>,
    now: u64,
) -> Result<(), Rejection> {
    let sign_error = |why: &str| {
        rejection(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            &format!("签名错误: {why}"),
            None,
        )
    };
    let authorization = authorization.ok_or_else(|| sign_error("no Authorization header"))?;
    let fields = authorization
        .strip_prefix(SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| {
            sign_error(
                "the Authorization scheme is not WECHATPAY2-SHA256-RSA2048 followed by one space",
            )
        })?;
    let mut mchid = None;
    let mut nonce = None;
    let mut timestamp = None;
    let mut serial_no = None;
    let mut signature = None;
    for field in fields.split(',') {
        let (name, value) = field
            .split_once('=')
            .ok_or_else(|| sign_error("a field is not name=\"value\""))?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| sign_error("a value is not in double quotes"))?;
        let slot = match name {
            "mchid" => &mut mchid,
            "nonce_str" => &mut nonce,
            "timestamp" => &mut timestamp,
            "serial_no" => &mut serial_no,
            "signature" => &mut signature,
            _ => return Err(sign_error("an unknown Authorization field")),
        };
        if slot.replace(value).is_some() {
            return Err(sign_error("a field appears twice"));
        }
    }
    let (Some(mchid), Some(nonce), Some(timestamp), Some(serial_no), Some(signature)) =
        (mchid, nonce, timestamp, serial_no, signature)
    else {
        return Err(sign_error(
            "a field of mchid, nonce_str, timestamp, serial_no, signature is missing",
        ));
    };
    if mchid != merchant.mchid {
        return Err(sign_error("unknown mchid"));
    }
    if serial_no != merchant.serial_no {
        return Err(sign_error(
            "serial_no is not the merchant's certificate serial number",
        ));
    }
    let signed_at: u64 = timestamp
        .parse()
        .map_err(|_| sign_error("timestamp is not Unix seconds"))?;
    if signed_at.abs_diff(now) > WINDOW_SECS {
        return Err(sign_error(
            "timestamp is more than 300 s from the server's time",
        ));
    }
    let message = signing_message(method, path_and_query, signed_at, nonce, "");
    let signature = STANDARD
        .decode(signature)
        .map_err(|_| sign_error("signature is not base64"))?;
    merchant
        .public_key
        .verify_sig(message.as_bytes(), &signature)
        .map_err(|_| sign_error("the signature does not verify with the merchant's public key"))?;
    nonces.retain(|_, at| at.abs_diff(now) <= WINDOW_SECS);
    if nonces.insert(nonce.to_owned(), signed_at).is_some() {
        return Err(sign_error("nonce_str was used within the last 300 s"));
    }
    Ok(())
}

/// The query's parameters, percent-decoded.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(query: &str) -> Self {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(name), decode(value))
            })
            .collect();
        Self { pairs }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<String, Rejection> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| param_error(name, &format!("缺少参数 {name} (missing)")))
    }

    /// The parameters of 查询分账结果, checked by the generated request type's rules.
    pub fn order_request(&self) -> Result<QueryOrderRequest, Rejection> {
        let request = QueryOrderRequest::new(
            self.required("sub_mchid")?,
            self.required("transaction_id")?,
            self.required("out_order_no")?,
        );
        validated(request)
    }

    /// The parameters of 查询分账回退结果: exactly one of `order_id` and `out_order_no`.
    pub fn return_order_request(&self) -> Result<QueryReturnOrderRequest, Rejection> {
        let order = match (self.get("order_id"), self.get("out_order_no")) {
            (Some(id), None) => OrderReference::OrderId(id.to_owned()),
            (None, Some(no)) => OrderReference::OutOrderNo(no.to_owned()),
            _ => {
                return Err(param_error(
                    "order_id",
                    "order_id和out_order_no必须二选一 (exactly one is required)",
                ));
            }
        };
        let request = QueryReturnOrderRequest::new(
            self.required("sub_mchid")?,
            order,
            self.required("out_return_no")?,
        );
        validated(request)
    }
}

fn param_error(field: &str, message: &str) -> Rejection {
    rejection(StatusCode::BAD_REQUEST, "PARAM_ERROR", message, Some(field))
}

fn validated<Q: Request>(request: Q) -> Result<Q, Rejection> {
    request
        .validate()
        .map_err(|invalid| param_error(invalid.parameter, &format!("参数错误: {invalid}")))?;
    Ok(request)
}
