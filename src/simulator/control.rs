//! The control plane: an HTTP API under [`PREFIX`] that drives the simulator from any language,
//! guarded by a bearer token ([`SimulatorBuilder::control_token`](super::SimulatorBuilder)). Each
//! call does what a [`Simulator`](super::Simulator) method does, on the same state:
//!
//! | call | body | method |
//! |---|---|---|
//! | `GET /sandbox/clock` | | `now`, `clock_speed` |
//! | `POST /sandbox/clock/advance` | `{"seconds": 90}` | `advance` |
//! | `POST /sandbox/clock/speed` | `{"speed": 60}` (0 freezes it) | `set_clock_speed` |
//! | `POST /sandbox/transactions` | `{"sub_mchid": …, "transaction_id": …, "amount": fen}` | `add_transaction` |
//! | `POST /sandbox/faults` | `{"fault": {"kind": "status", "status": 500, "code": "SYSTEM_ERROR"}, "times": 1, "path": "/v3/…"}` | `inject_times`, `inject_on` |
//! | `DELETE /sandbox/faults` | | `clear_faults` |
//! | `POST /sandbox/notification-faults` | `{"kind": "tamper_body"}` (one attempt each) | `inject_notification` |
//! | `GET /sandbox/notifications` | | `deliveries` |
//! | `GET /sandbox/orders` | | `orders` |
//! | `GET /sandbox/returns` | | `return_orders` |
//! | `GET /sandbox/refunds` | | `refunds` |
//! | `GET /sandbox/withdrawals` | | `withdrawals` |
//! | `GET /sandbox/journal` | | `journal` (every family's money movements: payments, shares, refunds, subsidies, after-sales splits, withdrawals) |
//! | `POST /sandbox/reset` | | `reset` |
//! | `POST /sandbox/merchants` | `{"mchid": …, "serial_no": …, "public_key": PEM, "apiv3_key": …}`, each optional | `add_merchant` |
//! | `GET /sandbox/merchants` | | `merchants` |
//!
//! The clock, `reset` and the merchants are the whole sandbox's. Every other call acts on one
//! merchant's books: the one `?mchid=…` names, else the default one (the first); it is the
//! `Simulator::merchant(mchid)` handle's method.
//!
//! Each answers JSON: the clock for the clock calls, a new merchant's credentials (its private
//! key and APIv3 key included: they are the sandbox's test keys) for `POST /sandbox/merchants`,
//! `{}` for the others, and an error as
//! `{"code": …, "message": …}` (`401 UNAUTHORIZED` without the token, `400 INVALID_REQUEST` for
//! a body it cannot use, `404 NOT_FOUND` for another path).
//!
//! In-band, an API request with `Wechatpay-Sandbox-Fault: 500 SYSTEM_ERROR` is answered with that
//! error (signed, after its own signature is checked), so that a test asks for a failure without
//! a second call; it needs no token (it spoils only its own answer).

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::checks::{Query, Rejection, invalid, not_saved, rejection};
use super::merchants::{Merchants, NewMerchant};
use super::{Fault, NotificationFault, State, Transaction};

/// Where the control plane's paths start: nothing of WeChat Pay's API is there.
pub(crate) const PREFIX: &str = "/sandbox/";

/// The request header that makes that one call fail, in-band: `STATUS CODE`
/// (`Wechatpay-Sandbox-Fault: 500 SYSTEM_ERROR`). Read only where the control plane is on.
pub(crate) const FAULT_HEADER: &str = "wechatpay-sandbox-fault";

/// The fault a request asks for with [`FAULT_HEADER`], on a simulator with the control plane on
/// (`None` without the header, or without the control plane): the error it names, or, for a
/// header that cannot be used, the sandbox's own unsigned `400` saying why.
pub(crate) fn in_band_fault(merchants: &Merchants, header: Option<&str>) -> Option<Fault> {
    let (Some(_), Some(value)) = (&merchants.control_token, header) else {
        return None;
    };
    Some(
        named_fault(value).unwrap_or_else(|Rejection { status, body }| Fault::Unsigned {
            status: status.as_u16(),
            body: body.to_string(),
        }),
    )
}

/// `STATUS CODE` as the error it names.
fn named_fault(value: &str) -> Result<Fault, Rejection> {
    let bad = || {
        invalid(&format!(
            "Wechatpay-Sandbox-Fault: {value:?} is not STATUS CODE, e.g. \"500 SYSTEM_ERROR\" \
             (a status from 400 to 599)"
        ))
    };
    let (status, code) = value.trim().split_once(' ').ok_or_else(bad)?;
    let status: u16 = status.parse().map_err(|_| bad())?;
    let code = code.trim();
    let well_formed = !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !(400..=599).contains(&status) || !well_formed {
        return Err(bad());
    }
    Ok(Fault::Status {
        status,
        code: code.to_owned(),
    })
}

/// A new control-plane token: 32 random letters and digits (about 190 bits), for
/// [`SimulatorBuilder::control_token`](super::SimulatorBuilder::control_token).
pub fn new_control_token() -> Result<String, super::SimulatorError> {
    crate::auth::signing::new_nonce().map_err(|_| super::SimulatorError::Setting {
        setting: "control_token",
        why: "random bytes, which the system did not give",
    })
}

/// The control plane's token: compared in constant time, never shown.
#[derive(Clone)]
pub(crate) struct ControlToken(String);

impl ControlToken {
    pub(crate) fn new(token: String) -> Self {
        Self(token)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether `authorization` is `Bearer TOKEN`.
    fn admits(&self, authorization: Option<&str>) -> bool {
        authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|given| {
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    given.as_bytes(),
                    self.0.as_bytes(),
                )
                .is_ok()
            })
    }
}

impl std::fmt::Debug for ControlToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ControlToken(..)")
    }
}

/// A fault as the control plane takes it: `kind` names a [`Fault`], the other fields are its
/// values.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    Status { status: u16, code: String },
    RateLimited { retry_after_secs: u64 },
    Delay { seconds: f64 },
    DropConnection,
    NoSignature,
    TamperBody,
    SignatureProbe,
    StaleTimestamp { seconds: u64 },
    UnknownSerial,
    MalformedJson,
    UnknownEnumValue,
    UnknownField,
}

impl FaultSpec {
    fn fault(self) -> Result<Fault, String> {
        Ok(match self {
            FaultSpec::Status { status, code } => {
                if !(400..=599).contains(&status) {
                    return Err(format!(
                        "status {status} is not an error status (400 to 599)"
                    ));
                }
                Fault::Status { status, code }
            }
            FaultSpec::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
            FaultSpec::Delay { seconds } => Fault::Delay(
                Duration::try_from_secs_f64(seconds).map_err(|e| format!("seconds: {e}"))?,
            ),
            FaultSpec::DropConnection => Fault::DropConnection,
            FaultSpec::NoSignature => Fault::NoSignature,
            FaultSpec::TamperBody => Fault::TamperBody,
            FaultSpec::SignatureProbe => Fault::SignatureProbe,
            FaultSpec::StaleTimestamp { seconds } => Fault::StaleTimestamp(seconds),
            FaultSpec::UnknownSerial => Fault::UnknownSerial,
            FaultSpec::MalformedJson => Fault::MalformedJson,
            FaultSpec::UnknownEnumValue => Fault::UnknownEnumValue,
            FaultSpec::UnknownField => Fault::UnknownField,
        })
    }
}

/// A notification fault as the control plane takes it: `kind` names a [`NotificationFault`].
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum NotificationFaultSpec {
    TamperCiphertext,
    WrongAssociatedData,
    TamperBody,
    StaleTimestamp { seconds: u64 },
    SignatureProbe,
    UnknownSerial,
    Duplicate,
    DuplicateWithNewId,
}

impl From<NotificationFaultSpec> for NotificationFault {
    fn from(spec: NotificationFaultSpec) -> Self {
        match spec {
            NotificationFaultSpec::TamperCiphertext => NotificationFault::TamperCiphertext,
            NotificationFaultSpec::WrongAssociatedData => NotificationFault::WrongAssociatedData,
            NotificationFaultSpec::TamperBody => NotificationFault::TamperBody,
            NotificationFaultSpec::StaleTimestamp { seconds } => {
                NotificationFault::StaleTimestamp(seconds)
            }
            NotificationFaultSpec::SignatureProbe => NotificationFault::SignatureProbe,
            NotificationFaultSpec::UnknownSerial => NotificationFault::UnknownSerial,
            NotificationFaultSpec::Duplicate => NotificationFault::Duplicate,
            NotificationFaultSpec::DuplicateWithNewId => NotificationFault::DuplicateWithNewId,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectRequest {
    fault: FaultSpec,
    /// How many answers it spoils (default 1).
    #[serde(default = "one")]
    times: u32,
    /// Only answers to this path (e.g. `/v3/certificates`).
    path: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Speed {
    speed: f64,
}

/// A merchant as `POST /sandbox/merchants` takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantRequest {
    mchid: Option<String>,
    serial_no: Option<String>,
    public_key: Option<String>,
    apiv3_key: Option<String>,
}

/// Whether `path` is the control plane's, on a simulator that serves it.
pub(crate) fn serves(merchants: &Merchants, path: &str) -> bool {
    merchants.control_token.is_some() && path.starts_with(PREFIX)
}

/// Answers a control call: the status and the JSON body.
pub(crate) async fn handle(
    merchants: &Merchants,
    method: &str,
    uri: &http::Uri,
    authorization: Option<&str>,
    body: &str,
) -> Result<Value, Rejection> {
    let path = uri.path();
    let admitted = merchants
        .control_token
        .as_ref()
        .is_some_and(|token| token.admits(authorization));
    if !admitted {
        return Err(rejection(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "the control plane answers only to Authorization: Bearer <the sandbox's token>",
            None,
        ));
    }
    let route = path.strip_prefix(PREFIX).unwrap_or_default();
    // The merchant a per-merchant call acts on.
    let query = Query::parse(uri.query().unwrap_or(""));
    let state = match query.optional_param("mchid") {
        Some(mchid) => merchants.get(mchid).ok_or_else(|| {
            rejection(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!(
                    "the sandbox serves no merchant {mchid} (GET /sandbox/merchants lists them)"
                ),
                None,
            )
        })?,
        None => merchants
            .first()
            .ok_or_else(|| invalid("the sandbox serves no merchant"))?,
    };
    let state = &*state;
    match (method, route) {
        ("GET", "clock") => Ok(clock(state)),
        ("POST", "clock/advance") => {
            let Advance { seconds } = parse(body)?;
            let by = Duration::try_from_secs_f64(seconds)
                .map_err(|e| invalid(&format!("seconds: {e}")))?;
            merchants.advance(by);
            Ok(clock(state))
        }
        ("POST", "clock/speed") => {
            let Speed { speed } = parse(body)?;
            merchants
                .set_clock_speed(speed)
                .map_err(|e| invalid(&e.to_string()))?;
            Ok(clock(state))
        }
        ("POST", "merchants") => {
            let request: MerchantRequest = parse(body)?;
            let public_key = match (request.serial_no, request.public_key) {
                (Some(serial_no), Some(pem)) => Some((serial_no, pem)),
                (None, None) => None,
                _ => return Err(invalid("serial_no and public_key: both, or neither")),
            };
            let merchant = NewMerchant {
                mchid: request.mchid,
                public_key,
                apiv3_key: request.apiv3_key,
            };
            let credentials = merchants.add(merchant).await.map_err(|e| match e {
                // Taken, and not saved: the merchant serves.
                super::SimulatorError::Data(_) => not_saved("the merchant", &e),
                e => invalid(&e.to_string()),
            })?;
            Ok(json!({
                "mchid": credentials.mchid,
                "merchant_serial_no": credentials.merchant_serial_no,
                "merchant_private_key": credentials.merchant_private_key_pem,
                "public_key_id": credentials.wechatpay_public_key_id,
                "platform_public_key": credentials.wechatpay_public_key_pem,
                "platform_certificate": credentials.platform_certificate_pem,
                "platform_certificate_serial_no": credentials.platform_certificate_serial,
                "apiv3_key": credentials.apiv3_key,
            }))
        }
        ("GET", "merchants") => {
            let list: Vec<Value> = merchants
                .all()
                .iter()
                .map(|state| {
                    let credentials = &state.credentials;
                    json!({
                        "mchid": credentials.mchid,
                        "merchant_serial_no": credentials.merchant_serial_no,
                        "public_key_id": credentials.wechatpay_public_key_id,
                        "platform_certificate_serial_no": credentials.platform_certificate_serial,
                    })
                })
                .collect();
            Ok(json!({ "merchants": list }))
        }
        ("POST", "transactions") => {
            let paid: Transaction = parse(body)?;
            let paid = Transaction::new(paid.sub_mchid, paid.transaction_id, paid.amount)
                .map(|checked| Transaction {
                    out_trade_no: paid.out_trade_no,
                    ..checked
                })
                .map_err(|e| invalid(&e.to_string()))?;
            state.data().ledger.add_transaction(&paid);
            Ok(json!({}))
        }
        ("POST", "faults") => {
            let request: InjectRequest = parse(body)?;
            if request.times == 0 {
                return Err(invalid("times: at least 1"));
            }
            let fault = request.fault.fault().map_err(|e| invalid(&e))?;
            state
                .data()
                .faults
                .push(fault, Some(request.times), request.path);
            Ok(json!({}))
        }
        ("DELETE", "faults") => {
            state.data().faults.clear();
            Ok(json!({}))
        }
        ("POST", "notification-faults") => {
            let spec: NotificationFaultSpec = parse(body)?;
            state.data().notify.inject(spec.into());
            Ok(json!({}))
        }
        ("GET", "orders") => Ok(json!({ "orders": to_value(&state.orders())? })),
        ("GET", "returns") => Ok(json!({ "return_orders": to_value(&state.return_orders())? })),
        ("GET", "withdrawals") => Ok(json!({ "withdrawals": to_value(&state.withdrawals())? })),
        ("GET", "journal") => Ok(json!({ "journal": to_value(&state.journal())? })),
        ("GET", "refunds") => Ok(json!({ "refunds": to_value(&state.refunds())? })),
        ("POST", "reset") => {
            merchants.reset().map_err(|e| invalid(&e.to_string()))?;
            Ok(json!({}))
        }
        ("GET", "notifications") => {
            let deliveries: Vec<Value> = state
                .data()
                .notify
                .deliveries()
                .into_iter()
                .map(|d| {
                    json!({
                        "id": d.id,
                        "event_type": d.event_type,
                        "attempt": d.attempt,
                        "sent_at": d.sent_at.to_rfc3339(),
                        "status": d.status,
                        "received": d.received(),
                        "answer": d.answer,
                        "body": d.body,
                        "fault": d.fault.map(|f| format!("{f:?}")),
                    })
                })
                .collect();
            Ok(json!({ "deliveries": deliveries }))
        }
        _ => Err(rejection(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("no control call {method} {path} (see the README's control plane)"),
            None,
        )),
    }
}

/// A list of answers as the API writes them.
fn to_value<T: serde::Serialize>(items: &[T]) -> Result<Vec<Value>, Rejection> {
    items
        .iter()
        .map(super::ledger::to_json)
        .collect::<Result<Vec<_>, _>>()
}

fn clock(state: &State) -> Value {
    let data = state.data();
    json!({
        "now": data.ledger.now().to_rfc3339(),
        "speed": data.ledger.clock_speed(),
    })
}

fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Rejection> {
    serde_json::from_str(body).map_err(|e| invalid(&format!("the body: {e}")))
}
