//! The simulator's books: one journal of every money movement, whichever family made it (a
//! payment frozen for splitting, a share, a finish that unfreezes the rest, a return, a refund and
//! who funded it, a platform's advance and its return, a subsidy and its return).
//!
//! Each movement takes an amount from one account and gives it to another, so money is never made
//! or lost between families: what a page answers about money (the amount left to split, what is
//! left to refund, a merchant's available balance) is read from here, never kept beside it.

use std::collections::VecDeque;

#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use super::tracked::{Log, TrackedMap};

use chrono::{DateTime, FixedOffset};

/// Where money is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Account {
    /// Outside WeChat Pay: the buyer, who paid and who is refunded.
    Buyer,
    /// A paid transaction's money, frozen for splitting (待分金额), by transaction id.
    Frozen(String),
    /// A merchant's available balance (可用余额), by merchant id: a sub-merchant's, a merchant
    /// receiver's, or the platform's.
    Available(String),
    /// A person's wallet (零钱), by the OpenID the share named.
    Person(String),
    /// Outside WeChat Pay: a merchant's settlement bank card (结算银行卡), where a withdrawal
    /// goes, by merchant id.
    Bank(String),
}

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Movement {
    /// The buyer paid; the money is frozen for splitting.
    Payment,
    /// A share of a split to a receiver other than the sub-merchant itself.
    Share,
    /// Frozen money given to the sub-merchant itself: its own share of a split, a finish
    /// (完结分账), or the rest of a split with `finish: true`.
    Unfreeze,
    /// A receiver's share taken back (分账回退).
    Return,
    /// Money refunded to the buyer (退款).
    Refund,
    /// A refund that closed: its money given back to where it came from.
    RefundClosed,
    /// The sub-merchant paying the platform's advance back (垫付回补).
    AdvanceReturn,
    /// The platform's subsidy (补差) added to a transaction's money to split.
    Subsidy,
    /// A subsidy given back to the platform (补差回退).
    SubsidyReturn,
    /// An after-sales service fee split to the platform (售后服务分账).
    AfterSalesShare,
    /// A sub-merchant's withdrawal (提现) of its available balance to its bank card, taken when
    /// the withdrawal is accepted.
    Withdrawal,
    /// A withdrawal that failed: its money back in the available balance.
    WithdrawalFailed,
    /// A transaction the simulator forgot (replaced, or dropped past its cap): what it had left
    /// frozen, back to the buyer.
    Forgotten,
}

/// One movement: `amount` fen from `from` to `to`, at `at`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Entry {
    /// When it takes effect on the simulator's clock (a split's, when the split is done).
    pub at: DateTime<FixedOffset>,
    /// The account the money leaves.
    pub from: Account,
    /// The account the money reaches.
    pub to: Account,
    /// How much, in fen.
    pub amount: i64,
    /// Why.
    pub movement: Movement,
    /// The transaction it belongs to; for a withdrawal, the withdrawal's id.
    pub transaction_id: String,
    /// The id of what moved it: an order id, a return number, a refund id, a subsidy id.
    pub reference: String,
}

/// Appends to a bounded queue, dropping the oldest entry past `cap`.
pub(crate) fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, cap: usize) {
    if queue.len() >= cap {
        queue.pop_front();
    }
    queue.push_back(item);
}

/// Every movement, and the balances they make.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Journal {
    /// The latest entries, for the bills; at most its cap.
    entries: Log<Entry>,
    /// Each account's balance: what moved in less what moved out, over every entry ever recorded.
    balances: TrackedMap<Account, i64>,
    /// What moved for each transaction, by movement.
    totals: TrackedMap<(String, Movement), i64>,
    /// The latest time among the entries dropped past `cap`: a balance at a time before it
    /// cannot be told.
    dropped_until: Option<DateTime<FixedOffset>>,
}

impl Journal {
    /// An empty journal that keeps the latest `cap` entries (the balances keep everything).
    pub fn new(cap: usize) -> Self {
        Self {
            entries: Log::new(cap),
            balances: TrackedMap::new(),
            totals: TrackedMap::new(),
            dropped_until: None,
        }
    }

    /// Records a movement.
    pub fn record(&mut self, entry: Entry) {
        let amount = entry.amount;
        let from = self.balances.entry(entry.from.clone(), || 0);
        *from = from.saturating_sub(amount);
        let to = self.balances.entry(entry.to.clone(), || 0);
        *to = to.saturating_add(amount);
        let total = (self.totals).entry((entry.transaction_id.clone(), entry.movement), || 0);
        *total = total.saturating_add(amount);
        if let Some(oldest) = self.entries.push(entry) {
            self.dropped_until = Some(self.dropped_until.map_or(oldest.at, |t| t.max(oldest.at)));
        }
    }

    /// An account's balance.
    pub fn balance(&self, account: &Account) -> i64 {
        self.balances.get(account).copied().unwrap_or(0)
    }

    /// An account's balance just before `cut`: today's, less what moved in or out at `cut` or
    /// later. `None` when entries that late were dropped past the journal's cap.
    pub fn balance_at(&self, account: &Account, cut: DateTime<FixedOffset>) -> Option<i64> {
        if self.dropped_until.is_some_and(|dropped| dropped >= cut) {
            return None;
        }
        let mut balance = self.balance(account);
        for entry in self.entries.iter().filter(|e| e.at >= cut) {
            if &entry.to == account {
                balance = balance.saturating_sub(entry.amount);
            }
            if &entry.from == account {
                balance = balance.saturating_add(entry.amount);
            }
        }
        Some(balance)
    }

    /// What moved for a transaction by one kind of movement.
    pub fn total(&self, transaction_id: &str, movement: Movement) -> i64 {
        self.totals
            .get(&(transaction_id.to_owned(), movement))
            .copied()
            .unwrap_or(0)
    }

    /// What is left of a transaction to refund: what was paid, less what was refunded and not
    /// given back by a refund that closed.
    pub fn refundable(&self, transaction_id: &str) -> i64 {
        self.total(transaction_id, Movement::Payment)
            .saturating_sub(self.total(transaction_id, Movement::Refund))
            .saturating_add(self.total(transaction_id, Movement::RefundClosed))
    }

    /// Forgets a transaction (replaced, or dropped past the simulator's cap): what it has left
    /// frozen goes back to the buyer (`Movement::Forgotten`, at `at`), so that the books still
    /// add up, and its totals are cleared. What it gave others stays theirs, and the entries stay
    /// in the bills.
    pub fn forget(&mut self, transaction_id: &str, at: DateTime<FixedOffset>) {
        let frozen = Account::Frozen(transaction_id.to_owned());
        let left = self.balance(&frozen);
        if left != 0 {
            self.record(Entry {
                at,
                from: frozen.clone(),
                to: Account::Buyer,
                amount: left,
                movement: Movement::Forgotten,
                transaction_id: transaction_id.to_owned(),
                reference: transaction_id.to_owned(),
            });
        }
        self.balances.remove(&frozen);
        self.totals.retain(|(id, _), _| id != transaction_id);
    }

    /// Adds what changed since the last save (everything for a full save).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.entries.save("journal.entries", changes)?;
        self.balances.save("journal.balances", changes)?;
        self.totals.save("journal.totals", changes)
    }

    /// The entries, balances and totals the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.entries.load("journal.entries", records)?;
        self.balances.load("journal.balances", records)?;
        self.totals.load("journal.totals", records)
    }

    /// The latest entries, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00").unwrap_or_default()
    }

    fn entry(from: Account, to: Account, amount: i64, movement: Movement) -> Entry {
        Entry {
            at: at(),
            from,
            to,
            amount,
            movement,
            transaction_id: "T".into(),
            reference: "R".into(),
        }
    }

    #[test]
    fn money_moves_between_accounts_and_none_is_made_or_lost() {
        let mut journal = Journal::new(2);
        let frozen = Account::Frozen("T".into());
        let sub = Account::Available("S".into());
        journal.record(entry(
            Account::Buyer,
            frozen.clone(),
            1000,
            Movement::Payment,
        ));
        journal.record(entry(frozen.clone(), sub.clone(), 300, Movement::Unfreeze));
        journal.record(entry(sub.clone(), Account::Buyer, 100, Movement::Refund));
        assert_eq!(journal.balance(&frozen), 700);
        assert_eq!(journal.balance(&sub), 200);
        assert_eq!(journal.balance(&Account::Buyer), -900);
        assert_eq!(journal.refundable("T"), 900);
        journal.record(entry(
            Account::Buyer,
            sub.clone(),
            100,
            Movement::RefundClosed,
        ));
        assert_eq!(journal.refundable("T"), 1000);
        let sum: i64 = [&frozen, &sub, &Account::Buyer]
            .iter()
            .map(|a| journal.balance(a))
            .sum();
        assert_eq!(sum, 0);
        // The bills keep the latest two entries; the balances everything.
        assert_eq!(journal.entries().count(), 2);
        journal.forget("T", at());
        assert_eq!(journal.balance(&frozen), 0);
        // What was left frozen went back: the books still add up.
        let sum: i64 = [&frozen, &sub, &Account::Buyer]
            .iter()
            .map(|a| journal.balance(a))
            .sum();
        assert_eq!(sum, 0);
        assert_eq!(journal.total("T", Movement::Payment), 0);
    }
}
