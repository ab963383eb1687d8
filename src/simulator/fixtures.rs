//! The orders the simulator answers with: by default the doc pages' examples.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::profit_sharing::{ProfitSharingOrder, ReturnOrder};

/// What the simulator starts with: paid transactions to split, and orders and return orders
/// answered exactly as given.
///
/// As JSON (for `--fixtures FILE`): `{"transactions": [ … ], "orders": [ … ], "return_orders":
/// [ … ]}`, each key optional. A transaction is `{"sub_mchid": …, "transaction_id": …, "amount":
/// fen}`; an order or a return order is an answer of 查询分账结果 or 查询分账回退结果.
///
/// The orders and return orders are answers, not state: they move no money, and the queries find
/// them before the orders the simulator made. Their `out_order_no`s are taken: a split or a finish
/// that uses one is refused as a reused number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixtures {
    /// Paid transactions, each with all of its amount left to split.
    #[serde(default)]
    pub transactions: Vec<Transaction>,
    /// Answers of 查询分账结果, found by `sub_mchid`, `transaction_id` and `out_order_no`.
    #[serde(default)]
    pub orders: Vec<ProfitSharingOrder>,
    /// Answers of 查询分账回退结果, found by `sub_mchid`, `out_return_no` and `order_id` or
    /// `out_order_no`.
    #[serde(default)]
    pub return_orders: Vec<ReturnOrder>,
}

/// A paid transaction (a WeChat Pay order) of a sub-merchant, which splits take money from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The sub-merchant paid (二级商户号).
    pub sub_mchid: String,
    /// WeChat Pay's order id (微信订单号).
    pub transaction_id: String,
    /// What was paid, in fen.
    pub amount: i64,
    /// The merchant's order number (商户订单号), by which a refund may name the transaction too;
    /// without one, `M` and the transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
}

impl Transaction {
    /// A paid transaction of `sub_mchid`, `amount` fen, checked to be at least 1 fen.
    pub fn new(
        sub_mchid: impl Into<String>,
        transaction_id: impl Into<String>,
        amount: i64,
    ) -> Result<Self, FixturesError> {
        let transaction = Self {
            sub_mchid: sub_mchid.into(),
            transaction_id: transaction_id.into(),
            amount,
            out_trade_no: None,
        };
        transaction.check()?;
        Ok(transaction)
    }

    /// The merchant's order number: the one given, else `M` and the transaction id.
    pub fn out_trade_no(&self) -> String {
        self.out_trade_no
            .clone()
            .unwrap_or_else(|| format!("M{}", self.transaction_id))
    }

    fn check(&self) -> Result<(), FixturesError> {
        match self.amount {
            1.. => Ok(()),
            amount => Err(FixturesError::Amount {
                transaction_id: self.transaction_id.clone(),
                amount,
            }),
        }
    }
}

/// Why a fixtures file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixturesError {
    /// The file could not be read.
    #[error("cannot read the fixtures {}: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A transaction's amount is not at least 1 fen.
    #[error("transaction {transaction_id} of {amount} fen: a paid transaction is at least 1 fen")]
    Amount {
        /// The transaction.
        transaction_id: String,
        /// Its amount.
        amount: i64,
    },
    /// The file is not fixtures JSON.
    #[error(
        "the fixtures are not {{\"transactions\": [...], \"orders\": [...], \"return_orders\": [...]}}: {0}"
    )]
    Json(#[from] serde_json::Error),
}

impl Fixtures {
    /// The doc pages' examples: transaction 4208450740201411110007820472 of sub-merchant
    /// 1900000109, paid 1000 fen (what 查询订单剩余待分金额 shows for it), all of it left to
    /// split; and, field for field, order P20150806125346 (its one receiver in an array, as the
    /// API sends it) and its return R20190516001.
    pub fn doc_examples() -> Self {
        // These are constants that decode into the generated types (the tests check it); were one
        // not to, the simulator would start with no orders rather than fail.
        let order = serde_json::from_value(json!({
            "sub_mchid": "1900000109",
            "transaction_id": "4208450740201411110007820472",
            "out_order_no": "P20150806125346",
            "order_id": "3008450740201411110007820472",
            "status": "FINISHED",
            // The page shows one bare object; the API sends an array.
            "receivers": [{
                "receiver_mchid": "1900000110",
                "amount": 100,
                "description": "分给商户 1900000110",
                "result": "SUCCESS",
                "finish_time": "2015-05-20T13:29:35.120+08:00",
                "fail_reason": "ACCOUNT_ABNORMAL"
            }],
            "close_reason": "NO_AUTH",
            "finish_amount": 100,
            "finish_description": "分账完结"
        }));
        let return_order = serde_json::from_value(json!({
            "sub_mchid": "1900000109",
            "order_id": "3008450740201411110007820472",
            "out_order_no": "P20150806125346",
            "out_return_no": "R20190516001",
            "return_mchid": "86693852",
            "amount": 10,
            "return_no": "3008450740201411110007820472",
            "result": "SUCCESS",
            "fail_reason": "TIME_OUT_CLOSED",
            "finish_time": "2015-05-20T13:29:35.120+08:00"
        }));
        Self {
            transactions: vec![Transaction {
                sub_mchid: "1900000109".into(),
                transaction_id: "4208450740201411110007820472".into(),
                amount: 1000,
                // The refund page's example order number.
                out_trade_no: Some("1217752501201407033233368018".into()),
            }],
            orders: order.into_iter().collect(),
            return_orders: return_order.into_iter().collect(),
        }
    }

    /// Parses fixtures from JSON text, and checks them.
    pub fn from_json(text: &str) -> Result<Self, FixturesError> {
        let fixtures: Self = serde_json::from_str(text)?;
        fixtures.check()?;
        Ok(fixtures)
    }

    /// Checks what JSON cannot say: every transaction is at least 1 fen.
    pub fn check(&self) -> Result<(), FixturesError> {
        self.transactions.iter().try_for_each(Transaction::check)
    }

    /// Reads fixtures from a JSON file.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, FixturesError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FixturesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// The order with these ids.
    pub fn order(
        &self,
        sub_mchid: &str,
        transaction_id: &str,
        out_order_no: &str,
    ) -> Option<&ProfitSharingOrder> {
        self.orders.iter().find(|o| {
            o.sub_mchid == sub_mchid
                && o.transaction_id == transaction_id
                && o.out_order_no == out_order_no
        })
    }

    /// Whether an order of the fixtures has this `out_order_no`.
    pub fn uses_out_order_no(&self, out_order_no: &str) -> bool {
        self.orders.iter().any(|o| o.out_order_no == out_order_no)
    }

    /// The return order with these ids; `order` is `order_id` or `out_order_no`, as the request has it.
    pub fn return_order(
        &self,
        sub_mchid: &str,
        out_return_no: &str,
        order: &crate::profit_sharing::OrderReference,
    ) -> Option<&ReturnOrder> {
        self.return_orders.iter().find(|o| {
            o.sub_mchid == sub_mchid
                && o.out_return_no == out_return_no
                && match order {
                    crate::profit_sharing::OrderReference::OrderId(id) => &o.order_id == id,
                    crate::profit_sharing::OrderReference::OutOrderNo(no) => &o.out_order_no == no,
                }
        })
    }

    /// Adds an order, replacing one with the same ids.
    pub fn put_order(&mut self, order: ProfitSharingOrder) {
        self.orders.retain(|o| {
            (&o.sub_mchid, &o.transaction_id, &o.out_order_no)
                != (&order.sub_mchid, &order.transaction_id, &order.out_order_no)
        });
        self.orders.push(order);
    }

    /// Adds a return order, replacing one with the same `sub_mchid` and `out_return_no`.
    pub fn put_return_order(&mut self, order: ReturnOrder) {
        self.return_orders.retain(|o| {
            (&o.sub_mchid, &o.out_return_no) != (&order.sub_mchid, &order.out_return_no)
        });
        self.return_orders.push(order);
    }
}
