//! The balances and withdrawals family (余额/提现) on the simulator. Every amount is read from the
//! journal the other families write: a sub-merchant's available balance is what its shares,
//! unfreezes and returns left it, less its refunds, returns and withdrawals.
//!
//! Where the pages leave a choice, the simulator makes one (each is in the README's table): only
//! the basic account (BASIC) exists, another is `INVALID_REQUEST` (账户类型未开通); the pending
//! balance (不可用余额) is the money still frozen for splitting in the sub-merchant's
//! transactions; a withdrawal's money leaves the available balance when it is accepted, comes back
//! if it fails, and it is `CREATE_SUCCESS` until the processing time has passed, then `SUCCESS`
//! (or `FAIL` when a fault asks for it).

use std::collections::VecDeque;

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::Value;

use super::checks::{Rejection, invalid, not_enough, param_error, rejection};
use super::journal::{Account, Entry, Movement};
use super::ledger::{Bounded, Context, IdKind, Ledger, beijing_day, later, to_json};
#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use crate::fund::{
    AccountType, Balance, CreateWithdrawRequest, CreateWithdrawResponse, EndDayBalance,
    WithdrawStatus, Withdrawal,
};

/// A withdrawal the simulator took.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct WithdrawalRecord {
    request: CreateWithdrawRequest,
    withdraw_id: String,
    accepted_at: DateTime<FixedOffset>,
    done_at: DateTime<FixedOffset>,
    /// `SUCCESS`, or `FAIL` when a fault asked for it.
    outcome: WithdrawStatus,
    /// Whether a failure gave the money back (once).
    settled: bool,
}

impl WithdrawalRecord {
    fn status(&self, now: DateTime<FixedOffset>) -> WithdrawStatus {
        if now < self.done_at {
            WithdrawStatus::CreateSuccess
        } else {
            self.outcome.clone()
        }
    }

    fn view(&self, now: DateTime<FixedOffset>, sp_mchid: &str) -> Withdrawal {
        let status = self.status(now);
        let failed = status == WithdrawStatus::Fail;
        Withdrawal {
            sub_mchid: self.request.sub_mchid.clone(),
            sp_mchid: sp_mchid.to_owned(),
            status,
            withdraw_id: self.withdraw_id.clone(),
            out_request_no: self.request.out_request_no.clone(),
            amount: self.request.amount,
            create_time: self.accepted_at,
            update_time: if now < self.done_at {
                self.accepted_at
            } else {
                self.done_at
            },
            reason: failed
                .then(|| "模拟的提现失败 (a failure the simulator was told to give)".to_owned()),
            remark: self.request.remark.clone(),
            bank_memo: self.request.bank_memo.clone(),
            account_type: self
                .request
                .account_type
                .clone()
                .unwrap_or(AccountType::Basic),
            account_number: "1178".to_owned(),
            account_bank: "招商银行".to_owned(),
            bank_name: None,
        }
    }
}

/// The family's state: withdrawals by id, and the outcomes faults asked for.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Fund {
    withdrawals: Bounded<WithdrawalRecord>,
    /// The next withdrawals' outcomes other than `SUCCESS`, one per withdrawal.
    /// Not kept by `--data`: like queued faults, it is for the run that asked for it.
    #[serde(skip)]
    pub(crate) failing: VecDeque<WithdrawStatus>,
}

/// Refuses any account but the basic one.
fn basic_only(account: Option<&AccountType>) -> Result<AccountType, Rejection> {
    match account {
        None | Some(AccountType::Basic) => Ok(AccountType::Basic),
        Some(other) => Err(invalid(&format!(
            "账户类型未开通 (the simulator has only the BASIC account, not {other})"
        ))),
    }
}

impl Fund {
    /// Adds what changed since the last save (everything for a full save).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.withdrawals.save("fund.withdrawals", changes)
    }

    /// The withdrawals the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.withdrawals.load("fund.withdrawals", records)
    }

    pub(crate) fn new(max_kept: usize) -> Self {
        Self {
            withdrawals: Bounded::new(max_kept),
            failing: VecDeque::new(),
        }
    }

    /// A sub-merchant's available balance (its own account) and pending balance (the money still
    /// frozen for splitting in its transactions), each read by `read` (`None`: not known).
    fn available_and_pending(
        ledger: &Ledger,
        sub_mchid: &str,
        read: impl Fn(&Account) -> Option<i64>,
    ) -> Option<(i64, i64)> {
        let available = read(&Account::Available(sub_mchid.to_owned()))?;
        let pending = ledger
            .transactions
            .values()
            .filter(|t| t.sub_mchid == sub_mchid)
            .map(|t| read(&Account::Frozen(t.transaction_id.clone())))
            .try_fold(0i64, |sum, next| next.map(|n| sum.saturating_add(n)))?;
        Some((available, pending))
    }

    /// 查询二级商户账户实时余额.
    pub fn balance(
        ledger: &Ledger,
        sub_mchid: &str,
        account: Option<&AccountType>,
    ) -> Result<Value, Rejection> {
        let account_type = basic_only(account)?;
        let (available, pending) =
            Self::available_and_pending(ledger, sub_mchid, |a| Some(ledger.journal.balance(a)))
                .unwrap_or_default();
        to_json(&Balance {
            sub_mchid: sub_mchid.to_owned(),
            available_amount: available,
            pending_amount: Some(pending),
            account_type: Some(account_type),
        })
    }

    /// 查询二级商户账户日终余额: the journal cut at the end of `date` (24:00 Beijing time).
    pub fn end_day_balance(
        ledger: &Ledger,
        sub_mchid: &str,
        date: &str,
        account: Option<&AccountType>,
    ) -> Result<Value, Rejection> {
        let account_type = basic_only(account)?;
        let (_, cut) =
            beijing_day(date).ok_or_else(|| param_error("date", "date 的格式应为 YYYY-MM-DD"))?;
        let now = ledger.now();
        if cut > now {
            return Err(invalid("账户在指定日期不存在 (that day has not ended yet)"));
        }
        if now - cut > Duration::days(90) {
            return Err(invalid("账户在指定日期不存在 (only the last 90 days)"));
        }
        let (available, pending) =
            Self::available_and_pending(ledger, sub_mchid, |a| ledger.journal.balance_at(a, cut))
                .ok_or_else(|| {
                invalid("账户在指定日期不存在 (the simulator no longer keeps that day)")
            })?;
        to_json(&EndDayBalance {
            sub_mchid: sub_mchid.to_owned(),
            available_amount: available,
            pending_amount: Some(pending),
            account_type: Some(account_type),
        })
    }

    /// Every withdrawal, as 查询二级商户提现状态 answers each now, by `withdraw_id`.
    pub(crate) fn all(&self, ledger: &Ledger, sp_mchid: &str) -> Vec<Withdrawal> {
        let now = ledger.now();
        let mut all: Vec<Withdrawal> = (self.withdrawals.values())
            .map(|record| record.view(now, sp_mchid))
            .collect();
        all.sort_by(|a, b| a.withdraw_id.cmp(&b.withdraw_id));
        all
    }

    /// Gives back the money of withdrawals that failed by now.
    pub(crate) fn settle(&mut self, ledger: &mut Ledger) {
        let now = ledger.now();
        let due: Vec<String> = (self.withdrawals.keys())
            .filter(|key| {
                self.withdrawals.get(key).is_some_and(|record| {
                    !record.settled
                        && now >= record.done_at
                        && record.outcome == WithdrawStatus::Fail
                })
            })
            .cloned()
            .collect();
        for key in due {
            // Lent mutably only when it changes: `--data` saves what was lent.
            let Some(record) = self.withdrawals.get_mut(&key) else {
                continue;
            };
            record.settled = true;
            ledger.journal.record(Entry {
                at: record.done_at,
                from: Account::Bank(record.request.sub_mchid.clone()),
                to: Account::Available(record.request.sub_mchid.clone()),
                amount: record.request.amount,
                movement: Movement::WithdrawalFailed,
                transaction_id: record.withdraw_id.clone(),
                reference: record.request.out_request_no.clone(),
            });
        }
    }

    /// 二级商户余额提现.
    pub fn withdraw(
        &mut self,
        ledger: &mut Ledger,
        request: CreateWithdrawRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        basic_only(request.account_type.as_ref())?;
        if let Some(earlier) = self.by_number(&request.sub_mchid, &request.out_request_no) {
            // The same number again: the same withdrawal, if it is the same request.
            if earlier.request != request {
                return Err(param_error(
                    "out_request_no",
                    "同一商户提现单号再次提交时参数与首次不一致",
                ));
            }
            return to_json(&CreateWithdrawResponse {
                sub_mchid: earlier.request.sub_mchid.clone(),
                withdraw_id: earlier.withdraw_id.clone(),
                out_request_no: earlier.request.out_request_no.clone(),
            });
        }
        if request.amount <= 0 {
            return Err(param_error("amount", "提现金额应大于 0"));
        }
        let available = ledger
            .journal
            .balance(&Account::Available(request.sub_mchid.clone()));
        if available < request.amount {
            return Err(not_enough(&format!(
                "可用余额不足 (available {available} fen, asked {} fen)",
                request.amount
            )));
        }
        let now = ledger.now();
        let withdraw_id = ledger.next_id(IdKind::Withdrawal);
        ledger.journal.record(Entry {
            at: now,
            from: Account::Available(request.sub_mchid.clone()),
            to: Account::Bank(request.sub_mchid.clone()),
            amount: request.amount,
            movement: Movement::Withdrawal,
            transaction_id: withdraw_id.clone(),
            reference: request.out_request_no.clone(),
        });
        let answer = CreateWithdrawResponse {
            sub_mchid: request.sub_mchid.clone(),
            withdraw_id: withdraw_id.clone(),
            out_request_no: request.out_request_no.clone(),
        };
        let outcome = self.failing.pop_front().unwrap_or(WithdrawStatus::Success);
        let record = WithdrawalRecord {
            request,
            withdraw_id: withdraw_id.clone(),
            accepted_at: now,
            done_at: later(now, context.rules.processing_delay),
            outcome,
            settled: false,
        };
        self.withdrawals.insert(withdraw_id, record);
        to_json(&answer)
    }

    fn by_number(&self, sub_mchid: &str, out_request_no: &str) -> Option<&WithdrawalRecord> {
        self.withdrawals.values().find(|w| {
            w.request.sub_mchid == sub_mchid && w.request.out_request_no == out_request_no
        })
    }

    /// 查询二级商户提现状态, by WeChat Pay's withdrawal id.
    pub fn by_id(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        withdraw_id: &str,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let record = self
            .withdrawals
            .get(withdraw_id)
            .filter(|w| w.request.sub_mchid == sub_mchid)
            .ok_or_else(no_withdrawal)?;
        to_json(&record.view(ledger.now(), context.platform_mchid))
    }

    /// 查询二级商户提现状态, by the platform's number.
    pub fn by_out_request_no(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        out_request_no: &str,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let record = self
            .by_number(sub_mchid, out_request_no)
            .ok_or_else(no_withdrawal)?;
        to_json(&record.view(ledger.now(), context.platform_mchid))
    }
}

/// The withdrawal pages' 404.
fn no_withdrawal() -> Rejection {
    rejection(
        http::StatusCode::NOT_FOUND,
        "ORDER_NOT_EXIST",
        "提现单不存在",
        None,
    )
}
