//! The simulator keeps each sub-merchant's money and answers the whole profit-sharing family the
//! way the pages say: every rule here is exercised through the client, over loopback, on a clock
//! the test moves (no test sleeps).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, Instant};

use wechatpay_ecommerce::ErrorCode;
use wechatpay_ecommerce::profit_sharing::{
    AddReceiverRequest, CreateOrderReceiver, CreateOrderRequest, CreateReturnOrderRequest,
    DeleteReceiverRequest, FinishOrderRequest, OrderReference, QueryOrderAmountsRequest,
    QueryOrderRequest, QueryReturnOrderRequest,
};
use wechatpay_ecommerce::profit_sharing::{
    OrderStatus, ReceiverResult, ReceiverType, RelationType, ReturnFailReason, ReturnResult,
};
use wechatpay_ecommerce::simulator::{
    DEFAULT_PROCESSING_DELAY, Fault, NewMerchant, Simulator, SimulatorError, VerificationMode,
};
use wechatpay_ecommerce::{Client, Error};

const SUB_MCHID: &str = "1900000109";
/// The pages' example transaction: 1000 fen paid.
const TRANSACTION: &str = "4208450740201411110007820472";
const SUPPLIER: &str = "190001001";
const PERSON: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const APPID: &str = "wx8888888888888888";

/// A simulator whose clock moves only when the test advances it.
async fn simulator() -> Simulator {
    Simulator::builder().clock_speed(0.0).start().await.unwrap()
}

fn client(simulator: &Simulator) -> Client {
    simulator
        .client_builder(VerificationMode::PublicKey)
        .unwrap()
        .retry_policy(common::quick_retries())
        .build()
        .unwrap()
}

/// A simulator and a client with the supplier and the person added as receivers.
async fn with_receivers() -> (Simulator, Client) {
    let simulator = simulator().await;
    let client = client(&simulator);
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    client
        .profit_sharing()
        .add_receiver(&person(Some("张三")))
        .await
        .unwrap();
    (simulator, client)
}

fn supplier() -> AddReceiverRequest {
    AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account(SUPPLIER)
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()
        .unwrap()
}

fn person(name: Option<&str>) -> AddReceiverRequest {
    let mut add = AddReceiverRequest::builder()
        .receiver_type(ReceiverType::PersonalOpenid)
        .account(PERSON)
        .relation_type(RelationType::Distributor)
        .appid(APPID)
        .build()
        .unwrap();
    add.name = name.map(Into::into);
    add
}

fn to(receiver_type: ReceiverType, account: &str, amount: i64) -> CreateOrderReceiver {
    CreateOrderReceiver {
        receiver_type,
        receiver_account: account.into(),
        amount,
        description: format!("分给{account}"),
        receiver_name: None,
    }
}

fn split(out_order_no: &str, receivers: Vec<CreateOrderReceiver>) -> CreateOrderRequest {
    CreateOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no(out_order_no)
        .receivers(receivers)
        .finish(false)
        .appid(APPID)
        .build()
        .unwrap()
}

fn give_back(
    out_order_no: &str,
    out_return_no: &str,
    from: &str,
    amount: i64,
) -> CreateReturnOrderRequest {
    CreateReturnOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .order(OrderReference::OutOrderNo(out_order_no.into()))
        .out_return_no(out_return_no)
        .return_mchid(from)
        .amount(amount)
        .description("分账回退")
        .build()
        .unwrap()
}

/// The status and code of an API error, or a panic naming what came instead.
fn refusal<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, ErrorCode) {
    match result {
        Err(Error::Api(api)) => (api.status, api.code.clone().expect("a known code")),
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn unsplit(client: &Client, transaction_id: &str) -> i64 {
    client
        .profit_sharing()
        .query_order_amounts(
            &QueryOrderAmountsRequest::builder()
                .transaction_id(transaction_id)
                .build()
                .unwrap(),
        )
        .await
        .unwrap()
        .unsplit_amount
}

async fn query(
    client: &Client,
    out_order_no: &str,
) -> wechatpay_ecommerce::profit_sharing::ProfitSharingOrder {
    client
        .profit_sharing()
        .query_order(
            &QueryOrderRequest::builder()
                .sub_mchid(SUB_MCHID)
                .transaction_id(TRANSACTION)
                .out_order_no(out_order_no)
                .build()
                .unwrap(),
        )
        .await
        .unwrap()
        .into_data()
}

#[tokio::test]
async fn a_split_is_processing_until_the_clock_reaches_its_delay_then_finished() {
    let (simulator, client) = with_receivers().await;
    let accepted_at = simulator.now();
    let created = client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![
                to(ReceiverType::MerchantId, SUPPLIER, 200),
                to(ReceiverType::PersonalOpenid, PERSON, 100),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(created.status, Some(OrderStatus::Processing));
    assert!(
        created
            .receivers
            .iter()
            .all(|r| r.result == ReceiverResult::Pending)
    );
    assert_eq!(
        unsplit(&client, TRANSACTION).await,
        700,
        "frozen for the split at once"
    );

    simulator.advance(DEFAULT_PROCESSING_DELAY - Duration::from_millis(1));
    let order = query(&client, "P1").await;
    assert_eq!(order.status, OrderStatus::Processing);
    let receivers = order.receivers.clone().unwrap();
    assert!(
        receivers
            .iter()
            .all(|r| r.result == ReceiverResult::Pending && r.finish_time.is_none())
    );

    simulator.advance(Duration::from_millis(1));
    let order = query(&client, "P1").await;
    assert_eq!(order.status, OrderStatus::Finished);
    assert_eq!(order.order_id, created.order_id);
    let receivers = order.receivers.unwrap();
    assert_eq!(receivers.len(), 2);
    for (done, sent) in receivers.iter().zip(&created.receivers) {
        assert_eq!(done.result, ReceiverResult::Success);
        assert_eq!(
            done.finish_time,
            Some(accepted_at + DEFAULT_PROCESSING_DELAY)
        );
        // The split's answer gave the detail id (the pages' form), and the query gives the same.
        assert!(sent.detail_id.is_some());
        assert_eq!(done.detail_id.as_deref(), sent.detail_id.as_deref());
        assert_eq!(done.amount, sent.amount);
    }
    assert_eq!(receivers[0].receiver_account.as_deref(), Some(SUPPLIER));
    assert_eq!(
        receivers[1].receiver_type,
        Some(ReceiverType::PersonalOpenid)
    );
    assert_ne!(receivers[0].detail_id, receivers[1].detail_id);
    assert_eq!(unsplit(&client, TRANSACTION).await, 700);
}

#[tokio::test]
async fn a_split_to_a_receiver_that_was_not_added_is_refused() {
    let simulator = simulator().await;
    let client = client(&simulator);
    let to_supplier = split("P1", vec![to(ReceiverType::MerchantId, SUPPLIER, 100)]);
    assert_eq!(
        refusal(client.profit_sharing().create_order(&to_supplier).await),
        (400, ErrorCode::InvalidRequest)
    );
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    client
        .profit_sharing()
        .create_order(&to_supplier)
        .await
        .unwrap();

    client
        .profit_sharing()
        .delete_receiver(
            &DeleteReceiverRequest::builder()
                .receiver_type(ReceiverType::MerchantId)
                .account(SUPPLIER)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let again = split("P2", vec![to(ReceiverType::MerchantId, SUPPLIER, 100)]);
    assert_eq!(
        refusal(client.profit_sharing().create_order(&again).await),
        (400, ErrorCode::InvalidRequest)
    );
    // The sub-merchant itself needs no adding.
    let to_itself = split("P3", vec![to(ReceiverType::MerchantId, SUB_MCHID, 100)]);
    client
        .profit_sharing()
        .create_order(&to_itself)
        .await
        .unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 800);
}

#[tokio::test]
async fn receivers_are_added_and_deleted_as_the_pages_say() {
    let simulator = simulator().await;
    let client = client(&simulator);
    let mut nameless = supplier();
    nameless.name = None;
    let error = client
        .profit_sharing()
        .add_receiver(&nameless)
        .await
        .unwrap_err();
    assert_eq!(error.api().unwrap().status, 400);
    assert_eq!(
        error
            .api()
            .unwrap()
            .detail
            .as_ref()
            .unwrap()
            .field
            .as_deref(),
        Some("name"),
        "a MERCHANT_ID receiver needs its full name"
    );
    let mut no_appid = person(None);
    no_appid.appid = None;
    let error = client
        .profit_sharing()
        .add_receiver(&no_appid)
        .await
        .unwrap_err();
    assert_eq!(
        error
            .api()
            .unwrap()
            .detail
            .as_ref()
            .unwrap()
            .field
            .as_deref(),
        Some("appid"),
        "a PERSONAL_OPENID receiver needs the appid"
    );
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .delete_receiver(
                    &DeleteReceiverRequest::builder()
                        .receiver_type(ReceiverType::MerchantId)
                        .account(SUPPLIER)
                        .build()
                        .unwrap()
                )
                .await
        ),
        (400, ErrorCode::InvalidRequest)
    );
    // Adding twice is adding once.
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    client
        .profit_sharing()
        .delete_receiver(
            &DeleteReceiverRequest::builder()
                .receiver_type(ReceiverType::MerchantId)
                .account(SUPPLIER)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_receiver_name_is_decrypted_and_checked_against_the_name_it_was_added_with() {
    let (_simulator, client) = with_receivers().await;
    let mut named = to(ReceiverType::PersonalOpenid, PERSON, 100);
    named.receiver_name = Some("李四".into());
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_order(&split("P1", vec![named.clone()]))
                .await
        ),
        (400, ErrorCode::InvalidRequest)
    );
    named.receiver_name = Some("张三".into());
    client
        .profit_sharing()
        .create_order(&split("P1", vec![named]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_split_takes_no_more_than_is_left_to_split() {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .max_ratio_percent(100)
        .start()
        .await
        .unwrap();
    let client = client(&simulator);
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 600)],
        ))
        .await
        .unwrap();
    let too_much = split("P2", vec![to(ReceiverType::MerchantId, SUPPLIER, 401)]);
    assert_eq!(
        refusal(client.profit_sharing().create_order(&too_much).await),
        (403, ErrorCode::NotEnough)
    );
    let the_rest = split("P2", vec![to(ReceiverType::MerchantId, SUPPLIER, 400)]);
    client
        .profit_sharing()
        .create_order(&the_rest)
        .await
        .unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 0);
}

#[tokio::test]
async fn the_maximum_ratio_limits_what_goes_to_others() {
    let (_simulator, client) = with_receivers().await;
    // 30 % of 1000 fen, over every split of the transaction.
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 200)],
        ))
        .await
        .unwrap();
    let over = split("P2", vec![to(ReceiverType::PersonalOpenid, PERSON, 101)]);
    assert_eq!(
        refusal(client.profit_sharing().create_order(&over).await),
        (403, ErrorCode::RuleLimit)
    );
    // What goes back to the sub-merchant itself is not shared.
    let to_itself = split("P3", vec![to(ReceiverType::MerchantId, SUB_MCHID, 500)]);
    client
        .profit_sharing()
        .create_order(&to_itself)
        .await
        .unwrap();
    let up_to = split("P4", vec![to(ReceiverType::PersonalOpenid, PERSON, 100)]);
    client.profit_sharing().create_order(&up_to).await.unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 200);

    let generous = Simulator::builder()
        .clock_speed(0.0)
        .max_ratio_percent(50)
        .start()
        .await
        .unwrap();
    let client = self::client(&generous);
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 500)],
        ))
        .await
        .unwrap();
    assert!(matches!(
        Simulator::builder().max_ratio_percent(101).start().await,
        Err(SimulatorError::Setting {
            setting: "max_ratio_percent",
            ..
        })
    ));
}

#[tokio::test]
async fn the_simulator_refuses_more_than_fifty_receivers_in_a_request() {
    // The client refuses it before sending (tests/operations.rs); a client in another language
    // may not, so the simulator checks it too.
    let simulator = simulator().await;
    simulator.set_accept_unsigned(true);
    let receivers: Vec<_> = (0..51)
        .map(|_| {
            serde_json::json!({"type": "MERCHANT_ID", "receiver_account": SUB_MCHID,
                                    "amount": 1, "description": "d"})
        })
        .collect();
    let body = serde_json::json!({"sub_mchid": SUB_MCHID, "transaction_id": TRANSACTION,
                                  "out_order_no": "P1", "receivers": receivers, "finish": false});
    let answer = common::unsigned_post(&simulator, "/v3/ecommerce/profitsharing/orders")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "PARAM_ERROR");
    assert_eq!(body["detail"]["field"], "receivers");
}

#[tokio::test]
async fn a_transaction_takes_a_limited_number_of_split_requests() {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .max_splits_per_transaction(2)
        .start()
        .await
        .unwrap();
    let client = client(&simulator);
    for number in ["P1", "P2"] {
        client
            .profit_sharing()
            .create_order(&split(
                number,
                vec![to(ReceiverType::MerchantId, SUB_MCHID, 10)],
            ))
            .await
            .unwrap();
    }
    let third = split("P3", vec![to(ReceiverType::MerchantId, SUB_MCHID, 10)]);
    assert_eq!(
        refusal(client.profit_sharing().create_order(&third).await),
        (400, ErrorCode::InvalidRequest)
    );
    // A repeat of one taken is no new request.
    client
        .profit_sharing()
        .create_order(&split(
            "P2",
            vec![to(ReceiverType::MerchantId, SUB_MCHID, 10)],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn finish_true_unfreezes_the_rest_and_pays_only_the_platform() {
    let (simulator, client) = with_receivers().await;
    let mut to_supplier = split("P1", vec![to(ReceiverType::MerchantId, SUPPLIER, 100)]);
    to_supplier.finish = true;
    assert_eq!(
        refusal(client.profit_sharing().create_order(&to_supplier).await),
        (400, ErrorCode::InvalidRequest)
    );
    let platform = simulator.credentials().mchid.clone();
    let mut to_platform = split("P1", vec![to(ReceiverType::MerchantId, &platform, 100)]);
    to_platform.finish = true;
    client
        .profit_sharing()
        .create_order(&to_platform)
        .await
        .unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 0);
    let after = split("P2", vec![to(ReceiverType::MerchantId, SUPPLIER, 1)]);
    assert_eq!(
        refusal(client.profit_sharing().create_order(&after).await),
        (403, ErrorCode::NotEnough)
    );
}

#[tokio::test]
async fn the_same_out_order_no_is_the_same_split_and_other_content_under_it_is_refused() {
    let (simulator, client) = with_receivers().await;
    let mut named = to(ReceiverType::PersonalOpenid, PERSON, 100);
    named.receiver_name = Some("张三".into());
    let request = split("P1", vec![named]);
    let first = client
        .profit_sharing()
        .create_order(&request)
        .await
        .unwrap();
    // Encrypted again, the name's ciphertext differs: the same request all the same.
    let again = client
        .profit_sharing()
        .create_order(&request)
        .await
        .unwrap();
    assert_eq!(again.order_id, first.order_id);
    assert_eq!(again.receivers[0].detail_id, first.receivers[0].detail_id);
    let bodies: Vec<_> = simulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path_and_query.ends_with("/orders"))
        .map(|r| r.body)
        .collect();
    assert_ne!(bodies[0], bodies[1]);
    assert_eq!(unsplit(&client, TRANSACTION).await, 900, "taken once");

    let mut other = request.clone();
    other.receivers[0].amount = 101;
    assert_eq!(
        refusal(client.profit_sharing().create_order(&other).await),
        (400, ErrorCode::InvalidRequest)
    );
    // The finish page: a finish needs a number no split used.
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no("P1")
        .description("分账完结")
        .build()
        .unwrap();
    assert_eq!(
        refusal(client.profit_sharing().finish_order(&finish).await),
        (400, ErrorCode::InvalidRequest)
    );
    // The example order's number is taken too.
    let example = split(
        "P20150806125346",
        vec![to(ReceiverType::MerchantId, SUB_MCHID, 1)],
    );
    assert_eq!(
        refusal(client.profit_sharing().create_order(&example).await),
        (400, ErrorCode::InvalidRequest)
    );
    // Once done, the repeat shows it done.
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let later = client
        .profit_sharing()
        .create_order(&request)
        .await
        .unwrap();
    assert_eq!(later.status, Some(OrderStatus::Finished));
    assert_eq!(unsplit(&client, TRANSACTION).await, 900);
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let simulator = simulator().await;
    let client = client(&simulator);
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .query_order(
                    &QueryOrderRequest::builder()
                        .sub_mchid(SUB_MCHID)
                        .transaction_id(TRANSACTION)
                        .out_order_no("P404")
                        .build()
                        .unwrap()
                )
                .await
        ),
        (404, ErrorCode::ResourceNotExists)
    );
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .query_order_amounts(
                    &QueryOrderAmountsRequest::builder()
                        .transaction_id("4200000000000000000000000404")
                        .build()
                        .unwrap()
                )
                .await
        ),
        (404, ErrorCode::ResourceNotExists)
    );
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .query_return_order(
                    &QueryReturnOrderRequest::builder()
                        .sub_mchid(SUB_MCHID)
                        .order(OrderReference::OutOrderNo("P20150806125346".into()))
                        .out_return_no("R404")
                        .build()
                        .unwrap()
                )
                .await
        ),
        (404, ErrorCode::ResourceNotExists)
    );
    // A split of another sub-merchant's transaction, or of an unknown one, is refused.
    let mut foreign = split("P1", vec![to(ReceiverType::MerchantId, "1900000999", 1)]);
    foreign.sub_mchid = "1900000999".into();
    assert_eq!(
        refusal(client.profit_sharing().create_order(&foreign).await),
        (400, ErrorCode::InvalidRequest)
    );
    // A transaction the test seeds is there to split.
    simulator
        .add_transaction("1900000999", "4200000000000000000000000999", 5000)
        .unwrap();
    assert!(matches!(
        simulator.add_transaction("1900000999", "4200000000000000000000000998", 0),
        Err(wechatpay_ecommerce::simulator::FixturesError::Amount { amount: 0, .. })
    ));
    foreign.transaction_id = "4200000000000000000000000999".into();
    client
        .profit_sharing()
        .create_order(&foreign)
        .await
        .unwrap();
    assert_eq!(unsplit(&client, "4200000000000000000000000999").await, 4999);
}

#[tokio::test]
async fn a_return_takes_back_at_most_what_a_merchant_received() {
    let (simulator, client) = with_receivers().await;
    let created = client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![
                to(ReceiverType::MerchantId, SUPPLIER, 200),
                to(ReceiverType::PersonalOpenid, PERSON, 100),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R1", SUPPLIER, 50))
                .await
        ),
        (400, ErrorCode::InvalidRequest),
        "nothing was received while the split is processing"
    );
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R1", PERSON, 50))
                .await
        ),
        (400, ErrorCode::InvalidRequest),
        "only from a merchant"
    );
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R1", "190009999", 50))
                .await
        ),
        (400, ErrorCode::InvalidRequest),
        "only from a receiver of the split"
    );
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R1", SUPPLIER, 201))
                .await
        ),
        (403, ErrorCode::NotEnough)
    );

    let returned_at = simulator.now();
    let first = client
        .profit_sharing()
        .create_return_order(&give_back("P1", "R1", SUPPLIER, 150))
        .await
        .unwrap();
    assert_eq!(first.result, ReturnResult::Processing);
    assert_eq!(first.order_id, created.order_id);
    let by_order_id = QueryReturnOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .order(OrderReference::OrderId(created.order_id.clone()))
        .out_return_no("R1")
        .build()
        .unwrap();
    let pending = client
        .profit_sharing()
        .query_return_order(&by_order_id)
        .await
        .unwrap();
    assert_eq!(
        (pending.result.clone(), pending.finish_time),
        (ReturnResult::Processing, None)
    );
    // What is being returned counts: 50 fen are left.
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R2", SUPPLIER, 51))
                .await
        ),
        (403, ErrorCode::NotEnough)
    );
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let done = client
        .profit_sharing()
        .query_return_order(&by_order_id)
        .await
        .unwrap();
    assert_eq!(done.result, ReturnResult::Success);
    assert_eq!(
        done.finish_time,
        Some(returned_at + DEFAULT_PROCESSING_DELAY)
    );
    assert_eq!(
        (done.amount, done.return_no.as_str()),
        (150, first.return_no.as_str())
    );
    // The same number again is the same return.
    let again = client
        .profit_sharing()
        .create_return_order(&give_back("P1", "R1", SUPPLIER, 150))
        .await
        .unwrap();
    assert_eq!(
        (again.return_no.clone(), again.result.clone()),
        (first.return_no.clone(), ReturnResult::Success)
    );
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R1", SUPPLIER, 10))
                .await
        ),
        (400, ErrorCode::InvalidRequest),
        "the same number with other content"
    );
    client
        .profit_sharing()
        .create_return_order(&give_back("P1", "R2", SUPPLIER, 50))
        .await
        .unwrap();
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .create_return_order(&give_back("P1", "R3", SUPPLIER, 1))
                .await
        ),
        (403, ErrorCode::NotEnough)
    );
    // Returns give money back to the sub-merchant, not to the amount left to split.
    assert_eq!(unsplit(&client, TRANSACTION).await, 700);
}

#[tokio::test]
async fn an_injected_failure_ends_a_return_fail_and_frees_its_amount() {
    let (simulator, client) = with_receivers().await;
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 200)],
        ))
        .await
        .unwrap();
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    simulator.fail_next_return(ReturnFailReason::AccountAbnormal);
    let failing = client
        .profit_sharing()
        .create_return_order(&give_back("P1", "R1", SUPPLIER, 200))
        .await
        .unwrap();
    assert_eq!(
        (failing.result.clone(), failing.fail_reason.clone()),
        (ReturnResult::Processing, None)
    );
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let failed = client
        .profit_sharing()
        .query_return_order(
            &QueryReturnOrderRequest::builder()
                .sub_mchid(SUB_MCHID)
                .order(OrderReference::OutOrderNo("P1".into()))
                .out_return_no("R1")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(failed.result, ReturnResult::Fail);
    assert_eq!(failed.fail_reason, Some(ReturnFailReason::AccountAbnormal));
    // Only the next return failed; the failed one's 200 fen can be returned again.
    client
        .profit_sharing()
        .create_return_order(&give_back("P1", "R2", SUPPLIER, 200))
        .await
        .unwrap();
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let second = client
        .profit_sharing()
        .query_return_order(
            &QueryReturnOrderRequest::builder()
                .sub_mchid(SUB_MCHID)
                .order(OrderReference::OutOrderNo("P1".into()))
                .out_return_no("R2")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(second.result, ReturnResult::Success);
}

#[tokio::test]
async fn finish_order_unfreezes_what_is_left_and_the_query_shows_it() {
    let (simulator, client) = with_receivers().await;
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 300)],
        ))
        .await
        .unwrap();
    let finish = FinishOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no("F1")
        .description("分账完结")
        .build()
        .unwrap();
    let finished = client.profit_sharing().finish_order(&finish).await.unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 0);
    let order = query(&client, "F1").await;
    assert_eq!(order.order_id, finished.order_id);
    assert_eq!(order.status, OrderStatus::Processing);
    simulator.advance(DEFAULT_PROCESSING_DELAY);
    let order = query(&client, "F1").await;
    assert_eq!(order.status, OrderStatus::Finished);
    assert_eq!(order.finish_amount, Some(700));
    assert_eq!(order.finish_description.as_deref(), Some("分账完结"));
    assert!(order.receivers.is_none(), "a finish has no receivers");
    // The same finish again is the same; a new one finds nothing to unfreeze.
    assert_eq!(
        client
            .profit_sharing()
            .finish_order(&finish)
            .await
            .unwrap()
            .order_id,
        finished.order_id
    );
    let another = FinishOrderRequest::builder()
        .sub_mchid(SUB_MCHID)
        .transaction_id(TRANSACTION)
        .out_order_no("F2")
        .description("分账完结")
        .build()
        .unwrap();
    assert_eq!(
        refusal(client.profit_sharing().finish_order(&another).await),
        (403, ErrorCode::NotEnough)
    );
}

#[tokio::test]
async fn faults_apply_on_top_of_the_state_and_a_retried_split_is_made_once() {
    let (simulator, client) = with_receivers().await;
    simulator.inject_on(
        "/v3/ecommerce/profitsharing/orders",
        common::status(500, "SYSTEM_ERROR"),
        1,
    );
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 100)],
        ))
        .await
        .unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 900);
    simulator.inject(Fault::SignatureProbe);
    assert!(matches!(
        client
            .profit_sharing()
            .query_order(
                &QueryOrderRequest::builder()
                    .sub_mchid(SUB_MCHID)
                    .transaction_id(TRANSACTION)
                    .out_order_no("P1")
                    .build()
                    .unwrap()
            )
            .await,
        Err(Error::Verification { .. })
    ));
    assert_eq!(query(&client, "P1").await.status, OrderStatus::Processing);
}

#[tokio::test]
async fn the_clock_runs_at_the_speed_it_is_given() {
    let frozen = simulator().await;
    let at = frozen.now();
    frozen.advance(Duration::from_secs(90));
    assert_eq!(frozen.now(), at + Duration::from_secs(90));
    assert_eq!(
        frozen.now(),
        at + Duration::from_secs(90),
        "it does not move by itself"
    );

    // A thousand times real time: whatever the test took, the simulator saw a thousand times it
    // (to the millisecond the times are kept to).
    let fast = Simulator::builder()
        .clock_speed(1000.0)
        .start()
        .await
        .unwrap();
    let real = Instant::now();
    let before = fast.now();
    let client = client(&fast);
    unsplit(&client, TRANSACTION).await;
    let after = fast.now();
    let elapsed = real.elapsed();
    let seen = (after - before).to_std().unwrap();
    assert!(
        seen <= elapsed * 1000 + Duration::from_millis(1),
        "{seen:?} for {elapsed:?}"
    );
    assert!(seen > Duration::ZERO, "it moved");
    assert!(matches!(
        Simulator::builder().clock_speed(f64::NAN).start().await,
        Err(SimulatorError::Setting {
            setting: "clock_speed",
            ..
        })
    ));

    // A clock run at an absurd speed stops at the end of year 9999, and its answers still encode.
    let absurd = Simulator::builder()
        .clock_speed(1e300)
        .start()
        .await
        .unwrap();
    assert_eq!(absurd.now().to_rfc3339(), "9999-12-31T23:59:59.999+08:00");
    let client = self::client(&absurd);
    client
        .profit_sharing()
        .create_order(&split(
            "P1",
            vec![to(ReceiverType::MerchantId, SUB_MCHID, 1)],
        ))
        .await
        .unwrap();
    let order = query(&client, "P1").await;
    assert_eq!(order.status, OrderStatus::Finished);
}

#[tokio::test]
async fn fixtures_with_a_transaction_of_nothing_are_refused() {
    let mut fixtures = wechatpay_ecommerce::simulator::Fixtures::doc_examples();
    fixtures.transactions[0].amount = -5;
    assert!(matches!(
        Simulator::builder()
            .fixtures(fixtures.clone())
            .start()
            .await,
        Err(SimulatorError::Fixtures(
            wechatpay_ecommerce::simulator::FixturesError::Amount { amount: -5, .. }
        ))
    ));
    let text = serde_json::to_string(&fixtures).unwrap();
    assert!(wechatpay_ecommerce::simulator::Fixtures::from_json(&text).is_err());
    let simulator = simulator().await;
    assert!(simulator.set_fixtures(fixtures).is_err());
    let client = client(&simulator);
    assert_eq!(unsplit(&client, TRANSACTION).await, 1000, "nothing changed");
}

#[tokio::test]
async fn the_state_is_bounded_and_the_oldest_orders_go_first() {
    let simulator = Simulator::builder()
        .clock_speed(0.0)
        .max_kept(3)
        .start()
        .await
        .unwrap();
    let client = client(&simulator);
    for n in 1..=4 {
        client
            .profit_sharing()
            .create_order(&split(
                &format!("P{n}"),
                vec![to(ReceiverType::MerchantId, SUB_MCHID, 1)],
            ))
            .await
            .unwrap();
    }
    assert_eq!(simulator.orders_kept(), 3);
    assert_eq!(
        refusal(
            client
                .profit_sharing()
                .query_order(
                    &QueryOrderRequest::builder()
                        .sub_mchid(SUB_MCHID)
                        .transaction_id(TRANSACTION)
                        .out_order_no("P1")
                        .build()
                        .unwrap()
                )
                .await
        ),
        (404, ErrorCode::ResourceNotExists)
    );
    assert_eq!(query(&client, "P4").await.out_order_no, "P4");
    assert_eq!(query(&client, "P2").await.out_order_no, "P2");
}

#[tokio::test]
async fn the_clock_speed_changes_while_it_runs() {
    let simulator = Simulator::builder().clock_speed(0.0).start().await.unwrap();
    let frozen = simulator.now();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(simulator.now(), frozen, "a clock at speed 0 stands still");
    // An hour a second: 50 ms of real time is at least three minutes past where it stood.
    simulator.set_clock_speed(3600.0).unwrap();
    assert_eq!(simulator.clock_speed(), 3600.0);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let ran = simulator.now() - frozen;
    assert!(ran >= chrono::TimeDelta::minutes(3), "{ran}");
    simulator.set_clock_speed(0.0).unwrap();
    let stopped = simulator.now();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(simulator.now(), stopped);
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(simulator.set_clock_speed(bad).is_err(), "{bad}");
    }
    assert_eq!(simulator.clock_speed(), 0.0);
}

#[tokio::test]
async fn reset_forgets_what_was_played_and_keeps_the_fixtures_the_clock_and_the_ids() {
    let (simulator, client) = with_receivers().await;
    simulator
        .add_transaction("1900000109", "4200000000000000000000000999", 800)
        .unwrap();
    let created = client
        .profit_sharing()
        .create_order(&split(
            "P-BEFORE-RESET",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 100)],
        ))
        .await
        .unwrap();
    assert_eq!(unsplit(&client, TRANSACTION).await, 900);
    let before = simulator.now();
    let journal_before = simulator.journal().len();
    let listed: Vec<String> = simulator
        .orders()
        .into_iter()
        .map(|o| o.out_order_no)
        .collect();
    assert_eq!(
        listed,
        ["P20150806125346", "P-BEFORE-RESET"],
        "the fixtures' order, then the played one"
    );

    simulator.reset().unwrap();

    // The split and the added transaction are gone; the fixtures' transaction is whole again.
    let listed: Vec<String> = simulator
        .orders()
        .into_iter()
        .map(|o| o.out_order_no)
        .collect();
    assert_eq!(listed, ["P20150806125346"]);
    let queried = client
        .profit_sharing()
        .query_order(
            &QueryOrderRequest::builder()
                .sub_mchid(SUB_MCHID)
                .transaction_id(TRANSACTION)
                .out_order_no("P-BEFORE-RESET")
                .build()
                .unwrap(),
        )
        .await;
    let (status, code) = refusal(queried);
    assert_eq!((status, code), (404, ErrorCode::ResourceNotExists));
    let gone = client
        .profit_sharing()
        .query_order_amounts(
            &QueryOrderAmountsRequest::builder()
                .transaction_id("4200000000000000000000000999")
                .build()
                .unwrap(),
        )
        .await;
    assert_eq!(refusal(gone).0, 404);
    assert_eq!(unsplit(&client, TRANSACTION).await, 1000);
    assert!(simulator.journal().len() < journal_before);
    // The fixtures' order is answered as before.
    assert_eq!(
        query(&client, "P20150806125346").await.order_id,
        "3008450740201411110007820472"
    );
    assert!(
        !simulator.requests().iter().any(|r| r.method == "POST"),
        "the requests before the reset (the split, the receivers) are forgotten"
    );
    // The receivers are forgotten too: a split to the supplier needs it added again.
    let refused = client
        .profit_sharing()
        .create_order(&split(
            "P-AFTER-RESET",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 100)],
        ))
        .await;
    assert!(refused.is_err(), "{refused:?}");
    client
        .profit_sharing()
        .add_receiver(&supplier())
        .await
        .unwrap();
    let again = client
        .profit_sharing()
        .create_order(&split(
            "P-AFTER-RESET",
            vec![to(ReceiverType::MerchantId, SUPPLIER, 100)],
        ))
        .await
        .unwrap();
    // Ids are not given twice, and the clock did not go back.
    assert_ne!(again.order_id, created.order_id);
    assert!(simulator.now() >= before);
}

#[tokio::test]
async fn an_added_merchant_has_its_own_books_and_keys_on_the_same_clock() {
    let simulator = simulator().await;
    let default = simulator.credentials().mchid.clone();
    let added = simulator
        .add_merchant(NewMerchant::default())
        .await
        .unwrap();
    assert_ne!(added.mchid, default);
    assert_ne!(added.apiv3_key, simulator.credentials().apiv3_key);
    let other = simulator.merchant(&added.mchid).unwrap();
    assert_eq!(other.credentials().mchid, added.mchid);
    assert!(simulator.merchant("1234").is_none());
    assert_eq!(
        simulator
            .merchants()
            .iter()
            .map(|c| c.mchid.clone())
            .collect::<Vec<_>>(),
        [default.clone(), added.mchid.clone()]
    );
    // Its transaction is in its books only.
    other
        .add_transaction(SUB_MCHID, "4200000000000000000000000E01", 700)
        .unwrap();
    let amounts = QueryOrderAmountsRequest::builder()
        .transaction_id("4200000000000000000000000E01")
        .build()
        .unwrap();
    let answer = client(&other)
        .profit_sharing()
        .query_order_amounts(&amounts)
        .await
        .unwrap();
    assert_eq!(answer.unsplit_amount, 700);
    assert!(matches!(
        client(&simulator)
            .profit_sharing()
            .query_order_amounts(&amounts)
            .await,
        Err(Error::Api(api)) if api.status == 404
    ));
    // One clock: advanced through either handle, both show it.
    let before = simulator.now();
    other.advance(Duration::from_secs(90));
    assert_eq!((simulator.now() - before).num_seconds(), 90);
    assert_eq!(other.now(), simulator.now());
    // An id it serves cannot be added twice.
    let again = simulator
        .add_merchant(NewMerchant {
            mchid: Some(added.mchid.clone()),
            ..NewMerchant::default()
        })
        .await;
    assert!(matches!(again, Err(SimulatorError::MerchantExists(id)) if id == added.mchid));
}

#[tokio::test]
async fn the_requests_seen_are_the_latest_max_kept_each_with_its_status() {
    let simulator = Simulator::builder().max_kept(3).start().await.unwrap();
    let client = client(&simulator);
    for n in 0..5 {
        let request = QueryOrderAmountsRequest::builder()
            .transaction_id(format!("42000000000000000000000000{n:02}"))
            .build()
            .unwrap();
        let _ = client.profit_sharing().query_order_amounts(&request).await;
    }
    let seen = simulator.requests();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for (n, request) in (2..5).zip(&seen) {
        assert!(
            request
                .path_and_query
                .contains(&format!("42000000000000000000000000{n:02}")),
            "{request:?}"
        );
        // Not a transaction the simulator holds: each answered 404, and recorded so.
        assert_eq!(request.status, Some(404), "{request:?}");
    }
}
