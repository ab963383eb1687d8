//! The simulator's HTTP side: check the request like WeChat Pay, answer, sign the answer.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{Fault, SeenRequest, State};
use crate::signing::{SCHEME, signing_message};
use crate::types::{ProfitSharingOrder, ReturnOrder};

/// The window within which request timestamps are accepted and nonces must not repeat.
const WINDOW_SECS: u64 = 300;

/// The doc page's example answer of 查询分账结果.
pub(crate) fn doc_order() -> serde_json::Result<ProfitSharingOrder> {
    serde_json::from_value(json!({
        "sub_mchid": "1900000109",
        "transaction_id": "4208450740201411110007820472",
        "out_order_no": "P20150806125346",
        "order_id": "3008450740201411110007820472",
        "status": "FINISHED",
        "receivers": [{
            "receiver_mchid": "1900000110",
            "amount": 100,
            "description": "分给商户 1900000110",
            "result": "SUCCESS",
            "finish_time": "2015-05-20T13:29:35.120+08:00",
            "type": "MERCHANT_ID",
            "receiver_account": "1900000110",
            "detail_id": "36011111111111111111111"
        }],
        "finish_amount": 100,
        "finish_description": "分账完结"
    }))
}

/// The doc page's example answer of 查询分账回退结果.
pub(crate) fn doc_return_order() -> serde_json::Result<ReturnOrder> {
    serde_json::from_value(json!({
        "sub_mchid": "1900000109",
        "order_id": "3008450740201411110007820472",
        "out_order_no": "P20150806125346",
        "out_return_no": "R20190516001",
        "return_mchid": "86693852",
        "amount": 10,
        "return_no": "3008450740201411110007820472",
        "result": "SUCCESS",
        "finish_time": "2015-05-20T13:29:35.120+08:00"
    }))
}

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(request, &state)) }
            });
            // A client that goes away mid-request is not the simulator's problem.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// An answer before signing.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

fn error(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> Answer {
    let body = match field {
        Some(field) => json!({"code": code, "message": message,
                              "detail": {"field": field, "location": "query", "issue": message}}),
        None => json!({"code": code, "message": message}),
    };
    Answer {
        status,
        body: body.to_string().into_bytes(),
    }
}

fn header<'a>(request: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn handle(request: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let method = request.method().as_str().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let serial_asked = header(&request, "wechatpay-serial").map(str::to_owned);
    let fault = state.data().faults.pop_front();

    let answer = match check_request(&request, &method, &path_and_query, state) {
        Err(answer) => answer,
        Ok(()) => match fault {
            Some(Fault::Status { status, ref code }) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                error(status, code, "模拟的错误 (simulated error)", None)
            }
            _ => route(
                request.uri().path(),
                request.uri().query().unwrap_or(""),
                state,
            ),
        },
    };

    if let Some(Fault::Unsigned { status, body }) = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut response = Response::new(Full::new(Bytes::from(body.clone())));
        *response.status_mut() = status;
        state.data().seen.push(SeenRequest {
            method,
            path_and_query,
            authorization: header(&request, "authorization").map(str::to_owned),
            wechatpay_serial: serial_asked,
            user_agent: header(&request, "user-agent").map(str::to_owned),
            status: status.as_u16(),
        });
        return response;
    }
    let mut seen = SeenRequest {
        method,
        path_and_query,
        authorization: header(&request, "authorization").map(str::to_owned),
        wechatpay_serial: serial_asked.clone(),
        user_agent: header(&request, "user-agent").map(str::to_owned),
        status: answer.status.as_u16(),
    };
    let response = sign(answer, serial_asked.as_deref(), fault.as_ref(), state);
    seen.status = response.status().as_u16();
    state.data().seen.push(seen);
    response
}

/// The checks the real API makes before it looks at the parameters.
fn check_request(
    request: &Request<Incoming>,
    method: &str,
    path_and_query: &str,
    state: &State,
) -> Result<(), Answer> {
    if header(request, "accept").is_none() || header(request, "user-agent").is_none() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Http头缺少Accept或User-Agent",
            None,
        ));
    }
    let sign_error = |why: &str| {
        error(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            &format!("签名错误: {why}"),
            None,
        )
    };
    let authorization =
        header(request, "authorization").ok_or_else(|| sign_error("no Authorization header"))?;
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
    let credentials = &state.credentials;
    if mchid != credentials.mchid {
        return Err(sign_error("unknown mchid"));
    }
    if serial_no != credentials.merchant_serial_no {
        return Err(sign_error(
            "serial_no is not the merchant's certificate serial number",
        ));
    }
    let now = now_secs();
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
    state
        .merchant_public_key
        .verify_sig(message.as_bytes(), &signature)
        .map_err(|_| sign_error("the signature does not verify with the merchant's public key"))?;
    let mut data = state.data();
    data.nonces.retain(|_, at| at.abs_diff(now) <= WINDOW_SECS);
    if data.nonces.insert(nonce.to_owned(), signed_at).is_some() {
        return Err(sign_error("nonce_str was used within the last 300 s"));
    }
    Ok(())
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(name), decode(value))
        })
        .collect()
}

fn route(path: &str, query: &str, state: &State) -> Answer {
    let pairs = query_pairs(query);
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let data = state.data();
    let found = |value: Option<Value>| match value {
        Some(value) => Answer {
            status: StatusCode::OK,
            body: value.to_string().into_bytes(),
        },
        None => error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "记录不存在",
            None,
        ),
    };
    match path {
        "/v3/certificates" => {
            if data.no_certificates {
                return error(
                    StatusCode::NOT_FOUND,
                    "RESOURCE_NOT_EXISTS",
                    "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥",
                    None,
                );
            }
            drop(data);
            certificates(state)
        }
        "/v3/ecommerce/profitsharing/orders" => {
            let order = data.orders.iter().find(|o| {
                Some(o.sub_mchid.as_str()) == param("sub_mchid")
                    && Some(o.transaction_id.as_str()) == param("transaction_id")
                    && Some(o.out_order_no.as_str()) == param("out_order_no")
            });
            found(order.and_then(|o| serde_json::to_value(o).ok()))
        }
        "/v3/ecommerce/profitsharing/returnorders" => {
            let order = data.return_orders.iter().find(|o| {
                Some(o.sub_mchid.as_str()) == param("sub_mchid")
                    && Some(o.out_return_no.as_str()) == param("out_return_no")
                    && (param("order_id") == Some(o.order_id.as_str())
                        || param("out_order_no") == Some(o.out_order_no.as_str()))
            });
            found(order.and_then(|o| serde_json::to_value(o).ok()))
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "接口不存在",
            None,
        ),
    }
}

/// `GET /v3/certificates`: the platform certificate, encrypted with the merchant's APIv3 key.
fn certificates(state: &State) -> Answer {
    let credentials = &state.credentials;
    let mut nonce = [0u8; 6];
    if aws_lc_rs::rand::fill(&mut nonce).is_err() {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            "no randomness",
            None,
        );
    }
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let Some(ciphertext) = state.apiv3_key.encrypt(
        &nonce,
        "certificate",
        credentials.platform_certificate_pem.as_bytes(),
    ) else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            "encryption failed",
            None,
        );
    };
    let body = json!({"data": [{
        "serial_no": credentials.platform_certificate_serial,
        "effective_time": "2020-01-01T08:00:00+08:00",
        "expire_time": "2099-01-01T08:00:00+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "associated_data": "certificate",
            "nonce": nonce,
            "ciphertext": ciphertext,
        }
    }]});
    Answer {
        status: StatusCode::OK,
        body: body.to_string().into_bytes(),
    }
}

/// Signs an answer as WeChat Pay does: with the public key's private half when the request asked
/// for it (`Wechatpay-Serial: PUB_KEY_ID_…`), else with the platform certificate's key.
fn sign(
    answer: Answer,
    serial_asked: Option<&str>,
    fault: Option<&Fault>,
    state: &State,
) -> Response<Full<Bytes>> {
    let credentials = &state.credentials;
    let (key, serial) = if serial_asked == Some(credentials.wechatpay_public_key_id.as_str()) {
        (
            &state.public_key_key,
            credentials.wechatpay_public_key_id.as_str(),
        )
    } else {
        (
            &state.platform_key,
            credentials.platform_certificate_serial.as_str(),
        )
    };
    let mut timestamp = now_secs();
    if let Some(Fault::StaleTimestamp(secs)) = fault {
        timestamp = timestamp.saturating_sub(*secs);
    }
    let nonce = crate::signing::new_nonce().unwrap_or_default();
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(&answer.body);
    message.push(b'\n');
    let mut signature = key.sign(&message).unwrap_or_default();
    let mut serial = serial.to_owned();
    let mut body = answer.body;
    match fault {
        // A change a JSON parser does not notice, so that only the signature can catch it: a digit
        // moved by one, or else a space after the first byte.
        Some(Fault::TamperBody) => match body.iter_mut().find(|b| b.is_ascii_digit()) {
            Some(byte) => *byte = if *byte == b'9' { b'0' } else { *byte + 1 },
            None => body.insert(body.len().min(1), b' '),
        },
        Some(Fault::SignatureProbe) => signature = format!("WECHATPAY/SIGNTEST/{signature}"),
        Some(Fault::UnknownSerial) => {
            serial = "0123456789ABCDEF0123456789ABCDEF01234567".to_owned()
        }
        _ => {}
    }
    let mut builder = Response::builder()
        .status(answer.status)
        .header("content-type", "application/json")
        .header(
            "request-id",
            format!("08{}", crate::signing::new_nonce().unwrap_or_default()),
        );
    if fault != Some(&Fault::NoSignature) {
        builder = builder
            .header("wechatpay-timestamp", timestamp.to_string())
            .header("wechatpay-nonce", nonce)
            .header("wechatpay-signature", signature)
            .header(
                "wechatpay-serial",
                HeaderValue::from_str(&serial).unwrap_or(HeaderValue::from_static("")),
            )
            .header("wechatpay-signature-type", SCHEME);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
