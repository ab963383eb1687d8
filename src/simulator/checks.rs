//! The checks the real API makes on every request before it answers: headers, the Authorization
//! signature, the timestamp, nonce reuse, and the parameters.

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::json;

use crate::profit_sharing::{OrderReference, QueryOrderRequest, QueryReturnOrderRequest};
use crate::{InvalidParameter, Request};

/// The message a request's signature covers (PROTOCOL.md section 1): the method, the path and
/// query as the request line carried them, the timestamp, the nonce and the body, each followed by
/// `\n`. Written here from the protocol, not taken from the client's signing code, so that a
/// mistake there fails every test that goes through the simulator.
fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: u64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n")
}

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

/// `404 RESOURCE_NOT_EXISTS`: no such order.
pub(crate) fn not_found() -> Rejection {
    rejection(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_EXISTS",
        "记录不存在",
        None,
    )
}

/// The merchant the simulator serves.
pub(crate) struct Merchant {
    pub mchid: String,
    pub serial_no: String,
    pub public_key: ParsedPublicKey,
    /// The same key, to encrypt for the merchant (a sub-merchant bill's key).
    pub encryption: crate::EncryptionKey,
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

/// A request with a body must say it is JSON, as the real API insists.
pub(crate) fn check_content_type(content_type: Option<&str>) -> Result<(), Rejection> {
    let media_type = content_type
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    if !media_type.is_some_and(|t| t.eq_ignore_ascii_case("application/json")) {
        return Err(rejection(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Content-Type必须为application/json (the body must be sent as application/json)",
            None,
        ));
    }
    Ok(())
}

fn sign_error(why: &str) -> Rejection {
    rejection(
        StatusCode::UNAUTHORIZED,
        "SIGN_ERROR",
        &format!("签名错误: {why}"),
        None,
    )
}

/// A request's signature that verified: its nonce, for [`Nonces::remember`].
pub(crate) struct SignedRequest<'a> {
    nonce: &'a str,
}

/// The `mchid` an `Authorization` header names, if it names one: only to choose which merchant
/// answers; [`check_signature`] then checks the whole header with that merchant's key.
pub(crate) fn named_mchid(authorization: &str) -> Option<&str> {
    let fields = authorization.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    fields.split(',').find_map(|field| {
        field
            .strip_prefix("mchid=\"")
            .and_then(|value| value.strip_suffix('"'))
    })
}

/// Checks the `Authorization` header against the request as received (the nonce is checked
/// after, by [`Nonces::remember`], so that no lock is held while the signature is verified).
pub(crate) fn check_signature<'a>(
    authorization: Option<&'a str>,
    method: &str,
    path_and_query: &str,
    body: &str,
    merchant: &Merchant,
    now: u64,
) -> Result<SignedRequest<'a>, Rejection> {
    let authorization = authorization.ok_or_else(|| sign_error("no Authorization header"))?;
    let fields = authorization
        .strip_prefix("WECHATPAY2-SHA256-RSA2048")
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
    let message = request_message(method, path_and_query, signed_at, nonce, body);
    let signature = STANDARD
        .decode(signature)
        .map_err(|_| sign_error("signature is not base64"))?;
    merchant
        .public_key
        .verify_sig(message.as_bytes(), &signature)
        .map_err(|_| sign_error("the signature does not verify with the merchant's public key"))?;
    Ok(SignedRequest { nonce })
}

/// The nonces seen, forgotten in the order they came (each request costs O(1), not a scan of every
/// nonce kept). A nonce is kept 600 s after it came: a timestamp up to 300 s ahead is accepted
/// until 300 s after it, so a replay within that time is still caught.
#[derive(Default)]
pub(crate) struct Nonces {
    seen: std::collections::HashSet<String>,
    /// Each nonce with the time it came, oldest first.
    arrival: std::collections::VecDeque<(u64, String)>,
}

impl Nonces {
    /// Refuses a nonce used within the last 300 s, and remembers this one.
    pub fn remember(&mut self, signed: &SignedRequest<'_>, now: u64) -> Result<(), Rejection> {
        while let Some((at, _)) = self.arrival.front()
            && now.saturating_sub(*at) > 2 * WINDOW_SECS
        {
            if let Some((_, old)) = self.arrival.pop_front() {
                self.seen.remove(&old);
            }
        }
        if !self.seen.insert(signed.nonce.to_owned()) {
            return Err(sign_error("nonce_str was used within the last 300 s"));
        }
        self.arrival.push_back((now, signed.nonce.to_owned()));
        Ok(())
    }
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

    /// A query parameter that must be there.
    pub fn required_param(&self, name: &str) -> Result<String, Rejection> {
        self.required(name)
    }

    /// An optional query parameter, if given.
    pub fn optional_param(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    /// The `sub_mchid` query parameter the refund queries take.
    pub fn sub_mchid(&self) -> Result<String, Rejection> {
        self.required("sub_mchid")
    }

    /// The parameters of 查询分账结果, checked by the generated request type's rules.
    pub fn order_request(&self) -> Result<QueryOrderRequest, Rejection> {
        let request = QueryOrderRequest::builder()
            .sub_mchid(self.required("sub_mchid")?)
            .transaction_id(self.required("transaction_id")?)
            .out_order_no(self.required("out_order_no")?)
            .build();
        built(request)
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
        let request = QueryReturnOrderRequest::builder()
            .sub_mchid(self.required("sub_mchid")?)
            .order(order)
            .out_return_no(self.required("out_return_no")?)
            .build();
        built(request)
    }
}

/// `500 SYSTEM_ERROR`: `what` (the request, a control call) was taken, but the data file did not
/// take it: as WeChat Pay's 500 says, it may have acted.
pub(crate) fn not_saved(what: &str, error: &super::SimulatorError) -> Rejection {
    rejection(
        StatusCode::INTERNAL_SERVER_ERROR,
        "SYSTEM_ERROR",
        &format!("系统错误 ({what} was taken, but not saved: {error})"),
        None,
    )
}

/// `400 INVALID_REQUEST`: a rule of the business broken (the code the pages give for one).
pub(crate) fn invalid(message: &str) -> Rejection {
    rejection(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message, None)
}

/// `403 NOT_ENOUGH`: an account that does not hold the money.
pub(crate) fn not_enough(message: &str) -> Rejection {
    rejection(StatusCode::FORBIDDEN, "NOT_ENOUGH", message, None)
}

/// `404 RESOURCE_NOT_EXISTS` with the page's text.
pub(crate) fn missing(message: &str) -> Rejection {
    rejection(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", message, None)
}

/// `400 PARAM_ERROR` naming the parameter.
pub(crate) fn param_error(field: &str, message: &str) -> Rejection {
    rejection(StatusCode::BAD_REQUEST, "PARAM_ERROR", message, Some(field))
}

/// The request a generated builder made, if it follows the spec's rules; else `PARAM_ERROR`
/// naming the parameter.
pub(crate) fn built<Q>(request: Result<Q, InvalidParameter>) -> Result<Q, Rejection> {
    request.map_err(|invalid| param_error(&invalid.parameter, &format!("参数错误: {invalid}")))
}

/// The request, if it follows the spec's rules; else `PARAM_ERROR` naming the parameter.
pub(crate) fn validated<Q: Request>(request: Q) -> Result<Q, Rejection> {
    built(request.validate())?;
    Ok(request)
}

/// Checks a request with a JSON body as the real API does: its sensitive fields decrypt with the
/// private key `Wechatpay-Serial` names, the body decodes into the request type and follows the
/// spec's rules. Returns the request, sensitive fields in plaintext.
pub(crate) fn body_request<Q>(
    state: &super::State,
    serial: Option<&str>,
    body: &str,
) -> Result<Q, Rejection>
where
    Q: Request + serde::de::DeserializeOwned,
{
    body_request_at(state, serial, body, |_| {})
}

/// [`body_request`] for an operation with path parameters too: `fill` sets them (the body does
/// not carry them) before the request is checked.
pub(crate) fn body_request_at<Q>(
    state: &super::State,
    serial: Option<&str>,
    body: &str,
    fill: impl FnOnce(&mut Q),
) -> Result<Q, Rejection>
where
    Q: Request + serde::de::DeserializeOwned,
{
    let mut value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| param_error("", &format!("请求体不是JSON (the body is not JSON: {e})")))?;
    decrypt_sensitive(state, serial, &mut value, Q::OPERATION.sensitive_fields)?;
    let mut request: Q = serde_path_to_error::deserialize(&value).map_err(|e| {
        let field = e.path().to_string();
        param_error(&field, &format!("参数错误: {field}: {}", e.inner()))
    })?;
    fill(&mut request);
    validated(request)
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Calls `f` on every string the pointer's segments reach (`*`: every item of an array), with the
/// field's path as the real API names it (`receivers[0].receiver_name`).
fn visit(
    value: &mut serde_json::Value,
    segments: &[String],
    path: &str,
    f: &mut dyn FnMut(&mut serde_json::Value, &str) -> Result<(), Rejection>,
) -> Result<(), Rejection> {
    let Some((first, rest)) = segments.split_first() else {
        return if value.is_string() {
            f(value, path)
        } else {
            Ok(())
        };
    };
    if first == "*" {
        if let Some(items) = value.as_array_mut() {
            for (index, item) in items.iter_mut().enumerate() {
                visit(item, rest, &format!("{path}[{index}]"), f)?;
            }
        }
        return Ok(());
    }
    match value.get_mut(first.as_str()) {
        Some(child) => {
            let path = if path.is_empty() {
                first.clone()
            } else {
                format!("{path}.{first}")
            };
            visit(child, rest, &path, f)
        }
        None => Ok(()),
    }
}

/// A private key that decrypts sensitive fields: the WeChat Pay public key's or a platform
/// certificate's.
enum DecryptingKey<'a> {
    PublicKey(&'a aws_lc_rs::rsa::OaepPrivateDecryptingKey),
    Platform(std::sync::Arc<super::PlatformIdentity>),
}

impl DecryptingKey<'_> {
    fn key(&self) -> &aws_lc_rs::rsa::OaepPrivateDecryptingKey {
        match self {
            Self::PublicKey(key) => key,
            Self::Platform(platform) => &platform.decrypt,
        }
    }
}

/// The private key of the WeChat Pay public key or platform certificate `serial` names.
fn decrypting_key<'a>(
    state: &'a super::State,
    serial: Option<&str>,
) -> Result<DecryptingKey<'a>, Rejection> {
    match serial {
        Some(id) if id == state.credentials.wechatpay_public_key_id => {
            Ok(DecryptingKey::PublicKey(&state.public_key_decrypt))
        }
        Some(serial) => state
            .data()
            .platform
            .iter()
            // As WeChat Pay lists it, exactly: a serial written without its leading zero is not
            // the certificate's name.
            .find(|p| p.serial == serial)
            .cloned()
            .map(DecryptingKey::Platform)
            .ok_or_else(|| {
                param_error(
                    "Wechatpay-Serial",
                    "Wechatpay-Serial 不是微信支付公钥ID或平台证书序列号 (it names no WeChat Pay key)",
                )
            }),
        None => Err(param_error(
            "Wechatpay-Serial",
            "含敏感信息的请求须在Wechatpay-Serial中填写加密所用的公钥ID或平台证书序列号 \
             (a request with sensitive fields must name the key in Wechatpay-Serial)",
        )),
    }
}

/// Replaces each sensitive field's ciphertext by its plaintext, decrypted with the private key of
/// the WeChat Pay public key or platform certificate `serial` names (looked up at the first field
/// the body has: a body without one needs no `Wechatpay-Serial`).
fn decrypt_sensitive(
    state: &super::State,
    serial: Option<&str>,
    value: &mut serde_json::Value,
    pointers: &[&str],
) -> Result<(), Rejection> {
    let mut found: Option<DecryptingKey<'_>> = None;
    for pointer in pointers {
        visit(value, &segments(pointer), "", &mut |field, path| {
            let key = match &found {
                Some(key) => key,
                None => found.insert(decrypting_key(state, serial)?),
            }
            .key();
            let undecryptable = || {
                param_error(
                    path,
                    &format!(
                        "{path} 解密失败 (does not decrypt with the key Wechatpay-Serial names)"
                    ),
                )
            };
            let ciphertext = STANDARD
                .decode(field.as_str().unwrap_or_default())
                .map_err(|_| undecryptable())?;
            let mut plaintext = vec![0u8; key.min_output_size()];
            let plaintext = key
                .decrypt(
                    &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                    &ciphertext,
                    &mut plaintext,
                    None,
                )
                .map_err(|_| undecryptable())?;
            let plaintext = String::from_utf8(plaintext.to_vec()).map_err(|_| undecryptable())?;
            *field = serde_json::Value::String(plaintext);
            Ok(())
        })?;
    }
    Ok(())
}
