//! The refunds family (退款) on the simulator: a refund of a paid transaction, its two queries,
//! the return of the platform's advance (垫付回补), the abnormal refund (异常退款), and the
//! refund notification (退款结果通知). Its money moves in the same journal as the splits', so a
//! refund after a split needs the money back first.
//!
//! Where the pages leave a choice, the simulator makes one (each is in the README's table):
//! a refund is funded by the transaction's frozen money when that covers it and the request names
//! no account, else by the sub-merchant's available balance (`NOT_ENOUGH` when short); the
//! platform's advance is not limited by the platform's own balance; a return of an advance is
//! done at once when the sub-merchant's available balance covers it, else refused with
//! `NOT_ENOUGH` and nothing recorded.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::checks::{Rejection, invalid, missing, not_enough, not_found, param_error};
use super::journal::{Account, Entry, Movement};
#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use std::collections::{HashMap, VecDeque};

use super::ledger::{Bounded, Context, IdKind, Ledger, Notice, funds_account, later, to_json};
use crate::EventType;
use crate::refunds::{
    AbnormalRefundType, AdvanceReturn, ApplyAbnormalRefundRequest, ApplyRefundRequest,
    ApplyRefundResponse, ApplyRefundResponseAmount, ApplyRefundResponseAmountFrom,
    ApplyRefundTransactionIdOrOutTradeNo, FundsAccount, FundsFrom, ProcessingResult,
    REFUND_NOTIFICATION, Refund, RefundAccount, RefundAmount, RefundAmountFrom, RefundChannel,
    RefundNotification, RefundNotificationAmount, RefundStatus, ReturnAdvanceRequest,
};

/// A refund the simulator took, under its `refund_id`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RefundRecord {
    request: ApplyRefundRequest,
    refund_id: String,
    transaction_id: String,
    out_trade_no: String,
    /// What the buyer paid.
    total: i64,
    accepted_at: DateTime<FixedOffset>,
    /// When it leaves `PROCESSING` (again, after an abnormal refund).
    done_at: DateTime<FixedOffset>,
    /// What it becomes then.
    outcome: RefundStatus,
    /// The sub-merchant's accounts that fund it, and how much each.
    sources: Vec<(FundsFrom, i64)>,
    /// What the platform advanced.
    advance: i64,
    channel: RefundChannel,
    user_received_account: String,
}

impl RefundRecord {
    /// Whether it is a refund of `transaction_id` that will not close (a closed refund gave its
    /// money back: nothing was refunded).
    pub(crate) fn refunds(&self, transaction_id: &str) -> bool {
        self.transaction_id == transaction_id && self.outcome != RefundStatus::Closed
    }

    fn status(&self, now: DateTime<FixedOffset>) -> RefundStatus {
        if now < self.done_at {
            RefundStatus::Processing
        } else {
            self.outcome.clone()
        }
    }

    fn refund_account(&self) -> RefundAccount {
        if self.advance > 0 {
            RefundAccount::RefundSourcePartnerAdvance
        } else {
            RefundAccount::RefundSourceSubMerchant
        }
    }

    fn from(&self) -> impl Iterator<Item = &(FundsFrom, i64)> {
        // Only a refund funded by more than one account says how much each gave.
        self.sources.iter().filter(|_| self.sources.len() > 1)
    }

    /// 查询单笔退款's answer.
    fn view(&self, now: DateTime<FixedOffset>) -> Refund {
        let status = self.status(now);
        let refund = self.request.amount.refund;
        Refund {
            refund_id: self.refund_id.clone(),
            out_refund_no: self.request.out_refund_no.clone(),
            transaction_id: self.transaction_id.clone(),
            out_trade_no: self.out_trade_no.clone(),
            channel: Some(self.channel.clone()),
            user_received_account: Some(self.user_received_account.clone()),
            success_time: (status == RefundStatus::Success).then_some(self.done_at),
            create_time: self.accepted_at,
            status,
            amount: RefundAmount {
                refund,
                from: self
                    .from()
                    .map(|(account, amount)| RefundAmountFrom {
                        account: account.clone(),
                        amount: *amount,
                    })
                    .collect(),
                payer_refund: refund,
                discount_refund: Some(0),
                currency: Some("CNY".to_owned()),
                advance: (self.advance > 0).then_some(self.advance),
            },
            promotion_detail: Vec::new(),
            refund_account: Some(self.refund_account()),
            funds_account: self.sources.first().map(|(account, _)| match account {
                FundsFrom::Unavailable => FundsAccount::Unavailable,
                _ => FundsAccount::Available,
            }),
        }
    }

    /// 申请退款's answer: accepted, with no status yet.
    fn accepted(&self) -> ApplyRefundResponse {
        let refund = self.request.amount.refund;
        ApplyRefundResponse {
            refund_id: self.refund_id.clone(),
            out_refund_no: self.request.out_refund_no.clone(),
            create_time: self.accepted_at,
            amount: ApplyRefundResponseAmount {
                refund,
                from: self
                    .from()
                    .map(|(account, amount)| ApplyRefundResponseAmountFrom {
                        account: account.clone(),
                        amount: *amount,
                    })
                    .collect(),
                payer_refund: refund,
                discount_refund: Some(0),
                currency: Some("CNY".to_owned()),
                advance: (self.advance > 0).then_some(self.advance),
            },
            promotion_detail: Vec::new(),
            refund_account: Some(self.refund_account()),
        }
    }

    /// The 退款结果通知 of its outcome, due when it is done.
    fn notice(&self, sp_mchid: &str) -> Notice {
        let (event_type, summary) = match self.outcome {
            RefundStatus::Closed => (EventType::RefundClosed, "退款关闭"),
            RefundStatus::Abnormal => (EventType::RefundAbnormal, "退款异常"),
            _ => (EventType::RefundSuccess, "退款成功"),
        };
        let refund = self.request.amount.refund;
        let resource = RefundNotification {
            sp_mchid: sp_mchid.to_owned(),
            sub_mchid: self.request.sub_mchid.clone(),
            out_trade_no: self.out_trade_no.clone(),
            transaction_id: self.transaction_id.clone(),
            out_refund_no: self.request.out_refund_no.clone(),
            refund_id: self.refund_id.clone(),
            refund_status: self.outcome.clone(),
            success_time: (self.outcome == RefundStatus::Success).then_some(self.done_at),
            user_received_account: self.user_received_account.clone(),
            amount: RefundNotificationAmount {
                total: self.total,
                refund,
                payer_total: self.total,
                payer_refund: refund,
            },
            refund_account: Some(self.refund_account()),
        };
        Notice {
            due: self.done_at,
            kind: &REFUND_NOTIFICATION,
            event_type,
            summary: summary.to_owned(),
            resource: serde_json::to_value(&resource).unwrap_or(Value::Null),
            url: self.request.notify_url.clone(),
        }
    }
}

/// The refunds family's state: refunds, their numbers, the advances' returns.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Refunds {
    /// Refunds, by `refund_id`.
    records: Bounded<RefundRecord>,
    /// `out_refund_no` → `refund_id`: an index of `records`, made again when they are loaded.
    #[serde(skip)]
    numbers: HashMap<String, String>,
    /// What the next refunds end as, first first (`SUCCESS` when empty).
    /// Not kept by `--data`: like queued faults, it is for the run that asked for it.
    #[serde(skip)]
    pub(crate) failing: VecDeque<RefundStatus>,
    /// Refunds that will close: the money each gives back, to which accounts, when it is done
    /// (see `settle`; kept here, so that a refund dropped past the cap still gives it back).
    closing: VecDeque<Closing>,
    /// Returns of the platform's advances, by `refund_id`.
    advance_returns: Bounded<AdvanceReturnRecord>,
}

/// What a refund that closes gives back when it is done.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Closing {
    done_at: DateTime<FixedOffset>,
    transaction_id: String,
    refund_id: String,
    parts: Vec<(Account, i64)>,
}

impl Refunds {
    /// No refund yet; at most `max_kept` kept.
    pub(crate) fn new(max_kept: usize) -> Self {
        Self {
            records: Bounded::new(max_kept),
            numbers: HashMap::new(),
            failing: VecDeque::new(),
            closing: VecDeque::new(),
            advance_returns: Bounded::new(max_kept),
        }
    }

    /// Whether a transaction has a refund that does not close.
    pub(crate) fn any_of(&self, transaction_id: &str) -> bool {
        self.records.values().any(|r| r.refunds(transaction_id))
    }

    /// Whether `refund_id` is a refund of `transaction_id` that does not close: what a subsidy's
    /// return and an after-sales fee must name.
    pub(crate) fn is_refund_of(&self, refund_id: &str, transaction_id: &str) -> bool {
        self.records
            .get(refund_id)
            .is_some_and(|r| r.refunds(transaction_id))
    }
}

/// A return of the platform's advance (垫付回补), under its refund's id.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct AdvanceReturnRecord {
    answer: AdvanceReturn,
}

impl Refunds {
    /// 申请退款.
    pub fn apply(
        &mut self,
        ledger: &mut Ledger,
        request: ApplyRefundRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        if let Some(earlier) = self.refund_by_number(&request.out_refund_no) {
            return match earlier.request == request {
                true => to_json(&earlier.accepted()),
                false => Err(invalid(&format!(
                    "商户退款单号已用于另一笔退款 ({} was used for a refund with other parameters: \
                     a new refund needs a new number, a retry the same parameters)",
                    request.out_refund_no
                ))),
            };
        }
        let transaction = match &request.transaction_id_or_out_trade_no {
            ApplyRefundTransactionIdOrOutTradeNo::TransactionId(id) => ledger.transaction(id),
            ApplyRefundTransactionIdOrOutTradeNo::OutTradeNo(no) => {
                ledger.transaction_by_trade(&request.sub_mchid, no)
            }
        }
        .filter(|t| t.sub_mchid == request.sub_mchid)
        .ok_or_else(|| {
            missing(
                "订单不存在 (no paid transaction of this sub_mchid with that transaction_id or \
                 out_trade_no; seed one with add_transaction or the fixtures)",
            )
        })?;
        let (transaction_id, out_trade_no, total) = (
            transaction.transaction_id.clone(),
            transaction.out_trade_no.clone(),
            transaction.amount,
        );
        let reachable = |url: &String| {
            reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        };
        if request
            .notify_url
            .as_ref()
            .is_some_and(|url| !reachable(url))
        {
            return Err(param_error(
                "notify_url",
                "通知地址无效 (notify_url is an http or https URL)",
            ));
        }
        let amount = &request.amount;
        if amount.refund <= 0 {
            return Err(param_error(
                "amount.refund",
                "退款金额必须大于0 (the refund must be at least 1 fen)",
            ));
        }
        if amount.currency.as_deref().is_some_and(|c| c != "CNY") {
            return Err(param_error(
                "amount.currency",
                "币种只支持CNY (the only currency is CNY)",
            ));
        }
        if amount.total != total {
            return Err(invalid(&format!(
                "原订单金额不符 (amount.total is {} fen; transaction {transaction_id} was {total} fen)",
                amount.total
            )));
        }
        let refundable = ledger.journal.refundable(&transaction_id);
        if amount.refund > refundable {
            return Err(invalid(&format!(
                "退款金额超过订单可退金额 ({} fen asked; {refundable} fen of transaction \
                 {transaction_id} are left to refund)",
                amount.refund
            )));
        }
        let advance = request.refund_account == Some(RefundAccount::RefundSourcePartnerAdvance);
        let sources = Self::refund_sources(ledger, &request, &transaction_id, advance)?;
        let refund_id = ledger.next_id(IdKind::Refund);
        let outcome = self.failing.pop_front().unwrap_or(RefundStatus::Success);
        let record = RefundRecord {
            refund_id: refund_id.clone(),
            transaction_id: transaction_id.clone(),
            out_trade_no,
            total,
            accepted_at: now,
            done_at: later(now, context.rules.processing_delay),
            outcome,
            advance: if advance { amount.refund } else { 0 },
            sources,
            channel: RefundChannel::Original,
            user_received_account: "支付用户零钱".to_owned(),
            request,
        };
        Self::record_refund_money(ledger, &record, context);
        if record.outcome == RefundStatus::Closed {
            self.closing.push_back(Closing {
                done_at: record.done_at,
                transaction_id: record.transaction_id.clone(),
                refund_id: refund_id.clone(),
                parts: Self::refund_parts(&record, context),
            });
        }
        let answer = to_json(&record.accepted());
        ledger.notify([record.notice(context.platform_mchid)]);
        self.numbers
            .insert(record.request.out_refund_no.clone(), refund_id.clone());
        for dropped in self.records.insert(refund_id, record) {
            self.numbers.remove(&dropped.request.out_refund_no);
        }
        answer
    }

    /// Where a refund's money comes from: the accounts the request names (`from`,
    /// `funds_account`), else the transaction's frozen money when it covers the refund, else the
    /// sub-merchant's available balance; each must hold its part. Empty for the platform's
    /// advance.
    fn refund_sources(
        ledger: &Ledger,
        request: &ApplyRefundRequest,
        transaction_id: &str,
        advance: bool,
    ) -> Result<Vec<(FundsFrom, i64)>, Rejection> {
        let refund = request.amount.refund;
        let from = request.amount.from.as_deref().unwrap_or_default();
        if !from.is_empty() && request.funds_account.is_some() {
            return Err(invalid(
                "from与funds_account不能同时传入 (name the funding accounts with one of them)",
            ));
        }
        if advance {
            if !from.is_empty() || request.funds_account.is_some() {
                return Err(invalid(
                    "垫付退款不能指定出资账户 (an advanced refund is funded by the platform)",
                ));
            }
            return Ok(Vec::new());
        }
        let split_started = ledger.split_started(transaction_id);
        let sources: Vec<(FundsFrom, i64)> = if !from.is_empty() {
            for (index, part) in from.iter().enumerate() {
                if let FundsFrom::Unknown(other) = &part.account {
                    return Err(param_error(
                        &format!("amount.from[{index}].account"),
                        &format!("出资账户类型无效 ({other} is not AVAILABLE or UNAVAILABLE)"),
                    ));
                }
                if part.amount <= 0 {
                    return Err(param_error(
                        &format!("amount.from[{index}].amount"),
                        "出资金额必须大于0 (each account gives at least 1 fen)",
                    ));
                }
                if from
                    .iter()
                    .take(index)
                    .any(|earlier| earlier.account == part.account)
                {
                    return Err(invalid(&format!(
                        "出资账户类型重复 ({} is named twice in amount.from)",
                        part.account.as_str()
                    )));
                }
            }
            let sum = from
                .iter()
                .fold(0_i64, |sum, f| sum.saturating_add(f.amount));
            if sum != refund {
                return Err(invalid(&format!(
                    "出资金额之和与退款金额不符 (amount.from adds up to {sum} fen, the refund is \
                     {refund} fen)"
                )));
            }
            from.iter().map(|f| (f.account.clone(), f.amount)).collect()
        } else if let Some(account) = &request.funds_account {
            if *account != FundsFrom::Available {
                return Err(param_error(
                    "funds_account",
                    "资金账户只能是AVAILABLE (funds_account is AVAILABLE or absent)",
                ));
            }
            if split_started {
                return Err(invalid(
                    "订单已分账, 不能指定资金账户 (funds_account may be given only while the order \
                     awaits its split)",
                ));
            }
            vec![(account.clone(), refund)]
        } else {
            vec![(ledger.covering_source(transaction_id, refund), refund)]
        };
        for (account, amount) in &sources {
            let held =
                ledger
                    .journal
                    .balance(&funds_account(account, transaction_id, &request.sub_mchid));
            if held < *amount {
                let what = match account {
                    FundsFrom::Unavailable => "the transaction's frozen money (left to split)",
                    _ => "the sub-merchant's available balance",
                };
                return Err(not_enough(&format!(
                    "余额不足 ({amount} fen needed from {what}, which holds {held} fen: return the \
                     shares first (create_return_order), or refund with the platform's advance)"
                )));
            }
        }
        Ok(sources)
    }

    /// The accounts a refund takes its money from, and how much from each: its sources, and the
    /// platform's for what it advanced.
    fn refund_parts(record: &RefundRecord, context: &Context<'_>) -> Vec<(Account, i64)> {
        let sub_mchid = &record.request.sub_mchid;
        let mut parts: Vec<(Account, i64)> = record
            .sources
            .iter()
            .map(|(account, amount)| {
                (
                    funds_account(account, &record.transaction_id, sub_mchid),
                    *amount,
                )
            })
            .collect();
        if record.advance > 0 {
            parts.push((
                Account::Available(context.platform_mchid.to_owned()),
                record.advance,
            ));
        }
        parts
    }

    /// Moves a refund's money from its accounts to the buyer, now; one that will close gives it
    /// back when it is done (see [`Ledger::settle`]).
    fn record_refund_money(ledger: &mut Ledger, record: &RefundRecord, context: &Context<'_>) {
        for (account, amount) in Self::refund_parts(record, context) {
            ledger.journal.record(Entry {
                at: record.done_at,
                from: account,
                to: Account::Buyer,
                amount,
                movement: Movement::Refund,
                transaction_id: record.transaction_id.clone(),
                reference: record.refund_id.clone(),
            });
        }
    }

    /// Gives back the money of the refunds that closed by now: a refund that will close holds
    /// its money while it is `PROCESSING`, like any other. Called before each request is
    /// answered.
    pub(crate) fn settle(&mut self, ledger: &mut Ledger) {
        let now = ledger.now();
        let mut waiting = VecDeque::new();
        while let Some(closing) = self.closing.pop_front() {
            if now < closing.done_at {
                waiting.push_back(closing);
                continue;
            }
            for (account, amount) in closing.parts {
                ledger.journal.record(Entry {
                    at: closing.done_at,
                    from: Account::Buyer,
                    to: account,
                    amount,
                    movement: Movement::RefundClosed,
                    transaction_id: closing.transaction_id.clone(),
                    reference: closing.refund_id.clone(),
                });
            }
        }
        self.closing = waiting;
    }

    /// The merchant's number of a refund, for the trade bill.
    pub(crate) fn out_refund_no(&self, refund_id: &str) -> Option<String> {
        self.records
            .get(refund_id)
            .map(|record| record.request.out_refund_no.clone())
    }

    /// Adds what changed since the last save (everything for a full save).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.records.save("refunds.records", changes)?;
        self.advance_returns
            .save("refunds.advance_returns", changes)
    }

    /// The refunds and advance returns the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.records.load("refunds.records", records)?;
        self.advance_returns
            .load("refunds.advance_returns", records)?;
        self.numbers = (self.records.keys())
            .filter_map(|id| {
                let record = self.records.get(id)?;
                Some((record.request.out_refund_no.clone(), id.clone()))
            })
            .collect();
        Ok(())
    }

    fn refund_by_number(&self, out_refund_no: &str) -> Option<&RefundRecord> {
        self.numbers
            .get(out_refund_no)
            .and_then(|id| self.records.get(id))
    }

    /// Every refund played, as 查询单笔退款 answers each, by `refund_id`.
    pub fn all(&self, ledger: &Ledger) -> Vec<Refund> {
        let now = ledger.now();
        let mut refunds: Vec<Refund> = self.records.values().map(|r| r.view(now)).collect();
        refunds.sort_by(|a, b| a.refund_id.cmp(&b.refund_id));
        refunds
    }

    /// 查询单笔退款(按微信支付退款单号).
    pub fn by_id(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        refund_id: &str,
    ) -> Result<Value, Rejection> {
        let record = self
            .records
            .get(refund_id)
            .filter(|r| r.request.sub_mchid == sub_mchid)
            .ok_or_else(|| {
                missing("记录不存在 (no refund of this sub_mchid with that refund_id)")
            })?;
        to_json(&record.view(ledger.now()))
    }

    /// 查询单笔退款(按商户退款单号).
    pub fn by_out_refund_no(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        out_refund_no: &str,
    ) -> Result<Value, Rejection> {
        let record = self
            .refund_by_number(out_refund_no)
            .filter(|r| r.request.sub_mchid == sub_mchid)
            .ok_or_else(|| {
                missing("记录不存在 (no refund of this sub_mchid with that out_refund_no)")
            })?;
        to_json(&record.view(ledger.now()))
    }

    /// 垫付退款回补: the sub-merchant pays the platform's advance back, at once, from its
    /// available balance.
    pub fn return_advance(
        &mut self,
        ledger: &mut Ledger,
        request: ReturnAdvanceRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        if let Some(done) = self
            .advance_returns
            .get(&request.refund_id)
            .filter(|r| r.answer.payer_mchid == request.sub_mchid)
        {
            return to_json(&done.answer);
        }
        let record = self
            .records
            .get(&request.refund_id)
            .filter(|r| r.request.sub_mchid == request.sub_mchid)
            .ok_or_else(|| {
                missing("退款单不存在 (no refund of this sub_mchid with that refund_id)")
            })?;
        if record.advance == 0 || record.status(now) != RefundStatus::Success {
            return Err(missing(
                "退款单状态不允许回补 (only a refund the platform advanced, once it succeeded, is \
                 returned)",
            ));
        }
        let (amount, transaction_id) = (record.advance, record.transaction_id.clone());
        let payer = Account::Available(request.sub_mchid.clone());
        let held = ledger.journal.balance(&payer);
        if held < amount {
            return Err(not_enough(&format!(
                "出款方账户余额不足 ({amount} fen to return; the sub-merchant's available balance \
                 holds {held} fen)"
            )));
        }
        let answer = AdvanceReturn {
            refund_id: request.refund_id.clone(),
            advance_return_id: ledger.next_id(IdKind::AdvanceReturn),
            return_amount: amount,
            payer_mchid: request.sub_mchid.clone(),
            payer_account: FundsAccount::Basic,
            payee_mchid: context.platform_mchid.to_owned(),
            payee_account: FundsAccount::Basic,
            result: ProcessingResult::Success,
            success_time: Some(now),
        };
        ledger.journal.record(Entry {
            at: now,
            from: payer,
            to: Account::Available(context.platform_mchid.to_owned()),
            amount,
            movement: Movement::AdvanceReturn,
            transaction_id,
            reference: answer.advance_return_id.clone(),
        });
        let body = to_json(&answer);
        self.advance_returns
            .insert(request.refund_id.clone(), AdvanceReturnRecord { answer });
        body
    }

    /// 查询垫付回补结果.
    pub fn advance_return(&self, sub_mchid: &str, refund_id: &str) -> Result<Value, Rejection> {
        let done = self
            .advance_returns
            .get(refund_id)
            .filter(|r| r.answer.payer_mchid == sub_mchid)
            .ok_or_else(|| missing("回补结果不存在 (no advance return of this refund)"))?;
        to_json(&done.answer)
    }

    /// 发起异常退款: an `ABNORMAL` refund sent again, to the buyer's bank card or the merchant's
    /// bank account; it is `PROCESSING` again, then `SUCCESS`, with a second notification.
    pub fn apply_abnormal_refund(
        &mut self,
        ledger: &mut Ledger,
        request: ApplyAbnormalRefundRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        let delay = context.rules.processing_delay;
        let record = self
            .records
            .get_mut(&request.refund_id)
            .filter(|r| r.request.sub_mchid == request.sub_mchid)
            .ok_or_else(not_found)?;
        if record.request.out_refund_no != request.out_refund_no {
            return Err(param_error(
                "out_refund_no",
                "商户退款单号与退款单不符 (not the out_refund_no of this refund)",
            ));
        }
        if record.status(now) != RefundStatus::Abnormal {
            return Err(invalid(
                "退款状态不是ABNORMAL (only an ABNORMAL refund is sent again)",
            ));
        }
        let received = match request.abnormal_refund_type {
            AbnormalRefundType::UserBankCard => {
                let (Some(bank), Some(account), Some(_name)) = (
                    &request.bank_type,
                    &request.bank_account,
                    &request.real_name,
                ) else {
                    return Err(param_error(
                        "bank_type",
                        "退款到用户银行卡时bank_type、bank_account、real_name必填 (all three are \
                         required for USER_BANK_CARD)",
                    ));
                };
                let digits: String = account.expose().chars().rev().take(4).collect();
                let last: String = digits.chars().rev().collect();
                format!("{}借记卡{last}", bank.as_str())
            }
            _ => "商户结算银行账户".to_owned(),
        };
        record.outcome = RefundStatus::Success;
        record.done_at = later(now, delay);
        record.channel = RefundChannel::OtherBankcard;
        record.user_received_account = received;
        let answer = to_json(&record.view(now));
        let notice = record.notice(context.platform_mchid);
        ledger.notify([notice]);
        answer
    }
}
