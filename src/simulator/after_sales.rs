//! After-sales splits (售后服务分账), of the profit-sharing family: after a refund, the platform
//! takes a service fee from the sub-merchant (`SERVICE_FEE_INCOME`), one per transaction, found by
//! the transaction. Its money moves in the journal like a share: from the transaction's frozen
//! money when that covers it, else from the sub-merchant's available balance, to the platform.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::checks::{Rejection, invalid, not_found, param_error};
use super::journal::{Account, Entry, Movement};
use super::ledger::{Bounded, Context, IdKind, Ledger, funds_account, later, to_json};
use super::refunds::Refunds;
#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use crate::profit_sharing::{
    AfterSalesType, CreateAfterSalesOrderRequest, CreateAfterSalesOrderResponse, ProcessingResult,
    QueryAfterSalesOrderResponse,
};

/// The after-sales splits, by transaction.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct AfterSales {
    records: Bounded<AfterSalesRecord>,
}

impl AfterSales {
    /// Adds what changed since the last save (everything for a full save).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.records.save("after_sales.records", changes)
    }

    /// The after-sales splits the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.records.load("after_sales.records", records)
    }

    /// None yet; at most `max_kept` kept.
    pub(crate) fn new(max_kept: usize) -> Self {
        Self {
            records: Bounded::new(max_kept),
        }
    }
}

/// An after-sales split, under its transaction.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct AfterSalesRecord {
    request: CreateAfterSalesOrderRequest,
    accepted_at: DateTime<FixedOffset>,
    done_at: DateTime<FixedOffset>,
}

impl AfterSales {
    /// 请求售后服务分账.
    pub fn create(
        &mut self,
        ledger: &mut Ledger,
        refunds: &Refunds,
        request: CreateAfterSalesOrderRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        let answer = |request: &CreateAfterSalesOrderRequest| {
            to_json(&CreateAfterSalesOrderResponse {
                sub_mchid: request.sub_mchid.clone(),
                transaction_id: request.transaction_id.clone(),
                amount: request.amount,
            })
        };
        if let Some(earlier) = self.records.get(&request.transaction_id) {
            return match earlier.request == request {
                true => answer(&earlier.request),
                false => Err(invalid(
                    "该订单已请求过售后服务分账 (this transaction has an after-sales split already, \
                     with other parameters)",
                )),
            };
        }
        if request.after_sales_type != AfterSalesType::ServiceFeeIncome {
            return Err(param_error(
                "type",
                "分账类型只支持SERVICE_FEE_INCOME (the only type is SERVICE_FEE_INCOME)",
            ));
        }
        if request.amount <= 0 {
            return Err(param_error(
                "amount",
                "分账金额必须大于0 (the amount must be at least 1 fen)",
            ));
        }
        let transaction = ledger.paid_by(&request.sub_mchid, &request.transaction_id)?;
        let limit = context.rules.max_shared(transaction.amount);
        if request.amount > limit {
            return Err(invalid(&format!(
                "超出最大分账比例 ({} % of {} fen is {limit} fen)",
                context.rules.max_ratio_percent, transaction.amount
            )));
        }
        let refund_of_transaction =
            refunds.is_refund_of(&request.refund_id, &request.transaction_id);
        if !refund_of_transaction {
            return Err(invalid(&format!(
                "退款单不属于该订单 ({} is not a refund of transaction {})",
                request.refund_id, request.transaction_id
            )));
        }
        let source = funds_account(
            &ledger.covering_source(&request.transaction_id, request.amount),
            &request.transaction_id,
            &request.sub_mchid,
        );
        let held = ledger.journal.balance(&source);
        if held < request.amount {
            return Err(invalid(&format!(
                "可分金额不足 ({} fen asked; the transaction's frozen money and the sub-merchant's \
                 available balance hold less ({held} fen))",
                request.amount
            )));
        }
        let done_at = later(now, context.rules.processing_delay);
        let reference = ledger.next_id(IdKind::AfterSales);
        ledger.journal.record(Entry {
            at: done_at,
            from: source,
            to: Account::Available(context.platform_mchid.to_owned()),
            amount: request.amount,
            movement: Movement::AfterSalesShare,
            transaction_id: request.transaction_id.clone(),
            reference,
        });
        let body = answer(&request);
        self.records.insert(
            request.transaction_id.clone(),
            AfterSalesRecord {
                request,
                accepted_at: now,
                done_at,
            },
        );
        body
    }

    /// 查询售后服务分账结果.
    pub fn query(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        transaction_id: &str,
    ) -> Result<Value, Rejection> {
        let record = self
            .records
            .get(transaction_id)
            .filter(|r| r.request.sub_mchid == sub_mchid)
            .ok_or_else(not_found)?;
        let done = ledger.now() >= record.done_at;
        to_json(&QueryAfterSalesOrderResponse {
            sub_mchid: record.request.sub_mchid.clone(),
            transaction_id: record.request.transaction_id.clone(),
            amount: record.request.amount,
            result: match done {
                true => ProcessingResult::Success,
                false => ProcessingResult::Processing,
            },
            fail_reason: None,
            // Required on the page even while processing: the time it was accepted until then.
            finish_time: match done {
                true => record.done_at,
                false => record.accepted_at,
            },
        })
    }
}
