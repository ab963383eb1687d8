//! The simulator's HTTP side: check each request like WeChat Pay, answer it, sign the answer.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use http_body_util::BodyExt;

use super::checks::{self, Query, Rejection, not_found, rejection};
use super::ledger::to_json;
use super::merchants::Merchants;
use super::{AnswerSigner, BadEntry, Fault, SeenRequest, State};
use crate::auth::signing::{SCHEME, new_nonce};

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, merchants: Arc<Merchants>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        (merchants.connections).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let merchants = merchants.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let merchants = merchants.clone();
                // On a task of its own, as a server that acts on a request whether or not the
                // client waits for the answer: a client that times out and goes away does not
                // undo a split (the answer is then lost, not the effect).
                let handled = tokio::spawn(async move { handle(request, &merchants).await });
                async move { handled.await.unwrap_or(Err(DroppedOnPurpose)) }
            });
            // A client that goes away mid-request, or a dropped connection on purpose, ends here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Returned to hyper to close the connection without an answer ([`Fault::DropConnection`]).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose")]
struct DroppedOnPurpose;

fn header<'a>(request: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The most body the simulator reads, as the real API caps request bodies.
const MAX_REQUEST_BODY: usize = 1 << 20;

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn handle(
    request: Request<Incoming>,
    merchants: &Merchants,
) -> Result<Response<Full<Bytes>>, DroppedOnPurpose> {
    let (request, incoming) = request.into_parts();
    // A body that cannot be read whole (too large, or the client went away) is an empty one: the
    // signature check then refuses the request.
    let body = http_body_util::Limited::new(incoming, MAX_REQUEST_BODY)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let method = request.method.as_str().to_owned();
    let path_and_query = request
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    // The control plane is not WeChat Pay's: no faults, not recorded, not signed.
    if super::control::serves(merchants, request.uri.path()) {
        let answered = super::control::handle(
            merchants,
            &method,
            &request.uri,
            header(&request, "authorization"),
            &body,
        )
        .await;
        // A control call's change is on disk (with `--data`) before it is acknowledged.
        let answered = match answered {
            Ok(body) if method != "GET" => (merchants.save().await)
                .map(|()| body)
                .map_err(|error| checks::not_saved("the call", &error)),
            answered => answered,
        };
        let (status, body) = match answered {
            Ok(body) => (StatusCode::OK, body),
            Err(Rejection { status, body }) => (status, body),
        };
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return Ok(response);
    }
    // The merchant the request names answers it, and checks it with its own key.
    let Some(state) = merchants.for_authorization(header(&request, "authorization")) else {
        return Err(DroppedOnPurpose);
    };
    let state = &*state;
    let serial_asked = header(&request, "wechatpay-serial").map(str::to_owned);
    let seen = SeenRequest {
        method: method.clone(),
        path_and_query: path_and_query.clone(),
        authorization: header(&request, "authorization").map(str::to_owned),
        wechatpay_serial: serial_asked.clone(),
        user_agent: header(&request, "user-agent").map(str::to_owned),
        accept: header(&request, "accept").map(str::to_owned),
        content_type: header(&request, "content-type").map(str::to_owned),
        body: body.clone(),
        status: None,
    };
    // The fault this request asks for in-band goes before the queued ones (which it leaves
    // queued).
    let in_band =
        super::control::in_band_fault(merchants, header(&request, super::control::FAULT_HEADER));
    // Recorded on arrival (a delayed or dropped request counts at once); the status follows.
    let (index, fault, accept_unsigned) = {
        let mut data = state.data();
        let number = data.seen.end();
        data.seen.push(seen);
        let fault = in_band.or_else(|| data.faults.next(request.uri.path()));
        (number, fault, data.accept_unsigned)
    };
    let record_status = |status: StatusCode| {
        if let Some(seen) = state.data().seen.get_mut(index) {
            seen.status = Some(status.as_u16());
        }
    };
    if let Some(Fault::Delay(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    if fault == Some(Fault::DropConnection) {
        return Err(DroppedOnPurpose);
    }
    if let Some(Fault::Redirect { location }) = &fault {
        record_status(StatusCode::FOUND);
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::FOUND;
        if let Ok(location) = HeaderValue::from_str(location) {
            response.headers_mut().insert("location", location);
        }
        return Ok(response);
    }
    if let Some(Fault::Unsigned { status, body }) = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
        record_status(status);
        let mut response = Response::new(Full::new(Bytes::from(body.clone())));
        *response.status_mut() = status;
        return Ok(response);
    }

    let answered = answer(
        &request,
        accept_unsigned,
        &method,
        &path_and_query,
        &body,
        fault.as_ref(),
        state,
    );
    // What a request changed is on disk (with `--data`) before it is acknowledged; a write that
    // fails is an error that says the request may have acted, as WeChat Pay's 500 does.
    let answered = match answered {
        Ok(answered) if method != "GET" => (state.changed().await)
            .map(|()| answered)
            .map_err(|error| checks::not_saved("the request", &error)),
        answered => answered,
    };
    let (status, body) = match answered {
        Ok(Answered::Json(body)) => (StatusCode::OK, body),
        Ok(Answered::File(bytes)) => {
            // The file itself: no Wechatpay-* headers, as WeChat Pay serves it.
            record_status(StatusCode::OK);
            let mut response = Response::new(Full::new(bytes));
            response.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/octet-stream"),
            );
            return Ok(response);
        }
        Err(Rejection { status, body }) => (status, body),
    };
    let body = match (&fault, status.is_success()) {
        (Some(Fault::MalformedJson), _) => {
            let text = body.to_string();
            text.get(..text.len() / 2)
                .unwrap_or_default()
                .as_bytes()
                .to_vec()
        }
        (Some(Fault::UnknownEnumValue), true) => {
            with_unknown_enum_value(body).to_string().into_bytes()
        }
        (Some(Fault::UnknownField), true) => with_unknown_field(body).to_string().into_bytes(),
        _ => body.to_string().into_bytes(),
    };
    record_status(status);
    let listing_certificates = request.uri.path() == "/v3/certificates";
    Ok(sign(
        status,
        body,
        serial_asked.as_deref(),
        fault.as_ref(),
        listing_certificates,
        state,
    ))
}

/// The answer's body, or an error answer.
fn answer(
    request: &http::request::Parts,
    accept_unsigned: bool,
    method: &str,
    path_and_query: &str,
    body: &str,
    fault: Option<&Fault>,
    state: &State,
) -> Result<Answered, Rejection> {
    checks::check_headers(header(request, "accept"), header(request, "user-agent"))?;
    if !body.is_empty() || method == "POST" {
        checks::check_content_type(header(request, "content-type"))?;
    }
    let authorization = header(request, "authorization");
    if !accept_unsigned || authorization.is_some() {
        let now = now_secs();
        let signed = checks::check_signature(
            authorization,
            method,
            path_and_query,
            body,
            &state.merchant,
            now,
        )?;
        state.data().nonces.remember(&signed, now)?;
    }
    if let Some(Fault::RateLimited { .. }) = fault {
        return Err(rejection(
            StatusCode::TOO_MANY_REQUESTS,
            "FREQUENCY_LIMITED",
            "频率超限",
            None,
        ));
    }
    if let Some(Fault::Status { status, code }) = fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(rejection(
            status,
            code,
            "模拟的错误 (an error the simulator was told to give)",
            None,
        ));
    }
    // Refunds that closed and withdrawals that failed by now give their money back before
    // anything reads it.
    drop(state.settled());
    let query = Query::parse(request.uri.query().unwrap_or(""));
    let serial = header(request, "wechatpay-serial");
    let path = request.uri.path();
    const PREFIX: &str = "/v3/ecommerce/profitsharing/";
    const REFUNDS: &str = "/v3/ecommerce/refunds/";
    const FUND: &str = "/v3/ecommerce/fund/";
    if method == "GET" && path == super::bills::DOWNLOAD_PATH {
        let token = query.required_param("token")?;
        let mut data = state.data();
        let data = &mut *data;
        return data
            .bills
            .download(&data.ledger, &token)
            .map(Answered::File);
    }
    let host = header(request, "host").unwrap_or("127.0.0.1");
    let answered = match (method, path) {
        ("GET", "/v3/certificates") => certificates(state, fault),
        ("GET", "/v3/ecommerce/profitsharing/orders") => {
            let wanted = query.order_request()?;
            let data = state.data();
            let (sub_mchid, transaction_id, out_order_no) = (
                &wanted.sub_mchid,
                &wanted.transaction_id,
                &wanted.out_order_no,
            );
            match data.fixtures.order(sub_mchid, transaction_id, out_order_no) {
                Some(order) => to_json(order),
                None => to_json(
                    &(data.profit_sharing)
                        .order(&data.ledger, sub_mchid, transaction_id, out_order_no)
                        .ok_or_else(not_found)?,
                ),
            }
        }
        ("GET", "/v3/ecommerce/profitsharing/returnorders") => {
            let wanted = query.return_order_request()?;
            let data = state.data();
            let (sub_mchid, out_return_no) = (&wanted.sub_mchid, &wanted.out_return_no);
            match data
                .fixtures
                .return_order(sub_mchid, out_return_no, &wanted.order)
            {
                Some(order) => to_json(order),
                None => to_json(
                    &(data.profit_sharing)
                        .return_order(&data.ledger, sub_mchid, out_return_no, &wanted.order)
                        .ok_or_else(not_found)?,
                ),
            }
        }
        ("POST", "/v3/ecommerce/profitsharing/orders") => {
            let request = checks::body_request::<crate::profit_sharing::CreateOrderRequest>(
                state, serial, body,
            )?;
            let mut data = state.data();
            let data = &mut *data;
            let taken = data.fixtures.uses_out_order_no(&request.out_order_no);
            let context = state.context();
            let mut answer =
                (data.profit_sharing).create_order(&mut data.ledger, request, taken, &context)?;
            data.in_progress.shape_split(&mut answer);
            Ok(answer)
        }
        ("POST", "/v3/ecommerce/profitsharing/returnorders") => {
            let request = checks::body_request::<crate::profit_sharing::CreateReturnOrderRequest>(
                state, serial, body,
            )?;
            let mut data = state.data();
            let data = &mut *data;
            let context = state.context();
            let mut answer =
                (data.profit_sharing).create_return_order(&mut data.ledger, request, &context)?;
            data.in_progress.shape_return(&mut answer);
            Ok(answer)
        }
        ("POST", "/v3/ecommerce/profitsharing/finish-order") => {
            let request = checks::body_request::<crate::profit_sharing::FinishOrderRequest>(
                state, serial, body,
            )?;
            let mut data = state.data();
            let data = &mut *data;
            let taken = data.fixtures.uses_out_order_no(&request.out_order_no);
            let context = state.context();
            (data.profit_sharing).finish_order(&mut data.ledger, request, taken, &context)
        }
        ("POST", "/v3/ecommerce/profitsharing/receivers/add") => {
            let request = checks::body_request::<crate::profit_sharing::AddReceiverRequest>(
                state, serial, body,
            )?;
            state.data().profit_sharing.add_receiver(request)
        }
        ("POST", "/v3/ecommerce/profitsharing/receivers/delete") => {
            let request = checks::body_request::<crate::profit_sharing::DeleteReceiverRequest>(
                state, serial, body,
            )?;
            state.data().profit_sharing.delete_receiver(request)
        }
        ("POST", "/v3/ecommerce/refunds/apply") => {
            let request =
                checks::body_request::<crate::refunds::ApplyRefundRequest>(state, serial, body)?;
            let context = state.context();
            {
                let mut data = state.data();
                let data = &mut *data;
                data.refunds.apply(&mut data.ledger, request, &context)
            }
        }
        (_, _) if path.starts_with(REFUNDS) => refunds(state, method, path, &query, serial, body),
        ("POST", "/v3/ecommerce/subsidies/create") => {
            let request = checks::body_request::<crate::subsidies::CreateSubsidyRequest>(
                state, serial, body,
            )?;
            let context = state.context();
            {
                let mut data = state.data();
                let data = &mut *data;
                data.subsidies.create(&mut data.ledger, request, &context)
            }
        }
        ("POST", "/v3/ecommerce/subsidies/return") => {
            let request = checks::body_request::<crate::subsidies::ReturnSubsidyRequest>(
                state, serial, body,
            )?;
            let context = state.context();
            {
                let mut data = state.data();
                let data = &mut *data;
                (data.subsidies).return_subsidy(&mut data.ledger, &data.refunds, request, &context)
            }
        }
        ("POST", "/v3/ecommerce/subsidies/cancel") => {
            let request = checks::body_request::<crate::subsidies::CancelSubsidyRequest>(
                state, serial, body,
            )?;
            {
                let mut data = state.data();
                let data = &mut *data;
                (data.subsidies).cancel(&mut data.ledger, &data.refunds, request)
            }
        }
        ("POST", "/v3/ecommerce/profitsharing/after-sales-orders") => {
            let request = checks::body_request::<
                crate::profit_sharing::CreateAfterSalesOrderRequest,
            >(state, serial, body)?;
            let context = state.context();
            {
                let mut data = state.data();
                let data = &mut *data;
                (data.after_sales).create(&mut data.ledger, &data.refunds, request, &context)
            }
        }
        ("GET", "/v3/ecommerce/profitsharing/after-sales-orders") => {
            let request = checks::built(
                crate::profit_sharing::QueryAfterSalesOrderRequest::builder()
                    .sub_mchid(query.sub_mchid()?)
                    .transaction_id(query.required_param("transaction_id")?)
                    .build(),
            )?;
            {
                let data = state.data();
                (data.after_sales).query(&data.ledger, &request.sub_mchid, &request.transaction_id)
            }
        }
        (_, _) if path.starts_with(FUND) => fund(state, method, path, &query, serial, body),
        (
            "GET",
            "/v3/bill/tradebill" | "/v3/bill/fundflowbill" | "/v3/ecommerce/bill/fundflowbill",
        ) => bills(state, path, &query, &format!("http://{host}")),
        ("GET", _) if path.starts_with(PREFIX) && path.ends_with("/amounts") => {
            let id = path
                .strip_prefix("/v3/ecommerce/profitsharing/orders/")
                .and_then(|rest| rest.strip_suffix("/amounts"))
                .ok_or_else(not_found)?;
            let id = percent_encoding::percent_decode_str(id)
                .decode_utf8()
                .map_err(|_| not_found())?;
            let request = checks::built(
                crate::profit_sharing::QueryOrderAmountsRequest::builder()
                    .transaction_id(id)
                    .build(),
            )?;
            super::profit_sharing::ProfitSharing::amounts(
                &state.data().ledger,
                &request.transaction_id,
            )
        }
        _ => Err(rejection(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "接口不存在 (no such endpoint)",
            None,
        )),
    };
    answered.map(Answered::Json)
}

/// What a request is answered with: JSON, signed; or a bill's file, as it is (not signed).
enum Answered {
    Json(Value),
    File(Bytes),
}

/// A path segment as the client encoded it, decoded.
fn segment(encoded: &str) -> Result<String, Rejection> {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| not_found())
}

/// The bills family's applications: each query checked by the generated request's rules.
fn bills(state: &State, path: &str, query: &Query, base_url: &str) -> Result<Value, Rejection> {
    use crate::bills::{
        AccountType, ApplyFundFlowBillRequest, ApplySubMerchantFundFlowBillRequest,
        ApplyTradeBillRequest, BillAlgorithm, BillType, SubMerchantBillAccountType, TarType,
    };
    let tar_type = query.optional_param("tar_type").map(TarType::from);
    let bill_date = query.required_param("bill_date")?;
    let context = state.context();
    let mut data = state.data();
    let data = &mut *data;
    match path {
        "/v3/bill/tradebill" => {
            let mut request = checks::built(
                ApplyTradeBillRequest::builder()
                    .bill_date(bill_date)
                    .build(),
            )?;
            request.sub_mchid = query.optional_param("sub_mchid").map(str::to_owned);
            request.bill_type = query.optional_param("bill_type").map(BillType::from);
            request.tar_type = tar_type;
            (data.bills).trade_bill(
                &data.ledger,
                &data.refunds,
                &super::bills::BillQuery {
                    bill_date: &request.bill_date,
                    tar_type: request.tar_type.as_ref(),
                    mchid: context.platform_mchid,
                    base_url,
                },
                request.bill_type.as_ref(),
                request.sub_mchid.as_deref(),
            )
        }
        "/v3/bill/fundflowbill" => {
            let mut request = checks::built(
                ApplyFundFlowBillRequest::builder()
                    .bill_date(bill_date)
                    .build(),
            )?;
            request.account_type = query.optional_param("account_type").map(AccountType::from);
            request.tar_type = tar_type;
            if request
                .account_type
                .as_ref()
                .is_some_and(|a| *a != AccountType::Basic)
            {
                return Err(checks::invalid(
                    "账户类型未开通 (the simulator has only the BASIC account)",
                ));
            }
            (data.bills).fund_flow_bill(
                &data.ledger,
                &super::bills::BillQuery {
                    bill_date: &request.bill_date,
                    tar_type: request.tar_type.as_ref(),
                    mchid: context.platform_mchid,
                    base_url,
                },
            )
        }
        _ => {
            let mut request = checks::built(
                ApplySubMerchantFundFlowBillRequest::builder()
                    .bill_date(bill_date)
                    .account_type(SubMerchantBillAccountType::from(
                        query.required_param("account_type")?.as_str(),
                    ))
                    .algorithm(BillAlgorithm::from(
                        query.required_param("algorithm")?.as_str(),
                    ))
                    .build(),
            )?;
            request.tar_type = tar_type;
            if request.account_type != SubMerchantBillAccountType::All {
                return Err(checks::param_error("account_type", "本接口只支持填 ALL"));
            }
            (data.bills).sub_merchant_fund_flow_bill(
                &data.ledger,
                &super::bills::BillQuery {
                    bill_date: &request.bill_date,
                    tar_type: request.tar_type.as_ref(),
                    mchid: context.platform_mchid,
                    base_url,
                },
                &state.merchant.encryption,
                request.algorithm.as_str(),
            )
        }
    }
}

/// The balances and withdrawals family's endpoints.
fn fund(
    state: &State,
    method: &str,
    path: &str,
    query: &Query,
    serial: Option<&str>,
    body: &str,
) -> Result<Value, Rejection> {
    use super::fund::Fund;
    use crate::fund::{
        AccountType, CreateWithdrawRequest, QueryBalanceRequest, QueryEndDayBalanceRequest,
        QueryWithdrawByOutRequestNoRequest, QueryWithdrawRequest,
    };
    let rest = path
        .strip_prefix("/v3/ecommerce/fund/")
        .ok_or_else(not_found)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let account = query.optional_param("account_type").map(AccountType::from);
    match (method, parts.as_slice()) {
        ("GET", ["balance", sub_mchid]) => {
            let mut request = checks::built(
                QueryBalanceRequest::builder()
                    .sub_mchid(segment(sub_mchid)?)
                    .build(),
            )?;
            request.account_type = account;
            Fund::balance(
                &state.data().ledger,
                &request.sub_mchid,
                request.account_type.as_ref(),
            )
        }
        ("GET", ["enddaybalance", sub_mchid]) => {
            let mut request = checks::built(
                QueryEndDayBalanceRequest::builder()
                    .sub_mchid(segment(sub_mchid)?)
                    .date(query.required_param("date")?)
                    .build(),
            )?;
            request.account_type = account;
            Fund::end_day_balance(
                &state.data().ledger,
                &request.sub_mchid,
                &request.date,
                request.account_type.as_ref(),
            )
        }
        ("POST", ["withdraw"]) => {
            let request = checks::body_request::<CreateWithdrawRequest>(state, serial, body)?;
            let context = state.context();
            let mut data = state.data();
            let data = &mut *data;
            data.fund.withdraw(&mut data.ledger, request, &context)
        }
        ("GET", ["withdraw", "out-request-no", out_request_no]) => {
            let request = checks::built(
                QueryWithdrawByOutRequestNoRequest::builder()
                    .out_request_no(segment(out_request_no)?)
                    .sub_mchid(query.sub_mchid()?)
                    .build(),
            )?;
            let context = state.context();
            let data = state.data();
            (data.fund).by_out_request_no(
                &data.ledger,
                &request.sub_mchid,
                &request.out_request_no,
                &context,
            )
        }
        ("GET", ["withdraw", withdraw_id]) => {
            let request = checks::built(
                QueryWithdrawRequest::builder()
                    .withdraw_id(segment(withdraw_id)?)
                    .sub_mchid(query.sub_mchid()?)
                    .build(),
            )?;
            let context = state.context();
            let data = state.data();
            (data.fund).by_id(
                &data.ledger,
                &request.sub_mchid,
                &request.withdraw_id,
                &context,
            )
        }
        _ => Err(not_found()),
    }
}

/// The refunds family's endpoints with a path parameter: the two queries, the advance's return
/// and its query, the abnormal refund.
fn refunds(
    state: &State,
    method: &str,
    path: &str,
    query: &Query,
    serial: Option<&str>,
    body: &str,
) -> Result<Value, Rejection> {
    let rest = path
        .strip_prefix("/v3/ecommerce/refunds/")
        .ok_or_else(not_found)?;
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", ["id", refund_id]) => {
            let request = checks::built(
                crate::refunds::QueryRefundByIdRequest::builder()
                    .refund_id(segment(refund_id)?)
                    .sub_mchid(query.sub_mchid()?)
                    .build(),
            )?;
            {
                let data = state.data();
                (data.refunds).by_id(&data.ledger, &request.sub_mchid, &request.refund_id)
            }
        }
        ("GET", ["out-refund-no", out_refund_no]) => {
            let request = checks::built(
                crate::refunds::QueryRefundByOutRefundNoRequest::builder()
                    .out_refund_no(segment(out_refund_no)?)
                    .sub_mchid(query.sub_mchid()?)
                    .build(),
            )?;
            {
                let data = state.data();
                (data.refunds).by_out_refund_no(
                    &data.ledger,
                    &request.sub_mchid,
                    &request.out_refund_no,
                )
            }
        }
        ("POST", [refund_id, "return-advance"]) => {
            let refund_id = segment(refund_id)?;
            let request = checks::body_request_at::<crate::refunds::ReturnAdvanceRequest>(
                state,
                serial,
                body,
                |r| r.refund_id = refund_id,
            )?;
            let context = state.context();
            {
                let mut data = state.data();
                let data = &mut *data;
                data.refunds
                    .return_advance(&mut data.ledger, request, &context)
            }
        }
        ("GET", [refund_id, "return-advance"]) => {
            let request = checks::built(
                crate::refunds::QueryRefundReturnAdvanceRequest::builder()
                    .refund_id(segment(refund_id)?)
                    .sub_mchid(query.sub_mchid()?)
                    .build(),
            )?;
            (state.data().refunds).advance_return(&request.sub_mchid, &request.refund_id)
        }
        ("POST", [refund_id, "apply-abnormal-refund"]) => {
            let refund_id = segment(refund_id)?;
            let request = checks::body_request_at::<crate::refunds::ApplyAbnormalRefundRequest>(
                state,
                serial,
                body,
                |r| r.refund_id = refund_id,
            )?;
            let context = state.context();
            {
                let mut data = state.data();
                let data = &mut *data;
                (data.refunds).apply_abnormal_refund(&mut data.ledger, request, &context)
            }
        }
        _ => Err(rejection(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "接口不存在 (no such endpoint)",
            None,
        )),
    }
}

/// `GET /v3/certificates`: the platform certificates, encrypted with the merchant's APIv3 key;
/// with [`Fault::BadCertificateEntry`], a bad entry before them.
fn certificates(state: &State, fault: Option<&Fault>) -> Result<Value, Rejection> {
    if state.data().no_certificates {
        return Err(rejection(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥",
            None,
        ));
    }
    let system_error =
        |why: &str| rejection(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", why, None);
    let platforms = state.data().platform.clone();
    let mut entries = Vec::new();
    if let Some(Fault::BadCertificateEntry(bad)) = fault {
        let serial = "7E0F8C3A1B2D4E5F60718293A4B5C6D7E8F90A1B";
        let entry = match bad {
            BadEntry::Unparsable => Sealed::new(b"not a certificate", "certificate"),
            BadEntry::WrongAssociatedData => Sealed {
                listed_associated_data: "certificate",
                ..Sealed::new(b"not read", "other")
            },
            BadEntry::Undecryptable => Sealed {
                damaged: true,
                ..Sealed::new(b"not read", "certificate")
            },
        };
        entries.push(
            encrypted_entry(state, serial, entry, (2020, 2099))
                .ok_or_else(|| system_error("encryption failed"))?,
        );
    }
    for platform in &platforms {
        entries.push(
            encrypted_entry(
                state,
                &platform.serial,
                Sealed::new(platform.pem.as_bytes(), "certificate"),
                platform.years,
            )
            .ok_or_else(|| system_error("encryption failed"))?,
        );
    }
    Ok(json!({ "data": entries }))
}

/// What an entry of `GET /v3/certificates` holds, and how it is made wrong on purpose.
struct Sealed<'a> {
    plaintext: &'a [u8],
    /// The associated data it is encrypted with.
    associated_data: &'a str,
    /// The associated data the entry lists.
    listed_associated_data: &'a str,
    /// A ciphertext that does not decrypt in its place.
    damaged: bool,
}

impl<'a> Sealed<'a> {
    fn new(plaintext: &'a [u8], associated_data: &'a str) -> Self {
        Self {
            plaintext,
            associated_data,
            listed_associated_data: associated_data,
            damaged: false,
        }
    }
}

/// One entry of `GET /v3/certificates`, encrypted with the merchant's APIv3 key.
fn encrypted_entry(
    state: &State,
    serial: &str,
    sealed: Sealed<'_>,
    years: (i32, i32),
) -> Option<Value> {
    let mut nonce = [0u8; 6];
    aws_lc_rs::rand::fill(&mut nonce).ok()?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let ciphertext = match sealed.damaged {
        true => "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        false => state
            .apiv3_key
            .encrypt(&nonce, sealed.associated_data, sealed.plaintext)?,
    };
    Some(json!({
        "serial_no": serial,
        "effective_time": format!("{}-01-01T08:00:00+08:00", years.0),
        "expire_time": format!("{}-01-01T08:00:00+08:00", years.1),
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "associated_data": sealed.listed_associated_data,
            "nonce": nonce,
            "ciphertext": ciphertext,
        }
    }))
}

fn with_unknown_enum_value(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        for field in ["status", "result"] {
            if let Some(value) = object.get_mut(field) {
                *value = json!("SIMULATED_NEW_VALUE");
            }
        }
    }
    body
}

fn with_unknown_field(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        object.insert(
            "simulated_new_field".to_owned(),
            json!({"added": "by the simulator", "n": [1, 2, 3]}),
        );
    }
    body
}

/// A signature as WeChat Pay puts it in the `Wechatpay-*` headers.
pub(crate) struct Signed {
    pub timestamp: u64,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

/// The serial [`Fault::UnknownSerial`] names: no key has it.
pub(crate) const UNKNOWN_SERIAL: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

impl Signed {
    /// Turns the signature into a `WECHATPAY/SIGNTEST/` probe ([`Fault::SignatureProbe`]).
    pub fn make_probe(&mut self) {
        self.signature = format!("{}{}", crate::auth::verify::PROBE_PREFIX, self.signature);
    }

    /// The five `Wechatpay-*` headers, `Wechatpay-Signature-Type` included.
    pub fn headers(&self) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for (name, value) in [
            ("wechatpay-timestamp", self.timestamp.to_string()),
            ("wechatpay-nonce", self.nonce.clone()),
            ("wechatpay-signature", self.signature.clone()),
            ("wechatpay-serial", self.serial.clone()),
            ("wechatpay-signature-type", SCHEME.to_owned()),
        ] {
            headers.insert(
                name,
                HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        headers
    }
}

/// Changes a signed body so that a JSON parser does not notice and only the signature can catch
/// it ([`Fault::TamperBody`]): a digit moved by one, or else a space after the first byte.
pub(crate) fn tamper(body: &mut Vec<u8>) {
    match body.iter_mut().find(|b| b.is_ascii_digit()) {
        Some(byte) => *byte = if *byte == b'9' { b'0' } else { *byte + 1 },
        None => body.insert(body.len().min(1), b' '),
    }
}

/// Signs `body` at `timestamp` with a fresh nonce: with the WeChat Pay public key's private half,
/// or with `platform`'s key when there is one and the public key was not asked for.
pub(crate) fn signature(
    state: &State,
    platform: Option<&super::PlatformIdentity>,
    use_public_key: bool,
    timestamp: u64,
    body: &[u8],
) -> Signed {
    let (key, serial) = match (use_public_key, platform) {
        (false, Some(platform)) => (&platform.key, platform.serial.as_str()),
        _ => (
            &state.public_key_key,
            state.credentials.wechatpay_public_key_id.as_str(),
        ),
    };
    let nonce = new_nonce().unwrap_or_default();
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    Signed {
        timestamp,
        signature: key.sign(&message).unwrap_or_default(),
        nonce,
        serial: serial.to_owned(),
    }
}

/// Signs an answer as WeChat Pay does: with the public key's private half when the request asked
/// for it (`Wechatpay-Serial: PUB_KEY_ID_…`), else with the platform certificate's key, unless the
/// simulator was told to use one of them for everything.
fn sign(
    status: StatusCode,
    mut body: Vec<u8>,
    serial_asked: Option<&str>,
    fault: Option<&Fault>,
    listing_certificates: bool,
    state: &State,
) -> Response<Full<Bytes>> {
    let credentials = &state.credentials;
    let (answer_signer, platform) = {
        let data = state.data();
        // The list of certificates is signed by the newest certificate that is valid, as WeChat
        // Pay signs; other answers by the newest one, valid or not, so that tests can make it
        // sign with an expired one.
        let platform = match listing_certificates {
            true => data.platform.iter().rev().find(|p| p.is_valid_now()),
            false => data.platform.last(),
        };
        (data.answer_signer, platform.cloned())
    };
    let use_public_key = match answer_signer {
        AnswerSigner::AsRequested => {
            serial_asked == Some(credentials.wechatpay_public_key_id.as_str())
        }
        AnswerSigner::PublicKey => true,
        AnswerSigner::PlatformCertificate => false,
    };
    let mut timestamp = now_secs();
    if let Some(Fault::StaleTimestamp(secs)) = fault {
        timestamp = timestamp.saturating_sub(*secs);
    }
    let mut signed = signature(state, platform.as_deref(), use_public_key, timestamp, &body);
    match fault {
        Some(Fault::TamperBody) => tamper(&mut body),
        Some(Fault::SignatureProbe) => signed.make_probe(),
        Some(Fault::UnknownSerial) => signed.serial = UNKNOWN_SERIAL.to_owned(),
        _ => {}
    }
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header(
            "request-id",
            format!("08{}", new_nonce().unwrap_or_default()),
        );
    if let Some(Fault::RateLimited { retry_after_secs }) = fault {
        builder = builder.header("retry-after", retry_after_secs.to_string());
    }
    if fault != Some(&Fault::NoSignature)
        && let Some(headers) = builder.headers_mut()
    {
        headers.extend(signed.headers());
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
