//! The subsidies family (补差) on the simulator: the platform tops up a sub-merchant's transaction
//! before it is split (请求补差), takes a subsidy back when the order is refunded (请求补差回退), or
//! cancels one it will not pay (取消补差). A subsidy adds to the transaction's money to split; its
//! returns go back to the platform; both are movements of the one journal.
//!
//! The simulator's choices where the pages leave one (each is in the README's table): every
//! paid transaction may take one subsidy (the simulator does not know the order's subsidy flag
//! or its maximum), before any split; a return needs the `refund_id` of a refund of the
//! transaction; a return its account cannot fund answers `FAIL` and moves nothing (the pages list
//! no `NOT_ENOUGH` for it).

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::checks::{Rejection, invalid, param_error};
use super::journal::{Account, Entry, Movement};
use super::ledger::{Bounded, Context, IdKind, Ledger, funds_account, to_json};
use super::refunds::Refunds;
#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use crate::subsidies::{
    CancelSubsidyRequest, CancelSubsidyResponse, CreateSubsidyRequest, CreateSubsidyResponse,
    FundsFrom, ReturnResult, ReturnSubsidyRequest, ReturnSubsidyResponse,
    ReturnSubsidyResponseFrom, SubsidyResult,
};

/// The subsidies family's state: each transaction's subsidy, and the returns.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Subsidies {
    /// Subsidies, or their cancellation, by `transaction_id`.
    paid: Bounded<SubsidyRecord>,
    /// Subsidy returns, by `out_order_no`.
    returns: Bounded<SubsidyReturnRecord>,
    /// `out_subsidy_no` → `transaction_id`: one number, one subsidy.
    numbers: Bounded<String>,
}

impl Subsidies {
    /// Adds what changed since the last save (everything for a full save).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.paid.save("subsidies.paid", changes)?;
        self.returns.save("subsidies.returns", changes)?;
        self.numbers.save("subsidies.numbers", changes)
    }

    /// The subsidies, returns and numbers the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.paid.load("subsidies.paid", records)?;
        self.returns.load("subsidies.returns", records)?;
        self.numbers.load("subsidies.numbers", records)
    }

    /// No subsidy yet; at most `max_kept` of each kept.
    pub(crate) fn new(max_kept: usize) -> Self {
        Self {
            paid: Bounded::new(max_kept),
            returns: Bounded::new(max_kept),
            numbers: Bounded::new(max_kept),
        }
    }
}

/// A transaction's subsidy, or its cancellation.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum SubsidyRecord {
    Paid {
        request: CreateSubsidyRequest,
        subsidy_id: String,
        at: DateTime<FixedOffset>,
        /// What was given back, by the returns' `out_order_no`.
        returned: i64,
    },
    Cancelled,
}

/// A subsidy return, under its `out_order_no`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SubsidyReturnRecord {
    request: ReturnSubsidyRequest,
    answer: ReturnSubsidyResponse,
}

impl Subsidies {
    /// 请求补差.
    pub fn create(
        &mut self,
        ledger: &mut Ledger,
        request: CreateSubsidyRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        match self.paid.get(&request.transaction_id) {
            Some(SubsidyRecord::Paid {
                request: first,
                subsidy_id,
                at,
                returned,
            }) => {
                return match *first == request {
                    true => to_json(&subsidy_answer(first, subsidy_id, *at, *returned)),
                    false => Err(invalid(
                        "一笔订单只能补差一次 (this transaction took a subsidy already, with other \
                         parameters)",
                    )),
                };
            }
            Some(SubsidyRecord::Cancelled) => {
                return Err(invalid(
                    "补差已取消 (the subsidy of this transaction was cancelled)",
                ));
            }
            None => {}
        }
        if request.amount <= 0 {
            return Err(param_error(
                "amount",
                "补差金额必须大于0 (the amount must be at least 1 fen)",
            ));
        }
        let paid = ledger
            .paid_by(&request.sub_mchid, &request.transaction_id)?
            .amount;
        // The order's maximum subsidy, which the simulator does not know, stands at what was paid.
        if request.amount > paid {
            return Err(invalid(&format!(
                "补差金额超过最大补差金额 ({} fen; the simulator allows at most what was paid, {paid} \
                 fen)",
                request.amount
            )));
        }
        if let Some(number) = &request.out_subsidy_no
            && let Some(other) = self.numbers.get(number)
            && *other != request.transaction_id
        {
            return Err(invalid(&format!(
                "商户补差单号已使用 ({number} was used for the subsidy of transaction {other})"
            )));
        }
        if ledger.split_started(&request.transaction_id) {
            return Err(invalid(
                "订单已发起分账, 不能补差 (a subsidy comes before the transaction is split)",
            ));
        }
        let subsidy_id = ledger.next_id(IdKind::Subsidy);
        ledger.journal.record(Entry {
            at: now,
            from: Account::Available(context.platform_mchid.to_owned()),
            to: Account::Frozen(request.transaction_id.clone()),
            amount: request.amount,
            movement: Movement::Subsidy,
            transaction_id: request.transaction_id.clone(),
            reference: subsidy_id.clone(),
        });
        let answer = to_json(&subsidy_answer(&request, &subsidy_id, now, 0));
        if let Some(number) = &request.out_subsidy_no {
            self.numbers
                .insert(number.clone(), request.transaction_id.clone());
        }
        self.paid.insert(
            request.transaction_id.clone(),
            SubsidyRecord::Paid {
                request,
                subsidy_id,
                at: now,
                returned: 0,
            },
        );
        answer
    }

    /// 请求补差回退.
    pub fn return_subsidy(
        &mut self,
        ledger: &mut Ledger,
        refunds: &Refunds,
        request: ReturnSubsidyRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        if let Some(earlier) = self.returns.get(&request.out_order_no) {
            return match earlier.request == request {
                true => to_json(&earlier.answer),
                false => Err(invalid(&format!(
                    "商户补差回退单号已使用 ({} was used for a return with other parameters)",
                    request.out_order_no
                ))),
            };
        }
        let from = request.from.as_deref().unwrap_or_default();
        if from.len() > 1 {
            return Err(param_error(
                "from",
                "目前只支持一个出资账户 (one account only)",
            ));
        }
        if let Some(FundsFrom::Unknown(other)) = from.first().and_then(|f| f.account.as_ref()) {
            return Err(param_error(
                "from[0].account",
                &format!("出资账户类型无效 ({other} is not AVAILABLE or UNAVAILABLE)"),
            ));
        }
        let named = from.first().map(|f| (f.account.clone(), f.amount));
        if let Some((_, Some(amount))) = &named
            && *amount != request.amount
        {
            return Err(param_error(
                "from",
                "出资金额与回退金额不符 (from.amount is not the amount returned)",
            ));
        }
        let Some(refund_id) = &request.refund_id else {
            return Err(param_error(
                "refund_id",
                "缺少微信退款单号 (refund_id is required: a subsidy is returned for a refund)",
            ));
        };
        let refund_of_transaction = refunds.is_refund_of(refund_id, &request.transaction_id);
        if !refund_of_transaction {
            return Err(invalid(&format!(
                "退款单不属于该订单 ({refund_id} is not a refund of transaction {})",
                request.transaction_id
            )));
        }
        if self.returns.values().any(|r| {
            r.request.refund_id.as_deref() == Some(refund_id.as_str())
                && r.answer.result == ReturnResult::Success
        }) {
            return Err(invalid(&format!(
                "该退款单已回退过补差 (a subsidy was returned for refund {refund_id} already)"
            )));
        }
        let Some(SubsidyRecord::Paid {
            request: paid,
            subsidy_id,
            returned,
            ..
        }) = self.paid.get(&request.transaction_id)
        else {
            return Err(invalid(
                "订单没有成功的补差 (no subsidy was paid for this transaction)",
            ));
        };
        if paid.sub_mchid != request.sub_mchid {
            return Err(invalid(
                "订单没有成功的补差 (no subsidy was paid to this sub_mchid)",
            ));
        }
        if request
            .subsidy_id
            .as_ref()
            .is_some_and(|id| id != subsidy_id)
        {
            return Err(invalid("补差单号不符 (not the subsidy_id of this subsidy)"));
        }
        if request.amount <= 0 {
            return Err(param_error(
                "amount",
                "回退金额必须大于0 (the amount must be at least 1 fen)",
            ));
        }
        if returned.saturating_add(request.amount) > paid.amount {
            return Err(invalid(&format!(
                "回退金额超过补差金额 ({} fen were returned of {} fen; {} fen more is too much)",
                returned, paid.amount, request.amount
            )));
        }
        let subsidy_id = subsidy_id.clone();
        let account = match named.as_ref().and_then(|(account, _)| account.clone()) {
            Some(account) => account,
            None => ledger.covering_source(&request.transaction_id, request.amount),
        };
        let source = funds_account(&account, &request.transaction_id, &request.sub_mchid);
        let funded = ledger.journal.balance(&source) >= request.amount;
        let subsidy_refund_id = ledger.next_id(IdKind::SubsidyReturn);
        if funded {
            ledger.journal.record(Entry {
                at: now,
                from: source,
                to: Account::Available(context.platform_mchid.to_owned()),
                amount: request.amount,
                movement: Movement::SubsidyReturn,
                transaction_id: request.transaction_id.clone(),
                reference: subsidy_refund_id.clone(),
            });
            if let Some(SubsidyRecord::Paid { returned, .. }) =
                self.paid.get_mut(&request.transaction_id)
            {
                *returned = returned.saturating_add(request.amount);
            }
        }
        let answer = ReturnSubsidyResponse {
            sub_mchid: request.sub_mchid.clone(),
            transaction_id: request.transaction_id.clone(),
            subsidy_refund_id,
            refund_id: request.refund_id.clone(),
            out_order_no: request.out_order_no.clone(),
            amount: request.amount,
            description: request.description.clone(),
            result: if funded {
                ReturnResult::Success
            } else {
                ReturnResult::Fail
            },
            success_time: now,
            subsidy_id: Some(subsidy_id),
            from: vec![ReturnSubsidyResponseFrom {
                account: Some(account),
                amount: Some(request.amount),
            }],
        };
        let body = to_json(&answer);
        self.returns.insert(
            request.out_order_no.clone(),
            SubsidyReturnRecord { request, answer },
        );
        body
    }

    /// 取消补差: a transaction that had a refund will take no subsidy, and may be split.
    pub fn cancel(
        &mut self,
        ledger: &mut Ledger,
        refunds: &Refunds,
        request: CancelSubsidyRequest,
    ) -> Result<Value, Rejection> {
        ledger.paid_by(&request.sub_mchid, &request.transaction_id)?;
        match self.paid.get(&request.transaction_id) {
            Some(SubsidyRecord::Paid { .. }) => {
                return Err(invalid(
                    "补差已成功, 不能取消 (the subsidy was paid: return it instead)",
                ));
            }
            Some(SubsidyRecord::Cancelled) => {}
            None => {
                if !refunds.any_of(&request.transaction_id) {
                    return Err(invalid(
                        "订单未发生退款, 不能取消补差 (a subsidy is cancelled only after a refund of \
                         the transaction)",
                    ));
                }
                if ledger.split_started(&request.transaction_id) {
                    return Err(invalid(
                        "订单已发起分账 (the transaction is being split already)",
                    ));
                }
                self.paid
                    .insert(request.transaction_id.clone(), SubsidyRecord::Cancelled);
            }
        }
        to_json(&CancelSubsidyResponse {
            sub_mchid: request.sub_mchid,
            transaction_id: request.transaction_id,
            result: ReturnResult::Success,
            description: request.description,
        })
    }
}

fn subsidy_answer(
    request: &CreateSubsidyRequest,
    subsidy_id: &str,
    at: DateTime<FixedOffset>,
    returned: i64,
) -> CreateSubsidyResponse {
    CreateSubsidyResponse {
        sub_mchid: request.sub_mchid.clone(),
        transaction_id: request.transaction_id.clone(),
        subsidy_id: subsidy_id.to_owned(),
        description: request.description.clone(),
        amount: Some(request.amount),
        result: if returned >= request.amount {
            SubsidyResult::Refund
        } else {
            SubsidyResult::Success
        },
        success_time: at,
        out_subsidy_no: request.out_subsidy_no.clone(),
    }
}
