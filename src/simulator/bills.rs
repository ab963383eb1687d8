//! The bills family (账单) on the simulator: the trade bill, the platform's fund flow bill and the
//! sub-merchants' fund flow bill of any day of its clock, written from the journal every family
//! keeps, and their download (下载账单).
//!
//! Where the pages leave a choice, the simulator makes one (each is in the README's table): a day
//! that has not ended is `STATEMENT_CREATING`; a day more than 90 days back is
//! `INVALID_REQUEST`; a day on which nothing moved at all is `NO_STATEMENT_EXIST`, and a day on
//! which only other accounts moved gives a bill of its header and summary; the sub-merchants' bill
//! has the fund flow bill's columns and a `二级商户号` column after them (its real columns are not
//! public); a download URL lasts five minutes of the simulator's clock.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;

use chrono::{DateTime, Duration, FixedOffset};
use hyper::body::Bytes;
use serde_json::Value;

use super::checks::{Rejection, invalid, param_error, rejection};
use super::journal::{Account, Entry, Movement};
use super::ledger::{Bounded, Ledger, beijing, beijing_day, to_json};
use crate::BillRow;
use crate::bills::{
    ApplySubMerchantFundFlowBillResponse, ApplySubMerchantFundFlowBillResponseDownloadBillList,
    BillDownload, BillType, FundFlowBillRow, HashType, TarType, TradeBillRow,
};

/// The path bills are downloaded from.
pub(crate) const DOWNLOAD_PATH: &str = "/v3/billdownload/file";

/// What the next bill download serves instead of the file ([`Simulator::corrupt_next_bill`]).
///
/// [`Simulator::corrupt_next_bill`]: super::Simulator::corrupt_next_bill
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BillCorruption {
    /// The byte at this offset of what is served (the gzip or encrypted bytes, if so) flipped.
    FlipByte(usize),
    /// Only this many bytes of what is served.
    Truncate(usize),
}

/// A file a download URL serves.
struct Served {
    bytes: Bytes,
    expires: DateTime<FixedOffset>,
}

/// The family's state: the files the download URLs serve, by token.
pub(crate) struct Bills {
    files: Bounded<Served>,
    next_token: u64,
    pub(crate) corruptions: VecDeque<BillCorruption>,
    /// The most original bytes in one part of a sub-merchant bill.
    pub(crate) part_size: usize,
}

/// The day a bill is asked for: its start and end (midnight to midnight, Beijing time).
struct Day {
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

fn time(at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// One CSV line: each value behind a backtick (a header row's are not).
fn line<S: AsRef<str>>(out: &mut String, values: &[S], ticked: bool) {
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        if ticked {
            out.push('`');
        }
        out.push_str(value.as_ref());
    }
    out.push('\n');
}

/// How a movement is named in a fund flow bill (业务名称/业务类型).
fn business(movement: Movement) -> &'static str {
    match movement {
        Movement::Payment => "交易",
        Movement::Share | Movement::Unfreeze => "分账",
        Movement::Return => "分账回退",
        Movement::Refund => "退款",
        Movement::RefundClosed => "退款关闭",
        Movement::AdvanceReturn => "垫付回补",
        Movement::Subsidy => "补差",
        Movement::SubsidyReturn => "补差回退",
        Movement::AfterSalesShare => "售后服务分账",
        Movement::Withdrawal => "提现",
        Movement::WithdrawalFailed => "提现失败退回",
        _ => "其他",
    }
}

/// The columns only a REFUND trade bill has, after 代金券金额 (the page's prose; the row type
/// reads them last).
const REFUND_BILL_COLUMNS: [&str; 2] = ["退款申请时间", "退款成功时间"];

/// The columns a SUCCESS trade bill does not have (退款相关的列).
const REFUND_COLUMNS: [&str; 7] = [
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "申请退款金额",
];

impl Bills {
    pub(crate) fn new(max_kept: usize) -> Self {
        Self {
            files: Bounded::new(max_kept),
            next_token: 0,
            corruptions: VecDeque::new(),
            part_size: 16 << 30,
        }
    }

    /// The day of `bill_date`, if a bill of it can be made now.
    fn day(ledger: &Ledger, bill_date: &str) -> Result<Day, Rejection> {
        let (start, end) = beijing_day(bill_date)
            .ok_or_else(|| param_error("bill_date", "bill_date 的格式应为 YYYY-MM-DD"))?;
        let now = ledger.now();
        if end > now {
            return Err(rejection(
                http::StatusCode::BAD_REQUEST,
                "STATEMENT_CREATING",
                "账单生成中 (the day has not ended on the simulator's clock)",
                None,
            ));
        }
        if now - end > Duration::days(90) {
            return Err(invalid("账单日期不合法 (only the last three months)"));
        }
        let any = ledger
            .journal
            .entries()
            .any(|e| e.at >= start && e.at < end);
        if !any {
            return Err(rejection(
                http::StatusCode::BAD_REQUEST,
                "NO_STATEMENT_EXIST",
                "账单文件不存在 (nothing moved that day)",
                None,
            ));
        }
        Ok(Day { start, end })
    }

    /// Stores a file to serve, under a new token: its download URL.
    fn serve(&mut self, base_url: &str, bytes: Vec<u8>, now: DateTime<FixedOffset>) -> String {
        self.next_token += 1;
        let mut nonce = [0u8; 8];
        // A token nobody guesses; the counter keeps it unique.
        let _ = aws_lc_rs::rand::fill(&mut nonce);
        let token = format!("{}{:x}", crate::bill_file::hex(&nonce), self.next_token);
        self.files.insert(
            token.clone(),
            Served {
                bytes: Bytes::from(bytes),
                expires: now + Duration::minutes(5),
            },
        );
        format!("{base_url}{DOWNLOAD_PATH}?token={token}")
    }

    /// 申请交易账单: the payments and refunds of a day, by the journal.
    pub fn trade_bill(
        &mut self,
        ledger: &Ledger,
        refunds: &super::refunds::Refunds,
        query: &BillQuery<'_>,
        bill_type: Option<&BillType>,
        sub_mchid: Option<&str>,
    ) -> Result<Value, Rejection> {
        let day = Self::day(ledger, query.bill_date)?;
        let bill_type = bill_type.cloned().unwrap_or(BillType::All);
        // The bill's columns are the ones the generated row type reads (the page's table).
        let columns: Vec<&str> = TradeBillRow::COLUMNS
            .iter()
            .copied()
            .filter(|c| !REFUND_BILL_COLUMNS.contains(c))
            .filter(|c| bill_type != BillType::Success || !REFUND_COLUMNS.contains(c))
            .collect();
        let columns: Vec<&str> = match bill_type {
            // A REFUND bill has two more columns after 代金券金额.
            BillType::Refund => {
                let mut with = Vec::new();
                for column in columns {
                    with.push(column);
                    if column == "代金券金额" {
                        with.extend(REFUND_BILL_COLUMNS);
                    }
                }
                with
            }
            _ => columns,
        };
        let mut rows: Vec<BTreeMap<&str, String>> = Vec::new();
        let (mut paid, mut refunded) = (0i64, 0i64);
        // A refund funded from several accounts is one row.
        let mut refund_rows: BTreeMap<String, (DateTime<FixedOffset>, String, i64)> =
            BTreeMap::new();
        for entry in ledger.journal.entries() {
            if entry.at < day.start || entry.at >= day.end {
                continue;
            }
            let Some(transaction) = ledger.transaction(&entry.transaction_id) else {
                continue;
            };
            if sub_mchid.is_some_and(|sub| sub != transaction.sub_mchid) {
                continue;
            }
            match entry.movement {
                Movement::Payment if bill_type != BillType::Refund => {
                    let mut row = trade_row(query.mchid, transaction, entry.at);
                    row.insert("交易状态", "SUCCESS".to_owned());
                    row.insert("应结订单金额", yuan(entry.amount));
                    row.insert("订单金额", yuan(entry.amount));
                    paid += entry.amount;
                    rows.push(row);
                }
                Movement::Refund if bill_type != BillType::Success => {
                    let refund = refund_rows.entry(entry.reference.clone()).or_insert((
                        entry.at,
                        entry.transaction_id.clone(),
                        0,
                    ));
                    refund.2 += entry.amount;
                }
                _ => {}
            }
        }
        for (refund_id, (at, transaction_id, amount)) in refund_rows {
            let Some(transaction) = ledger.transaction(&transaction_id) else {
                continue;
            };
            let mut row = trade_row(query.mchid, transaction, at);
            row.insert("交易状态", "REFUND".to_owned());
            row.insert("应结订单金额", yuan(0));
            row.insert("订单金额", yuan(0));
            row.insert("微信退款单号", refund_id.clone());
            row.insert(
                "商户退款单号",
                refunds.out_refund_no(&refund_id).unwrap_or_default(),
            );
            row.insert("退款金额", yuan(amount));
            row.insert("申请退款金额", yuan(amount));
            row.insert("退款类型", "ORIGINAL".to_owned());
            row.insert("退款状态", "SUCCESS".to_owned());
            row.insert("退款申请时间", time(at));
            row.insert("退款成功时间", time(at));
            refunded += amount;
            rows.push(row);
        }
        let mut text = String::new();
        line(&mut text, &columns, false);
        for row in &rows {
            let values: Vec<String> = columns
                .iter()
                .map(|c| row.get(c).cloned().unwrap_or_default())
                .collect();
            line(&mut text, &values, true);
        }
        // The summary has its refund totals in every bill type (0 in a SUCCESS bill, which has
        // no refund rows); the payments' settled and order totals are one sum here (no coupons).
        let summary = [
            ("总交易单数", rows.len().to_string()),
            ("应结订单总金额", yuan(paid)),
            ("退款总金额", yuan(refunded)),
            ("充值券退款总金额", yuan(0)),
            ("手续费总金额", "0.00000".to_owned()),
            ("订单总金额", yuan(paid)),
            ("申请退款总金额", yuan(refunded)),
        ];
        line(&mut text, &summary.each_ref().map(|(name, _)| *name), false);
        line(&mut text, &summary.map(|(_, value)| value), true);
        self.answer_file(ledger, query, text.into_bytes())
    }

    /// 申请资金账单: the movements of the platform's own (basic) account on a day.
    pub fn fund_flow_bill(
        &mut self,
        ledger: &Ledger,
        query: &BillQuery<'_>,
    ) -> Result<Value, Rejection> {
        let day = Self::day(ledger, query.bill_date)?;
        let account = Account::Available(query.mchid.to_owned());
        let text = fund_flow_text(ledger, &day, query.mchid, |a| *a == account, false)?;
        self.answer_file(ledger, query, text.into_bytes())
    }

    fn answer_file(
        &mut self,
        ledger: &Ledger,
        query: &BillQuery<'_>,
        original: Vec<u8>,
    ) -> Result<Value, Rejection> {
        to_json(&self.file(ledger.now(), query, original)?)
    }

    /// A bill's file served as asked, and what its application answers.
    pub(crate) fn file(
        &mut self,
        now: DateTime<FixedOffset>,
        query: &BillQuery<'_>,
        original: Vec<u8>,
    ) -> Result<BillDownload, Rejection> {
        let hash = sha1_hex(&original);
        let served = pack(original, query.tar_type)?;
        let url = self.serve(query.base_url, served, now);
        Ok(BillDownload {
            hash_type: HashType::Sha1,
            hash_value: hash,
            download_url: url,
        })
    }

    /// 申请二级商户资金账单: every sub-merchant's movements on a day, in parts, each encrypted
    /// with a key of its own for the merchant.
    pub fn sub_merchant_fund_flow_bill(
        &mut self,
        ledger: &Ledger,
        query: &BillQuery<'_>,
        encryption: &crate::EncryptionKey,
        algorithm: &str,
    ) -> Result<Value, Rejection> {
        if algorithm != "AEAD_AES_256_GCM" {
            return Err(param_error(
                "algorithm",
                "the simulator encrypts with AEAD_AES_256_GCM only",
            ));
        }
        let day = Self::day(ledger, query.bill_date)?;
        let platform = Account::Available(query.mchid.to_owned());
        let text = fund_flow_text(
            ledger,
            &day,
            query.mchid,
            |a| matches!(a, Account::Available(_)) && *a != platform,
            true,
        )?;
        let answer = self.encrypted_parts(ledger.now(), query, text.into_bytes(), encryption)?;
        to_json(&answer)
    }

    /// A sub-merchant bill's parts: each at most `part_size` original bytes, packed as asked,
    /// encrypted with a key of its own that `encryption` (the merchant's) encrypts.
    pub(crate) fn encrypted_parts(
        &mut self,
        now: DateTime<FixedOffset>,
        query: &BillQuery<'_>,
        original: Vec<u8>,
        encryption: &crate::EncryptionKey,
    ) -> Result<ApplySubMerchantFundFlowBillResponse, Rejection> {
        let mut list = Vec::new();
        for (index, part) in original.chunks(self.part_size.max(1)).enumerate() {
            let sequence = i64::try_from(index).unwrap_or(i64::MAX).saturating_add(1);
            let packed = pack(part.to_vec(), query.tar_type)?;
            let mut key = zeroize::Zeroizing::new([0u8; 32]);
            let mut nonce_bytes = [0u8; 8];
            aws_lc_rs::rand::fill(key.as_mut_slice())
                .and_then(|()| aws_lc_rs::rand::fill(&mut nonce_bytes))
                .map_err(|_| invalid("no randomness"))?;
            // 16 characters, as the page's example: their bytes are the nonce.
            let nonce = crate::bill_file::hex(&nonce_bytes);
            let mut encryptor = crate::bill_file::gcm::Encryptor::new(&key, nonce.as_bytes());
            let mut sealed = packed;
            encryptor.update(&mut sealed);
            sealed.extend_from_slice(&encryptor.finish());
            let encrypt_key = encryption
                .encrypt_bytes(key.as_slice())
                .map_err(|_| invalid("the merchant's key cannot encrypt"))?;
            let url = self.serve(query.base_url, sealed, now);
            list.push(ApplySubMerchantFundFlowBillResponseDownloadBillList {
                bill_sequence: sequence,
                hash_type: HashType::Sha1,
                hash_value: sha1_hex(part),
                download_url: url,
                encrypt_key,
                nonce,
            });
        }
        Ok(ApplySubMerchantFundFlowBillResponse {
            download_bill_count: i64::try_from(list.len()).unwrap_or(i64::MAX),
            download_bill_list: list,
        })
    }

    /// 下载账单: the file a token names, as it is served (corrupted if a test asked).
    pub fn download(&mut self, ledger: &Ledger, token: &str) -> Result<Bytes, Rejection> {
        let expired = || {
            rejection(
                http::StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "下载地址无效 (unknown or expired: apply for the bill again)",
                None,
            )
        };
        let served = self.files.get(token).ok_or_else(expired)?;
        if ledger.now() > served.expires {
            return Err(expired());
        }
        let bytes = served.bytes.clone();
        Ok(match self.corruptions.pop_front() {
            None => bytes,
            Some(BillCorruption::FlipByte(offset)) => {
                let mut changed = bytes.to_vec();
                if let Some(byte) = changed.get_mut(offset) {
                    *byte ^= 0x01;
                }
                Bytes::from(changed)
            }
            Some(BillCorruption::Truncate(len)) => bytes.slice(..len.min(bytes.len())),
        })
    }
}

/// A fund flow bill's text: the movements of the accounts `ours` takes, each with the account's
/// balance after it; with `sub_mchid_column`, the account's merchant id in a last column.
fn fund_flow_text(
    ledger: &Ledger,
    day: &Day,
    platform: &str,
    ours: impl Fn(&Account) -> bool,
    sub_mchid_column: bool,
) -> Result<String, Rejection> {
    let mut sides: Vec<(&Entry, &Account, bool)> = Vec::new();
    for entry in ledger.journal.entries() {
        if entry.at < day.start || entry.at >= day.end {
            continue;
        }
        if ours(&entry.to) {
            sides.push((entry, &entry.to, true));
        }
        if ours(&entry.from) {
            sides.push((entry, &entry.from, false));
        }
    }
    sides.sort_by_key(|(entry, _, _)| entry.at);
    let mut balances: BTreeMap<String, i64> = BTreeMap::new();
    let mut text = String::new();
    let mut names = FundFlowBillRow::COLUMNS.to_vec();
    if sub_mchid_column {
        names.push("二级商户号");
    }
    line(&mut text, &names, false);
    let (mut income, mut income_count, mut expense, mut expense_count) = (0i64, 0u64, 0i64, 0u64);
    for (index, (entry, account, incoming)) in sides.iter().enumerate() {
        let Account::Available(mchid) = account else {
            continue;
        };
        let balance = match balances.get_mut(mchid) {
            Some(balance) => balance,
            None => {
                let start = ledger
                    .journal
                    .balance_at(account, day.start)
                    .ok_or_else(|| {
                        invalid("账单日期不合法 (the simulator no longer keeps that day)")
                    })?;
                balances.entry(mchid.clone()).or_insert(start)
            }
        };
        if *incoming {
            *balance += entry.amount;
            income += entry.amount;
            income_count += 1;
        } else {
            *balance -= entry.amount;
            expense += entry.amount;
            expense_count += 1;
        }
        let name = business(entry.movement);
        let mut values = vec![
            time(entry.at),
            entry.transaction_id.clone(),
            format!("4200{index:024}"),
            name.to_owned(),
            name.to_owned(),
            if *incoming { "收入" } else { "支出" }.to_owned(),
            yuan(entry.amount),
            yuan(*balance),
            format!("{platform}API"),
            format!("{name}{}元", yuan(entry.amount)),
            entry.reference.clone(),
        ];
        if sub_mchid_column {
            values.push(mchid.clone());
        }
        line(&mut text, &values, true);
    }
    let count = income_count + expense_count;
    line(
        &mut text,
        &[
            "资金流水总笔数",
            "收入笔数",
            "收入金额",
            "支出笔数",
            "支出金额",
        ],
        false,
    );
    line(
        &mut text,
        &[
            count.to_string(),
            income_count.to_string(),
            yuan(income),
            expense_count.to_string(),
            yuan(expense),
        ],
        true,
    );
    Ok(text)
}

/// What a bill application asked, besides its own parameters.
pub(crate) struct BillQuery<'a> {
    pub bill_date: &'a str,
    pub tar_type: Option<&'a TarType>,
    /// The platform's merchant id.
    pub mchid: &'a str,
    /// Where the simulator is, for the download URL.
    pub base_url: &'a str,
}

fn trade_row<'a>(
    mchid: &str,
    transaction: &super::ledger::Transaction,
    at: DateTime<FixedOffset>,
) -> BTreeMap<&'a str, String> {
    let mut row = BTreeMap::new();
    row.insert("交易时间", time(at));
    row.insert("公众账号ID", "wx8888888888888888".to_owned());
    row.insert("商户号", mchid.to_owned());
    row.insert("特约商户号", transaction.sub_mchid.clone());
    row.insert("微信订单号", transaction.transaction_id.clone());
    row.insert("商户订单号", transaction.out_trade_no.clone());
    row.insert("用户标识", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".to_owned());
    row.insert("交易类型", "JSAPI".to_owned());
    row.insert("付款银行", "OTHERS".to_owned());
    row.insert("货币种类", "CNY".to_owned());
    row.insert("代金券金额", yuan(0));
    row.insert("微信退款单号", "0".to_owned());
    row.insert("商户退款单号", "0".to_owned());
    row.insert("退款金额", yuan(0));
    row.insert("充值券退款金额", yuan(0));
    row.insert("商品名称", "商品".to_owned());
    row.insert("手续费", "0.00000".to_owned());
    row.insert("费率", "0.60%".to_owned());
    row.insert("申请退款金额", yuan(0));
    row
}

fn sha1_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);
    crate::bill_file::hex(digest.as_ref())
}

/// The bytes as served: gzip when asked.
fn pack(original: Vec<u8>, tar_type: Option<&TarType>) -> Result<Vec<u8>, Rejection> {
    match tar_type {
        Some(TarType::Gzip) => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder
                .write_all(&original)
                .and_then(|()| encoder.finish())
                .map_err(|_| invalid("gzip failed"))
        }
        _ => Ok(original),
    }
}
