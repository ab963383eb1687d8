//! The profit-sharing family (分账) on the simulator: receivers, splits and finishes, returns, the
//! amount left to split, and the notifications (分账动账通知) of shares and returns. Their money
//! moves in the books' journal (see [`Ledger`]), as every family's does. (After-sales splits, of
//! the same family, are in `after_sales.rs`.)

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, FixedOffset};
use http::StatusCode;
use serde_json::Value;

use super::checks::{Rejection, invalid, not_enough, not_found, param_error, rejection};
use super::journal::{Account, Entry, Movement};
use super::ledger::{Bounded, Context, IdKind, Ledger, Notice, later, to_json};
#[cfg(feature = "simulator-data")]
use super::tracked::{Changes, Records};
use crate::EventType;
use crate::profit_sharing::{
    AddReceiverRequest, AddReceiverResponse, CreateOrderRequest, CreateOrderResponse,
    CreateOrderResponseReceiver, CreateReturnOrderRequest, CreateReturnOrderResponse,
    DeleteReceiverRequest, DeleteReceiverResponse, FinishOrderRequest, FinishOrderResponse,
    OrderReference, OrderStatus, ProfitSharingNotification, ProfitSharingNotificationReceiver,
    ProfitSharingOrder, QueryOrderAmountsResponse, Receiver, ReceiverResult, ReceiverType,
    ReturnFailReason, ReturnOrder, ReturnResult,
};

/// The profit-sharing family's state: the platform's receivers, the splits and finishes, the
/// returns.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct ProfitSharing {
    receivers: Bounded<AddedReceiver>,
    orders: Bounded<Order>,
    /// `order_id` → `out_order_no`: an index of `orders`, made again when they are loaded.
    #[serde(skip)]
    order_ids: HashMap<String, String>,
    returns: Bounded<Return>,
    /// Reasons the next returns fail with, first first.
    /// Not kept by `--data`: like queued faults, it is for the run that asked for it.
    #[serde(skip)]
    failing_returns: VecDeque<ReturnFailReason>,
}

/// A receiver added with 添加分账接收方.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct AddedReceiver {
    /// The name given when it was added: a split that names the receiver must give the same.
    name: Option<String>,
}

/// A split (请求分账) or a finish (完结分账), under its `out_order_no`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Order {
    kind: OrderKind,
    sub_mchid: String,
    transaction_id: String,
    order_id: String,
    accepted_at: DateTime<FixedOffset>,
    done_at: DateTime<FixedOffset>,
    /// The returns taken from this order, by `out_return_no`.
    returns: Vec<String>,
}

impl Order {
    /// The notifications (分账动账通知) of a split: one per receiver's share, due when it is done.
    /// A finish sends none.
    fn notices(&self, sp_mchid: &str) -> Vec<Notice> {
        let OrderKind::Split { request, shares } = &self.kind else {
            return Vec::new();
        };
        shares
            .iter()
            .map(|share| {
                notice(
                    self.done_at,
                    EventType::ProfitsharingSuccess,
                    &ProfitSharingNotification {
                        sp_mchid: sp_mchid.to_owned(),
                        sub_mchid: self.sub_mchid.clone(),
                        transaction_id: self.transaction_id.clone(),
                        order_id: self.order_id.clone(),
                        out_order_no: request.out_order_no.clone(),
                        receiver: ProfitSharingNotificationReceiver {
                            receiver_type: share.receiver_type.clone(),
                            account: share.account.clone(),
                            amount: share.amount,
                            description: share.description.clone(),
                        },
                        success_time: self.done_at,
                    },
                )
            })
            .collect()
    }

    /// The merchant's number, as its request gave it.
    fn out_order_no(&self) -> &str {
        match &self.kind {
            OrderKind::Split { request, .. } => &request.out_order_no,
            OrderKind::Finish { request, .. } => &request.out_order_no,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum OrderKind {
    Split {
        request: Box<CreateOrderRequest>,
        shares: Vec<Share>,
    },
    Finish {
        request: FinishOrderRequest,
        amount: i64,
    },
}

/// One receiver's part of a split.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Share {
    receiver_type: ReceiverType,
    account: String,
    amount: i64,
    description: String,
    detail_id: String,
}

/// A return (请求分账回退), under its `out_return_no`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Return {
    request: CreateReturnOrderRequest,
    order_id: String,
    out_order_no: String,
    transaction_id: String,
    return_no: String,
    accepted_at: DateTime<FixedOffset>,
    done_at: DateTime<FixedOffset>,
    /// Why it fails when it is done; `None`: it succeeds.
    fails_with: Option<ReturnFailReason>,
}

impl Return {
    /// The notification (回退通知) of a return that will succeed, due when it is done: the
    /// return's own numbers, the money taken back from the receiver.
    fn notice(&self, sp_mchid: &str) -> Option<Notice> {
        if self.fails_with.is_some() {
            return None;
        }
        Some(notice(
            self.done_at,
            EventType::ProfitsharingReturn,
            &ProfitSharingNotification {
                sp_mchid: sp_mchid.to_owned(),
                sub_mchid: self.request.sub_mchid.clone(),
                transaction_id: self.transaction_id.clone(),
                order_id: self.return_no.clone(),
                out_order_no: self.request.out_return_no.clone(),
                receiver: ProfitSharingNotificationReceiver {
                    receiver_type: ReceiverType::MerchantId,
                    account: self.request.return_mchid.clone(),
                    amount: self.request.amount,
                    description: self.request.description.clone(),
                },
                success_time: self.done_at,
            },
        ))
    }

    fn result(&self, now: DateTime<FixedOffset>) -> ReturnResult {
        match (now >= self.done_at, &self.fails_with) {
            (false, _) => ReturnResult::Processing,
            (true, None) => ReturnResult::Success,
            (true, Some(_)) => ReturnResult::Fail,
        }
    }

    fn view(&self, now: DateTime<FixedOffset>) -> ReturnOrder {
        let result = self.result(now);
        let done = result != ReturnResult::Processing;
        ReturnOrder {
            amount: self.request.amount,
            fail_reason: self.fails_with.clone().filter(|_| done),
            finish_time: done.then_some(self.done_at),
            order_id: self.order_id.clone(),
            out_order_no: self.out_order_no.clone(),
            out_return_no: self.request.out_return_no.clone(),
            result,
            return_mchid: self.request.return_mchid.clone(),
            return_no: self.return_no.clone(),
            sub_mchid: self.request.sub_mchid.clone(),
            transaction_id: Some(self.transaction_id.clone()),
        }
    }
}

/// A 分账动账通知: a share (`PROFITSHARING.SUCCESS`, 分账) or a return (`PROFITSHARING.RETURN`,
/// 分账回退).
fn notice(
    due: DateTime<FixedOffset>,
    event_type: EventType,
    resource: &ProfitSharingNotification,
) -> Notice {
    let summary = match event_type {
        EventType::ProfitsharingReturn => "分账回退",
        _ => "分账",
    };
    Notice {
        due,
        kind: &crate::profit_sharing::PROFIT_SHARING_NOTIFICATION,
        event_type,
        summary: summary.to_owned(),
        resource: serde_json::to_value(resource).unwrap_or(Value::Null),
        url: None,
    }
}

fn receiver_key(receiver_type: &ReceiverType, account: &str) -> String {
    format!("{}\n{account}", receiver_type.as_str())
}

impl ProfitSharing {
    /// No receiver, split or return yet; at most `max_kept` of each kept.
    pub(crate) fn new(max_kept: usize) -> Self {
        Self {
            receivers: Bounded::new(max_kept),
            orders: Bounded::new(max_kept),
            order_ids: HashMap::new(),
            returns: Bounded::new(max_kept),
            failing_returns: VecDeque::new(),
        }
    }

    /// A split or a finish accepted at `now`, done after the processing delay, with a new order
    /// id.
    fn new_order(
        ledger: &mut Ledger,
        sub_mchid: &str,
        transaction_id: &str,
        kind: OrderKind,
        now: DateTime<FixedOffset>,
        context: &Context<'_>,
    ) -> Order {
        Order {
            sub_mchid: sub_mchid.to_owned(),
            transaction_id: transaction_id.to_owned(),
            order_id: ledger.next_id(IdKind::Order),
            accepted_at: now,
            done_at: later(now, context.rules.processing_delay),
            returns: Vec::new(),
            kind,
        }
    }

    /// Makes the next return fail with `reason` when it is done.
    pub fn fail_next_return(&mut self, reason: ReturnFailReason) {
        self.failing_returns.push_back(reason);
    }

    /// How many orders (splits and finishes) it keeps now.
    pub fn orders_kept(&self) -> usize {
        self.orders.len()
    }

    /// Adds what changed since the last save (everything for a full save).
    #[cfg(feature = "simulator-data")]
    pub(crate) fn save(&mut self, changes: &mut Changes) -> Result<(), String> {
        self.receivers.save("profit_sharing.receivers", changes)?;
        self.orders.save("profit_sharing.orders", changes)?;
        self.returns.save("profit_sharing.returns", changes)
    }

    /// The receivers, orders and returns the file holds.
    #[cfg(feature = "simulator-data")]
    pub(crate) fn load(&mut self, records: &mut Records) -> Result<(), String> {
        self.receivers.load("profit_sharing.receivers", records)?;
        self.orders.load("profit_sharing.orders", records)?;
        self.returns.load("profit_sharing.returns", records)?;
        self.order_ids = (self.orders.keys())
            .filter_map(|key| Some((self.orders.get(key)?.order_id.clone(), key.clone())))
            .collect();
        Ok(())
    }

    fn insert_order(&mut self, order: Order) {
        let out_order_no = order.out_order_no().to_owned();
        self.order_ids
            .insert(order.order_id.clone(), out_order_no.clone());
        for dropped in self.orders.insert(out_order_no, order) {
            self.order_ids.remove(&dropped.order_id);
        }
    }

    /// 添加分账接收方: adds or updates a receiver.
    pub fn add_receiver(&mut self, request: AddReceiverRequest) -> Result<Value, Rejection> {
        check_receiver_type(&request.receiver_type, "type")?;
        if request.receiver_type != ReceiverType::MerchantId && request.appid.is_none() {
            return Err(param_error(
                "appid",
                "接收方类型为个人时必须传入appid (appid is required for a PERSONAL_OPENID receiver)",
            ));
        }
        if request.receiver_type == ReceiverType::MerchantId && request.name.is_none() {
            return Err(param_error(
                "name",
                "接收方类型为MERCHANT_ID时必须填写商户全称 (name is required for a MERCHANT_ID receiver)",
            ));
        }
        self.receivers.insert(
            receiver_key(&request.receiver_type, &request.account),
            AddedReceiver { name: request.name },
        );
        to_json(&AddReceiverResponse {
            account: request.account,
            receiver_type: request.receiver_type,
        })
    }

    /// 删除分账接收方: removes a receiver added before.
    pub fn delete_receiver(&mut self, request: DeleteReceiverRequest) -> Result<Value, Rejection> {
        self.receivers
            .remove(&receiver_key(&request.receiver_type, &request.account))
            .ok_or_else(|| {
                invalid(&format!(
                    "分账接收方不存在 (receiver {} {} was not added)",
                    request.receiver_type.as_str(),
                    request.account
                ))
            })?;
        to_json(&DeleteReceiverResponse {
            account: request.account,
            receiver_type: request.receiver_type,
        })
    }

    /// Checks a split's receivers against the pages' rules; returns what they add up to, and the
    /// part of it that goes to others than the sub-merchant itself (what the ratio limits).
    fn check_receivers(
        &self,
        request: &CreateOrderRequest,
        context: &Context<'_>,
    ) -> Result<(i64, i64), Rejection> {
        let mut total: i64 = 0;
        let mut shared: i64 = 0;
        for (index, receiver) in request.receivers.iter().enumerate() {
            let at = |field: &str| format!("receivers[{index}].{field}");
            check_receiver_type(&receiver.receiver_type, &at("type"))?;
            if receiver.amount <= 0 {
                return Err(param_error(
                    &at("amount"),
                    "分账金额必须大于0 (the amount must be at least 1 fen)",
                ));
            }
            if receiver.receiver_type != ReceiverType::MerchantId && request.appid.is_none() {
                return Err(param_error(
                    "appid",
                    "接收方中有个人类型时必须传入appid (appid is required with a PERSONAL_OPENID receiver)",
                ));
            }
            let merchant = receiver.receiver_type == ReceiverType::MerchantId;
            let is_self = merchant && receiver.receiver_account == request.sub_mchid;
            let is_platform = merchant && receiver.receiver_account == context.platform_mchid;
            if request.finish && !is_platform {
                return Err(invalid(&format!(
                    "完结分账时接收方只能是电商平台商户 (with finish: true the only receiver may be \
                     the platform, MERCHANT_ID {}; {} is not)",
                    context.platform_mchid,
                    at("receiver_account")
                )));
            }
            if !is_self && !is_platform {
                let added = self
                    .receivers
                    .get(&receiver_key(
                        &receiver.receiver_type,
                        &receiver.receiver_account,
                    ))
                    .ok_or_else(|| {
                        invalid(&format!(
                            "分账接收方未添加 (receiver {} {} was not added with add_receiver)",
                            receiver.receiver_type.as_str(),
                            receiver.receiver_account
                        ))
                    })?;
                if let (Some(given), Some(known)) = (&receiver.receiver_name, &added.name)
                    && given.expose() != known
                {
                    return Err(invalid(&format!(
                        "分账接收方姓名不匹配 ({} is not the name receiver {} was added with)",
                        at("receiver_name"),
                        receiver.receiver_account
                    )));
                }
            }
            total = total
                .checked_add(receiver.amount)
                .ok_or_else(|| param_error(&at("amount"), "分账金额过大 (amounts overflow)"))?;
            if !is_self {
                shared = shared.saturating_add(receiver.amount);
            }
        }
        Ok((total, shared))
    }

    /// 请求分账.
    pub fn create_order(
        &mut self,
        ledger: &mut Ledger,
        request: CreateOrderRequest,
        taken_by_fixture: bool,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        if let Some(order) = self.orders.get(&request.out_order_no) {
            return match &order.kind {
                OrderKind::Split { request: first, .. } if **first == request => {
                    to_json(&create_answer(order, now))
                }
                _ => Err(reused(&request.out_order_no)),
            };
        }
        if taken_by_fixture {
            return Err(reused(&request.out_order_no));
        }
        let transaction = ledger.paid_by(&request.sub_mchid, &request.transaction_id)?;
        let (total, shared) = self.check_receivers(&request, context)?;
        if transaction.splits >= context.rules.max_splits_per_transaction {
            return Err(invalid(&format!(
                "对同一笔订单最多能发起{}次分账请求 (transaction {} took its {} split requests)",
                context.rules.max_splits_per_transaction,
                request.transaction_id,
                context.rules.max_splits_per_transaction
            )));
        }
        let unsplit = ledger.unsplit(&request.transaction_id);
        let shared_before = ledger
            .journal
            .total(&request.transaction_id, Movement::Share);
        if total > unsplit {
            return Err(not_enough(&format!(
                "可分金额不足 (the receivers add up to {total} fen; {unsplit} fen of transaction {} \
                 are left to split)",
                request.transaction_id
            )));
        }
        let limit = context.rules.max_shared(transaction.amount);
        if shared_before.saturating_add(shared) > limit {
            return Err(rejection(
                StatusCode::FORBIDDEN,
                "RULE_LIMIT",
                &format!(
                    "超出最大分账比例 ({} % of {} fen is {limit} fen; {shared_before} fen were shared \
                     before and this request shares {shared} fen)",
                    context.rules.max_ratio_percent, transaction.amount
                ),
                None,
            ));
        }
        let shares = request
            .receivers
            .iter()
            .map(|r| Share {
                receiver_type: r.receiver_type.clone(),
                account: r.receiver_account.clone(),
                amount: r.amount,
                description: r.description.clone(),
                detail_id: ledger.next_id(IdKind::Detail),
            })
            .collect();
        if let Some(transaction) = ledger.transactions.get_mut(&request.transaction_id) {
            transaction.splits += 1;
        }
        let (sub_mchid, transaction_id) =
            (request.sub_mchid.clone(), request.transaction_id.clone());
        let finish = request.finish;
        let kind = OrderKind::Split {
            request: Box::new(request),
            shares,
        };
        let order = Self::new_order(ledger, &sub_mchid, &transaction_id, kind, now, context);
        // The money moves now (it is no longer free to split), as of when the split is done.
        if let OrderKind::Split { shares, .. } = &order.kind {
            for share in shares {
                let (to, movement) = match share.receiver_type {
                    ReceiverType::MerchantId if share.account == sub_mchid => {
                        (Account::Available(sub_mchid.clone()), Movement::Unfreeze)
                    }
                    ReceiverType::MerchantId => {
                        (Account::Available(share.account.clone()), Movement::Share)
                    }
                    _ => (Account::Person(share.account.clone()), Movement::Share),
                };
                ledger.journal.record(Entry {
                    at: order.done_at,
                    from: Account::Frozen(transaction_id.clone()),
                    to,
                    amount: share.amount,
                    movement,
                    transaction_id: transaction_id.clone(),
                    reference: order.order_id.clone(),
                });
            }
        }
        if finish {
            Self::unfreeze_rest(
                ledger,
                &transaction_id,
                &sub_mchid,
                &order.order_id,
                order.done_at,
            );
        }
        ledger.notify(order.notices(context.platform_mchid));
        let answer = to_json(&create_answer(&order, now));
        self.insert_order(order);
        answer
    }

    /// 完结分账.
    pub fn finish_order(
        &mut self,
        ledger: &mut Ledger,
        request: FinishOrderRequest,
        taken_by_fixture: bool,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        if let Some(order) = self.orders.get(&request.out_order_no) {
            return match &order.kind {
                OrderKind::Finish { request: first, .. } if *first == request => {
                    to_json(&finish_answer(order))
                }
                _ => Err(reused(&request.out_order_no)),
            };
        }
        if taken_by_fixture {
            return Err(reused(&request.out_order_no));
        }
        ledger.paid_by(&request.sub_mchid, &request.transaction_id)?;
        let amount = ledger.unsplit(&request.transaction_id);
        if amount <= 0 {
            return Err(not_enough(&format!(
                "待分金额为0 (transaction {} has nothing left to unfreeze)",
                request.transaction_id
            )));
        }
        let (sub_mchid, transaction_id) =
            (request.sub_mchid.clone(), request.transaction_id.clone());
        let kind = OrderKind::Finish { request, amount };
        let order = Self::new_order(
            ledger,
            &sub_mchid,
            &transaction_id,
            kind,
            ledger.now(),
            context,
        );
        Self::unfreeze_rest(
            ledger,
            &transaction_id,
            &sub_mchid,
            &order.order_id,
            order.done_at,
        );
        let answer = to_json(&finish_answer(&order));
        self.insert_order(order);
        answer
    }

    /// Gives what is left frozen of a transaction to its sub-merchant (a finish, or the rest of a
    /// split with `finish: true`).
    fn unfreeze_rest(
        ledger: &mut Ledger,
        transaction_id: &str,
        sub_mchid: &str,
        reference: &str,
        at: DateTime<FixedOffset>,
    ) {
        let rest = ledger.unsplit(transaction_id);
        if rest > 0 {
            ledger.journal.record(Entry {
                at,
                from: Account::Frozen(transaction_id.to_owned()),
                to: Account::Available(sub_mchid.to_owned()),
                amount: rest,
                movement: Movement::Unfreeze,
                transaction_id: transaction_id.to_owned(),
                reference: reference.to_owned(),
            });
        }
    }

    /// 查询订单剩余待分金额.
    pub fn amounts(ledger: &Ledger, transaction_id: &str) -> Result<Value, Rejection> {
        ledger
            .transactions
            .get(transaction_id)
            .ok_or_else(not_found)?;
        to_json(&QueryOrderAmountsResponse {
            transaction_id: transaction_id.to_owned(),
            unsplit_amount: ledger.unsplit(transaction_id),
        })
    }

    /// Every split and finish played (not the fixtures'), as 查询分账结果 answers each, by
    /// `order_id`.
    pub fn orders(&self, ledger: &Ledger) -> Vec<ProfitSharingOrder> {
        let now = ledger.now();
        let mut orders: Vec<ProfitSharingOrder> =
            self.orders.values().map(|o| order_view(o, now)).collect();
        orders.sort_by(|a, b| a.order_id.cmp(&b.order_id));
        orders
    }

    /// Every return played (not the fixtures'), as 查询分账回退结果 answers each, by
    /// `return_no`.
    pub fn returns(&self, ledger: &Ledger) -> Vec<ReturnOrder> {
        let now = ledger.now();
        let mut returns: Vec<ReturnOrder> = self.returns.values().map(|r| r.view(now)).collect();
        returns.sort_by(|a, b| a.return_no.cmp(&b.return_no));
        returns
    }

    /// 查询分账结果, or `None` when there is no such order.
    pub fn order(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        transaction_id: &str,
        out_order_no: &str,
    ) -> Option<ProfitSharingOrder> {
        self.orders
            .get(out_order_no)
            .filter(|o| o.sub_mchid == sub_mchid && o.transaction_id == transaction_id)
            .map(|order| order_view(order, ledger.now()))
    }

    /// 请求分账回退.
    pub fn create_return_order(
        &mut self,
        ledger: &mut Ledger,
        request: CreateReturnOrderRequest,
        context: &Context<'_>,
    ) -> Result<Value, Rejection> {
        let now = ledger.now();
        if let Some(earlier) = self.returns.get(&request.out_return_no) {
            return match earlier.request == request {
                true => to_json(&return_answer(earlier, now)),
                false => Err(reused(&request.out_return_no)),
            };
        }
        let out_order_no = match &request.order {
            OrderReference::OrderId(id) => self.order_ids.get(id).cloned(),
            OrderReference::OutOrderNo(no) => Some(no.clone()),
        };
        let order = out_order_no
            .as_deref()
            .and_then(|no| self.orders.get(no))
            .filter(|o| o.sub_mchid == request.sub_mchid)
            .ok_or_else(|| {
                invalid("原分账单不存在 (no split of this sub_mchid with that order_id or out_order_no)")
            })?;
        let OrderKind::Split { shares, .. } = &order.kind else {
            return Err(invalid(
                "完结分账单不能回退 (a finish order moved no money to a receiver)",
            ));
        };
        if let Some(id) = &request.transaction_id
            && *id != order.transaction_id
        {
            return Err(invalid(&format!(
                "微信订单号与原分账单不一致 (the split was of transaction {})",
                order.transaction_id
            )));
        }
        let received: i64 = shares
            .iter()
            .filter(|s| {
                s.receiver_type == ReceiverType::MerchantId && s.account == request.return_mchid
            })
            .map(|s| s.amount)
            .sum();
        if received == 0 {
            return Err(invalid(&format!(
                "回退方不存在 ({} is not a MERCHANT_ID receiver of this split)",
                request.return_mchid
            )));
        }
        if now < order.done_at {
            return Err(invalid(
                "分账处理中, 暂不能回退 (the split is still PROCESSING: its receivers have received nothing yet)",
            ));
        }
        let returned: i64 = order
            .returns
            .iter()
            .filter_map(|no| self.returns.get(no))
            .filter(|r| r.request.return_mchid == request.return_mchid)
            .filter(|r| r.result(now) != ReturnResult::Fail)
            .map(|r| r.request.amount)
            .sum();
        let returnable = received - returned;
        if request.amount <= 0 {
            return Err(param_error(
                "amount",
                "回退金额必须大于0 (the amount must be at least 1 fen)",
            ));
        }
        if request.amount > returnable {
            return Err(not_enough(&format!(
                "可回退金额不足 ({} received {received} fen in this split and {returned} fen were \
                 returned or are being returned: {returnable} fen are left)",
                request.return_mchid
            )));
        }
        let (order_id, transaction_id) = (order.order_id.clone(), order.transaction_id.clone());
        let out_order_no = out_order_no.unwrap_or_default();
        let out_return_no = request.out_return_no.clone();
        let entry = Return {
            order_id,
            out_order_no: out_order_no.clone(),
            transaction_id,
            return_no: ledger.next_id(IdKind::Return),
            accepted_at: now,
            done_at: later(now, context.rules.processing_delay),
            fails_with: self.failing_returns.pop_front(),
            request,
        };
        let answer = to_json(&return_answer(&entry, now));
        ledger.notify(entry.notice(context.platform_mchid));
        if entry.fails_with.is_none() {
            ledger.journal.record(Entry {
                at: entry.done_at,
                from: Account::Available(entry.request.return_mchid.clone()),
                to: Account::Available(entry.request.sub_mchid.clone()),
                amount: entry.request.amount,
                movement: Movement::Return,
                transaction_id: entry.transaction_id.clone(),
                reference: entry.return_no.clone(),
            });
        }
        if let Some(order) = self.orders.get_mut(&out_order_no) {
            order.returns.push(out_return_no.clone());
        }
        self.returns.insert(out_return_no, entry);
        answer
    }

    /// 查询分账回退结果, or `None` when there is no such return.
    pub fn return_order(
        &self,
        ledger: &Ledger,
        sub_mchid: &str,
        out_return_no: &str,
        order: &OrderReference,
    ) -> Option<ReturnOrder> {
        self.returns
            .get(out_return_no)
            .filter(|r| {
                r.request.sub_mchid == sub_mchid
                    && match order {
                        OrderReference::OrderId(id) => r.order_id == *id,
                        OrderReference::OutOrderNo(no) => r.out_order_no == *no,
                    }
            })
            .map(|r| r.view(ledger.now()))
    }
}

fn create_answer(order: &Order, now: DateTime<FixedOffset>) -> CreateOrderResponse {
    let done = now >= order.done_at;
    let shares: &[Share] = match &order.kind {
        OrderKind::Split { shares, .. } => shares,
        OrderKind::Finish { .. } => &[],
    };
    CreateOrderResponse {
        order_id: order.order_id.clone(),
        out_order_no: order.out_order_no().to_owned(),
        receivers: shares
            .iter()
            .map(|share| CreateOrderResponseReceiver {
                abnormal_status: None,
                amount: share.amount,
                description: share.description.clone(),
                detail_id: Some(share.detail_id.clone()),
                fail_reason: None,
                // The page marks it required: while the share is pending, the time it was
                // accepted (InProgressAnswers::Sparse leaves it out, as WeChat Pay may).
                finish_time: Some(if done {
                    order.done_at
                } else {
                    order.accepted_at
                }),
                funds_abnormal_closed_reason: None,
                funds_abnormal_receivers: Vec::new(),
                funds_abnormal_redirect_id: None,
                receiver_account: share.account.clone(),
                result: share_result(done),
                receiver_type: share.receiver_type.clone(),
            })
            .collect(),
        status: Some(order_status(done)),
        sub_mchid: order.sub_mchid.clone(),
        transaction_id: order.transaction_id.clone(),
    }
}

fn order_status(done: bool) -> OrderStatus {
    match done {
        true => OrderStatus::Finished,
        false => OrderStatus::Processing,
    }
}

fn share_result(done: bool) -> ReceiverResult {
    match done {
        true => ReceiverResult::Success,
        false => ReceiverResult::Pending,
    }
}

fn order_view(order: &Order, now: DateTime<FixedOffset>) -> ProfitSharingOrder {
    let done = now >= order.done_at;
    let (receivers, finish_amount, finish_description) = match &order.kind {
        OrderKind::Split { shares, .. } => {
            let receivers = shares
                .iter()
                .map(|share| {
                    // The retired field is still sent, as the query page shows it.
                    #[allow(deprecated)]
                    Receiver {
                        amount: share.amount,
                        description: share.description.clone(),
                        detail_id: Some(share.detail_id.clone()),
                        fail_reason: None,
                        finish_time: done.then_some(order.done_at),
                        receiver_account: Some(share.account.clone()),
                        receiver_mchid: (share.receiver_type == ReceiverType::MerchantId)
                            .then(|| share.account.clone()),
                        result: share_result(done),
                        receiver_type: Some(share.receiver_type.clone()),
                        abnormal_status: None,
                        funds_abnormal_closed_reason: None,
                        funds_abnormal_redirect_id: None,
                        funds_abnormal_receivers: Vec::new(),
                    }
                })
                .collect::<Vec<_>>();
            (Some(receivers.into()), None, None)
        }
        OrderKind::Finish { request, amount } => {
            (None, Some(*amount), Some(request.description.clone()))
        }
    };
    ProfitSharingOrder {
        close_reason: None,
        finish_amount,
        finish_description,
        order_id: order.order_id.clone(),
        out_order_no: order.out_order_no().to_owned(),
        receivers,
        status: order_status(done),
        sub_mchid: order.sub_mchid.clone(),
        transaction_id: order.transaction_id.clone(),
    }
}

fn finish_answer(order: &Order) -> FinishOrderResponse {
    FinishOrderResponse {
        order_id: order.order_id.clone(),
        out_order_no: order.out_order_no().to_owned(),
        sub_mchid: order.sub_mchid.clone(),
        transaction_id: order.transaction_id.clone(),
    }
}

fn return_answer(entry: &Return, now: DateTime<FixedOffset>) -> CreateReturnOrderResponse {
    let view = entry.view(now);
    CreateReturnOrderResponse {
        amount: view.amount,
        fail_reason: view.fail_reason,
        // The page marks it required: while the return is processing, the time it was accepted
        // (InProgressAnswers::Sparse leaves it out, as WeChat Pay may).
        finish_time: Some(view.finish_time.unwrap_or(entry.accepted_at)),
        order_id: view.order_id,
        out_order_no: view.out_order_no,
        out_return_no: view.out_return_no,
        result: view.result,
        return_mchid: view.return_mchid,
        return_no: view.return_no,
        sub_mchid: view.sub_mchid,
        transaction_id: Some(entry.transaction_id.clone()),
    }
}

/// A merchant number used before for another request.
fn reused(number: &str) -> Rejection {
    invalid(&format!(
        "请求参数与原单不一致 ({number} was used before for a request with other parameters: a new \
         request needs a new number, a retry the same parameters)"
    ))
}

/// The receiver types the simulator knows.
fn check_receiver_type(receiver_type: &ReceiverType, field: &str) -> Result<(), Rejection> {
    match receiver_type {
        ReceiverType::MerchantId | ReceiverType::PersonalOpenid => Ok(()),
        other => Err(param_error(
            field,
            &format!(
                "接收方类型无效 ({} is not MERCHANT_ID or PERSONAL_OPENID)",
                other.as_str()
            ),
        )),
    }
}
