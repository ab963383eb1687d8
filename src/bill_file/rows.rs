//! A bill's CSV, read as its bytes come (`csv-core`): a header row; one row per record, each value
//! behind a backtick; a summary header row; one summary row (the 下载账单 page, "账单文件格式").
//! Columns are read by their header's name, never by position (a REFUND trade bill has two more
//! than a SUCCESS one); a column this crate does not know is kept in the row's `extra`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeZone};

use super::BillError;

/// The longest row the reader takes (a header and the longest value of a real bill are far below
/// it): a longer one is an error, not memory without bound.
const MAX_ROW: usize = 1 << 20;

/// A record split from the bytes, with its line number (1 for the header): its fields' text one
/// after the other, and where each ends.
pub(crate) struct Record {
    pub(crate) line: u64,
    text: String,
    ends: Vec<usize>,
}

impl Record {
    /// The field at `index`, if the record has it.
    pub(crate) fn field(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// How many fields it has.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Its fields in order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.field(i))
    }
}

/// Splits CSV bytes into records, fed a chunk at a time.
pub(crate) struct Splitter {
    reader: csv_core::Reader,
    output: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    line: u64,
}

impl Splitter {
    pub(crate) fn new() -> Self {
        Self {
            reader: csv_core::Reader::new(),
            output: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            line: 0,
        }
    }

    /// Splits `input` (an empty slice at the end of the file) into records, appended to `out`.
    pub(crate) fn feed(
        &mut self,
        mut input: &[u8],
        out: &mut std::collections::VecDeque<Record>,
    ) -> Result<(), BillError> {
        let at_end = input.is_empty();
        loop {
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                self.output.get_mut(self.out_len..).unwrap_or_default(),
                self.ends.get_mut(self.ends_len..).unwrap_or_default(),
            );
            input = input.get(nin..).unwrap_or_default();
            // The ends are offsets from the start of the record (csv-core counts across calls).
            self.out_len += nout;
            self.ends_len += nend;
            match result {
                csv_core::ReadRecordResult::InputEmpty => return Ok(()),
                csv_core::ReadRecordResult::End => return Ok(()),
                csv_core::ReadRecordResult::OutputFull => {
                    if self.output.len() >= MAX_ROW {
                        return Err(BillError::Layout {
                            line: self.line + 1,
                            reason: format!("a row longer than {MAX_ROW} bytes"),
                        });
                    }
                    let len = self.output.len() * 2;
                    self.output.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    // csv-core counts lines from 1, one more per newline read: a record ended by
                    // a newline is on the line before the count; the last one of a file that does
                    // not end with a newline is on the line counted.
                    self.line = (self.reader.line() + u64::from(at_end)).saturating_sub(1);
                    let bytes = self.output.get(..self.out_len).unwrap_or_default();
                    let text = std::str::from_utf8(bytes).map_err(|_| BillError::Layout {
                        line: self.line,
                        reason: "a value that is not UTF-8".to_owned(),
                    })?;
                    let ends = self.ends.get(..self.ends_len).unwrap_or_default().to_vec();
                    let record = Record {
                        line: self.line,
                        text: text.to_owned(),
                        ends,
                    };
                    self.out_len = 0;
                    self.ends_len = 0;
                    // An empty line is no record.
                    if !(record.len() == 1 && record.text.is_empty()) {
                        out.push_back(record);
                    }
                }
            }
        }
    }
}

/// Where a record is in the bill's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Nothing read yet.
    Start,
    Header,
    Record,
    SummaryHeader,
    Summary,
}

/// A header row: its column names, and each name's index.
#[derive(Default)]
pub(crate) struct Header {
    pub(crate) names: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Header {
    fn of(record: &Record) -> Self {
        let names: Vec<String> = record.fields().map(|f| f.trim().to_owned()).collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
        Self { names, index }
    }
}

/// The bill's layout, record by record: which part each is, and the two header rows.
pub(crate) struct Layout {
    pub(crate) part: Part,
    pub(crate) header: Header,
    pub(crate) summary_header: Header,
}

impl Layout {
    pub(crate) fn new() -> Self {
        Self {
            part: Part::Start,
            header: Header::default(),
            summary_header: Header::default(),
        }
    }

    /// Which part `record` is. A record's values start with a backtick; the first row after the
    /// records whose first value does not is the summary's header.
    pub(crate) fn classify(&mut self, record: &Record) -> Result<Part, BillError> {
        let ticked = record.field(0).is_some_and(|f| f.starts_with('`'));
        let layout = |reason: &str| BillError::Layout {
            line: record.line,
            reason: reason.to_owned(),
        };
        self.part = match (self.part, ticked) {
            (Part::Start, false) => {
                self.header = Header::of(record);
                Part::Header
            }
            (Part::Start, true) => {
                return Err(layout(
                    "the bill starts with values, not with its header row",
                ));
            }
            (Part::Header | Part::Record, true) => Part::Record,
            (Part::Header | Part::Record, false) => {
                self.summary_header = Header::of(record);
                Part::SummaryHeader
            }
            (Part::SummaryHeader, true) => Part::Summary,
            (Part::SummaryHeader, false) => {
                return Err(layout(
                    "a second header row where the summary's values should be",
                ));
            }
            (Part::Summary, _) => return Err(layout("a row after the summary row")),
        };
        Ok(self.part)
    }
}

/// The values of one row by column name, each without its backtick; what a typed row takes is
/// marked, and what is left is the row's `extra`.
pub struct Columns<'a> {
    line: u64,
    header: &'a Header,
    record: &'a Record,
    taken: Vec<bool>,
}

impl<'a> Columns<'a> {
    pub(crate) fn new(header: &'a Header, record: &'a Record) -> Result<Self, BillError> {
        if record.len() != header.names.len() {
            return Err(BillError::Layout {
                line: record.line,
                reason: format!("{} values for {} columns", record.len(), header.names.len()),
            });
        }
        Ok(Self {
            line: record.line,
            header,
            record,
            taken: vec![false; record.len()],
        })
    }

    /// The value of `column`, its backtick stripped, marked as taken.
    fn take(&mut self, column: &str) -> Option<&'a str> {
        let index = *self.header.index.get(column)?;
        if let Some(taken) = self.taken.get_mut(index) {
            *taken = true;
        }
        let value = self.record.field(index)?;
        Some(value.strip_prefix('`').unwrap_or(value).trim())
    }

    fn error(&self, column: &str, reason: String) -> BillError {
        BillError::Row {
            line: self.line,
            column: column.to_owned(),
            reason,
        }
    }

    /// A column every bill of this type has, as it is.
    fn value(&mut self, column: &str) -> Result<&'a str, BillError> {
        self.take(column)
            .ok_or_else(|| self.error(column, "no such column in the header row".to_owned()))
    }

    /// A column every bill of this type has.
    pub(crate) fn text(&mut self, column: &str) -> Result<String, BillError> {
        self.value(column).map(str::to_owned)
    }

    /// A column some bills lack, or an empty value: `None`.
    pub(crate) fn optional(&mut self, column: &str) -> Option<String> {
        self.take(column)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// An amount in yuan with two decimals, in fen.
    pub(crate) fn fen(&mut self, column: &str) -> Result<i64, BillError> {
        let text = self.value(column)?;
        scaled(text, 2).map_err(|reason| self.error(column, reason))
    }

    /// An amount in yuan a bill may lack, in fen.
    pub(crate) fn optional_fen(&mut self, column: &str) -> Result<Option<i64>, BillError> {
        match self.take(column).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => scaled(text, 2)
                .map(Some)
                .map_err(|reason| self.error(column, reason)),
        }
    }

    /// An amount in yuan with up to five decimals (a fee), in thousandths of a fen.
    pub(crate) fn millifen(&mut self, column: &str) -> Result<i64, BillError> {
        let text = self.value(column)?;
        scaled(text, 5).map_err(|reason| self.error(column, reason))
    }

    /// A count.
    pub(crate) fn count(&mut self, column: &str) -> Result<u64, BillError> {
        let text = self.value(column)?;
        text.parse()
            .map_err(|_| self.error(column, format!("{text:?} is not a count")))
    }

    /// A time `YYYY-MM-DD HH:MM:SS` in Beijing time, with its offset.
    pub(crate) fn time(&mut self, column: &str) -> Result<DateTime<FixedOffset>, BillError> {
        let text = self.value(column)?;
        beijing_time(text).map_err(|reason| self.error(column, reason))
    }

    /// A time a bill may lack.
    pub(crate) fn optional_time(
        &mut self,
        column: &str,
    ) -> Result<Option<DateTime<FixedOffset>>, BillError> {
        match self.take(column).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => beijing_time(text)
                .map(Some)
                .map_err(|reason| self.error(column, reason)),
        }
    }

    /// What no typed field took, by column name.
    pub(crate) fn extra(self) -> BTreeMap<String, String> {
        self.taken
            .iter()
            .enumerate()
            .filter(|(_, taken)| !**taken)
            .filter_map(|(index, _)| {
                let name = self.header.names.get(index)?;
                let value = self.record.field(index)?;
                let value = value.strip_prefix('`').unwrap_or(value).trim();
                Some((name.clone(), value.to_owned()))
            })
            .collect()
    }
}

/// `text`, a decimal with at most `decimals` digits after the point (and an optional sign), as
/// an integer in units of 10^-decimals: exact, never through a float.
fn scaled(text: &str, decimals: u32) -> Result<i64, String> {
    let bad = || format!("{text:?} is not an amount with at most {decimals} decimals");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > decimals as usize
    {
        return Err(bad());
    }
    let scale = 10i64.checked_pow(decimals).ok_or_else(bad)?;
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let mut part: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| bad())?
    };
    for _ in fraction.len()..decimals as usize {
        part = part.checked_mul(10).ok_or_else(bad)?;
    }
    let value = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(part))
        .ok_or_else(bad)?;
    Ok(if negative { -value } else { value })
}

fn beijing_time(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let bad = || format!("{text:?} is not a time YYYY-MM-DD HH:MM:SS");
    let offset = FixedOffset::east_opt(8 * 3600).ok_or("no +08:00 offset")?;
    // The one layout bills use, read directly (a format string is parsed again on every call).
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = bytes.get(range)?;
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if bytes.len() != 19 || separators.iter().any(|(i, c)| bytes.get(*i) != Some(c)) {
        return Err(bad());
    }
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
        number(17..19),
    ) else {
        return Err(bad());
    };
    let naive = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).map_err(|_| bad())?, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, sec))
        .ok_or_else(bad)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| format!("{text:?} is not a time in Beijing time"))
}

/// A typed row of a bill: made from its columns by name.
pub trait BillRow: Sized {
    /// Reads the row from its columns; what it does not take is its `extra`.
    fn from_columns(columns: Columns<'_>) -> Result<Self, BillError>;
}

/// One row of a trade bill (交易账单): a payment, or a refund, of a day.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TradeBillRow {
    /// 交易时间.
    pub trade_time: DateTime<FixedOffset>,
    /// 公众账号ID.
    pub appid: String,
    /// 商户号: the platform.
    pub mchid: String,
    /// 特约商户号: the sub-merchant.
    pub sub_mchid: String,
    /// 设备号, if any.
    pub device_info: Option<String>,
    /// 微信订单号.
    pub transaction_id: String,
    /// 商户订单号.
    pub out_trade_no: String,
    /// 用户标识: the buyer's OpenID.
    pub openid: String,
    /// 交易类型 (JSAPI, NATIVE, …).
    pub trade_type: String,
    /// 交易状态 (SUCCESS, REFUND, …).
    pub trade_state: String,
    /// 付款银行.
    pub bank_type: String,
    /// 货币种类.
    pub currency: String,
    /// 应结订单金额, in fen.
    pub settlement_amount: i64,
    /// 代金券金额, in fen.
    pub coupon_amount: i64,
    /// 微信退款单号, on a refund's row (a payment's row has none, or `0`).
    pub refund_id: Option<String>,
    /// 商户退款单号, on a refund's row.
    pub out_refund_no: Option<String>,
    /// 退款金额, in fen (not in a SUCCESS bill).
    pub refund_amount: Option<i64>,
    /// 充值券退款金额, in fen (not in a SUCCESS bill).
    pub recharge_coupon_refund_amount: Option<i64>,
    /// 退款类型.
    pub refund_type: Option<String>,
    /// 退款状态.
    pub refund_status: Option<String>,
    /// 商品名称.
    pub description: String,
    /// 商户数据包.
    pub attach: String,
    /// 手续费, in thousandths of a fen (the bill gives five decimals of a yuan).
    pub fee_millifen: i64,
    /// 费率, as written (`0.60%`).
    pub rate: String,
    /// 订单金额, in fen.
    pub order_amount: Option<i64>,
    /// 申请退款金额, in fen.
    pub refund_request_amount: Option<i64>,
    /// 费率备注.
    pub rate_remark: Option<String>,
    /// 退款申请时间 (a REFUND bill's).
    pub refund_apply_time: Option<DateTime<FixedOffset>>,
    /// 退款成功时间 (a REFUND bill's).
    pub refund_success_time: Option<DateTime<FixedOffset>>,
    /// Columns this crate does not know, by name: kept, not fatal.
    pub extra: BTreeMap<String, String>,
}

impl BillRow for TradeBillRow {
    fn from_columns(mut c: Columns<'_>) -> Result<Self, BillError> {
        let no_refund = |id: Option<String>| id.filter(|id| id != "0");
        Ok(Self {
            trade_time: c.time("交易时间")?,
            appid: c.text("公众账号ID")?,
            mchid: c.text("商户号")?,
            sub_mchid: c.text("特约商户号")?,
            device_info: c.optional("设备号"),
            transaction_id: c.text("微信订单号")?,
            out_trade_no: c.text("商户订单号")?,
            openid: c.text("用户标识")?,
            trade_type: c.text("交易类型")?,
            trade_state: c.text("交易状态")?,
            bank_type: c.text("付款银行")?,
            currency: c.text("货币种类")?,
            settlement_amount: c.fen("应结订单金额")?,
            coupon_amount: c.fen("代金券金额")?,
            refund_id: no_refund(c.optional("微信退款单号")),
            out_refund_no: no_refund(c.optional("商户退款单号")),
            refund_amount: c.optional_fen("退款金额")?,
            recharge_coupon_refund_amount: c.optional_fen("充值券退款金额")?,
            refund_type: c.optional("退款类型"),
            refund_status: c.optional("退款状态"),
            description: c.text("商品名称")?,
            attach: c.text("商户数据包")?,
            fee_millifen: c.millifen("手续费")?,
            rate: c.text("费率")?,
            order_amount: c.optional_fen("订单金额")?,
            refund_request_amount: c.optional_fen("申请退款金额")?,
            rate_remark: c.optional("费率备注"),
            refund_apply_time: c.optional_time("退款申请时间")?,
            refund_success_time: c.optional_time("退款成功时间")?,
            extra: c.extra(),
        })
    }
}

/// The summary row of a trade bill.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TradeBillSummary {
    /// 总交易单数.
    pub count: u64,
    /// 应结订单总金额, in fen.
    pub settlement_total: i64,
    /// 退款总金额, in fen.
    pub refund_total: i64,
    /// 充值券退款总金额, in fen.
    pub recharge_coupon_refund_total: i64,
    /// 手续费总金额, in thousandths of a fen.
    pub fee_total_millifen: i64,
    /// 订单总金额, in fen.
    pub order_total: Option<i64>,
    /// 申请退款总金额, in fen.
    pub refund_request_total: Option<i64>,
    /// Columns this crate does not know, by name.
    pub extra: BTreeMap<String, String>,
}

impl BillRow for TradeBillSummary {
    fn from_columns(mut c: Columns<'_>) -> Result<Self, BillError> {
        Ok(Self {
            count: c.count("总交易单数")?,
            settlement_total: c.fen("应结订单总金额")?,
            refund_total: c.fen("退款总金额")?,
            recharge_coupon_refund_total: c.fen("充值券退款总金额")?,
            fee_total_millifen: c.millifen("手续费总金额")?,
            order_total: c.optional_fen("订单总金额")?,
            refund_request_total: c.optional_fen("申请退款总金额")?,
            extra: c.extra(),
        })
    }
}

/// Whether money came in or went out (收支类型).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlowDirection {
    /// 收入.
    Income,
    /// 支出.
    Expense,
    /// Another value, kept as it came.
    Other(String),
}

/// One row of a fund flow bill (资金账单): a movement of an account's money.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FundFlowBillRow {
    /// 记账时间.
    pub booked_at: DateTime<FixedOffset>,
    /// 微信支付业务单号: the order, refund or withdrawal that moved the money.
    pub business_no: String,
    /// 资金流水单号.
    pub flow_id: String,
    /// 业务名称.
    pub business_name: String,
    /// 业务类型.
    pub business_type: String,
    /// 收支类型.
    pub direction: FlowDirection,
    /// 收支金额(元), in fen.
    pub amount: i64,
    /// 账户结余(元), in fen: the balance after this movement.
    pub balance: i64,
    /// 资金变更提交申请人.
    pub applicant: String,
    /// 备注.
    pub remark: String,
    /// 业务凭证号: the merchant's number of what moved the money.
    pub voucher_no: String,
    /// Columns this crate does not know, by name (a sub-merchant bill's `二级商户号`, say).
    pub extra: BTreeMap<String, String>,
}

impl BillRow for FundFlowBillRow {
    fn from_columns(mut c: Columns<'_>) -> Result<Self, BillError> {
        let direction = match c.text("收支类型")?.as_str() {
            "收入" => FlowDirection::Income,
            "支出" => FlowDirection::Expense,
            other => FlowDirection::Other(other.to_owned()),
        };
        Ok(Self {
            booked_at: c.time("记账时间")?,
            business_no: c.text("微信支付业务单号")?,
            flow_id: c.text("资金流水单号")?,
            business_name: c.text("业务名称")?,
            business_type: c.text("业务类型")?,
            direction,
            amount: c.fen("收支金额(元)")?,
            balance: c.fen("账户结余(元)")?,
            applicant: c.text("资金变更提交申请人")?,
            remark: c.text("备注")?,
            voucher_no: c.text("业务凭证号")?,
            extra: c.extra(),
        })
    }
}

/// The summary row of a fund flow bill.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FundFlowBillSummary {
    /// 资金流水总笔数.
    pub count: u64,
    /// 收入笔数.
    pub income_count: u64,
    /// 收入金额, in fen.
    pub income: i64,
    /// 支出笔数.
    pub expense_count: u64,
    /// 支出金额, in fen.
    pub expense: i64,
    /// Columns this crate does not know, by name.
    pub extra: BTreeMap<String, String>,
}

impl BillRow for FundFlowBillSummary {
    fn from_columns(mut c: Columns<'_>) -> Result<Self, BillError> {
        Ok(Self {
            count: c.count("资金流水总笔数")?,
            income_count: c.count("收入笔数")?,
            income: c.fen("收入金额")?,
            expense_count: c.count("支出笔数")?,
            expense: c.fen("支出金额")?,
            extra: c.extra(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_decimals() {
        assert_eq!(scaled("0.01", 2), Ok(1));
        assert_eq!(scaled("12.3", 2), Ok(1230));
        assert_eq!(scaled("7", 2), Ok(700));
        assert_eq!(scaled("-0.50", 2), Ok(-50));
        assert_eq!(scaled("0.00001", 5), Ok(1));
        assert!(scaled("0.001", 2).is_err());
        assert!(scaled("1e3", 2).is_err());
        assert!(scaled("", 2).is_err());
        assert!(scaled(".5", 2).is_err());
        assert!(scaled("99999999999999999999", 2).is_err());
    }

    #[test]
    fn records_split_across_any_chunking() {
        let text = "a,b\n`1,`x 退款分\n\n总,数\n`2,`3";
        for chunk in [1, 2, 5, 100] {
            let mut splitter = Splitter::new();
            let mut records = std::collections::VecDeque::new();
            for piece in text.as_bytes().chunks(chunk) {
                splitter.feed(piece, &mut records).unwrap();
            }
            splitter.feed(&[], &mut records).unwrap();
            let fields: Vec<Vec<String>> = records
                .iter()
                .map(|r| r.fields().map(str::to_owned).collect())
                .collect();
            assert_eq!(
                fields,
                [
                    vec!["a", "b"],
                    vec!["`1", "`x 退款分"],
                    vec!["总", "数"],
                    vec!["`2", "`3"]
                ],
                "chunk {chunk}"
            );
            assert_eq!(records[3].line, 5);
        }
    }
}
