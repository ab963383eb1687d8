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

/// The most values a row may have (a bill has a few dozen columns).
const MAX_FIELDS: usize = 4096;

/// A record split from the bytes, with its line number (1 for the header): its fields' text one
/// after the other, and where each ends. It borrows the splitter's buffers.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    pub(crate) line: u64,
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    /// The field at `index`, if the record has it.
    pub(crate) fn field(&self, index: usize) -> Option<&'a str> {
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
    pub(crate) fn fields(&self) -> impl Iterator<Item = &'a str> + '_ {
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

    /// Splits `input` (an empty slice at the end of the file) into records, each handed to
    /// `each` as it is split.
    pub(crate) fn feed(
        &mut self,
        mut input: &[u8],
        mut each: impl FnMut(Record<'_>),
    ) -> Result<(), BillError> {
        loop {
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                self.output.get_mut(self.out_len..).unwrap_or_default(),
                self.ends.get_mut(self.ends_len..).unwrap_or_default(),
            );
            // A record ended by a newline has had it counted; one ended by the \r of a \r\n
            // (whose \n comes with the next record) or by the end of the file has not.
            let newline_read = nin
                .checked_sub(1)
                .and_then(|last| input.get(last))
                .is_some_and(|byte| *byte == b'\n');
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
                    // A row of commas writes no bytes: its fields are bounded on their own.
                    if self.ends.len() >= MAX_FIELDS {
                        return Err(BillError::Layout {
                            line: self.reader.line(),
                            reason: format!("a row of more than {MAX_FIELDS} values"),
                        });
                    }
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    // csv-core counts lines from 1, one more per newline read.
                    self.line = self.reader.line().saturating_sub(u64::from(newline_read));
                    let bytes = self.output.get(..self.out_len).unwrap_or_default();
                    let text = std::str::from_utf8(bytes).map_err(|_| BillError::Layout {
                        line: self.line,
                        reason: "a value that is not UTF-8".to_owned(),
                    })?;
                    let record = Record {
                        line: self.line,
                        text,
                        ends: self.ends.get(..self.ends_len).unwrap_or_default(),
                    };
                    // An empty line is no record.
                    if !(record.len() == 1 && record.text.is_empty()) {
                        each(record);
                    }
                    self.out_len = 0;
                    self.ends_len = 0;
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

/// The bill's layout, record by record: which part each is, and the two header rows' names.
pub(crate) struct Layout {
    pub(crate) part: Part,
    pub(crate) header: Vec<String>,
    pub(crate) summary_header: Vec<String>,
}

impl Layout {
    pub(crate) fn new() -> Self {
        Self {
            part: Part::Start,
            header: Vec::new(),
            summary_header: Vec::new(),
        }
    }

    /// Which part `record` is. A record's values start with a backtick; the first row after the
    /// records whose first value does not is the summary's header.
    pub(crate) fn classify(&mut self, record: &Record<'_>) -> Result<Part, BillError> {
        let ticked = record.field(0).is_some_and(|f| f.starts_with('`'));
        let layout = |reason: &str| BillError::Layout {
            line: record.line,
            reason: reason.to_owned(),
        };
        let names = || record.fields().map(|f| f.trim().to_owned()).collect();
        self.part = match (self.part, ticked) {
            (Part::Start, false) => {
                self.header = names();
                Part::Header
            }
            (Part::Start, true) => {
                return Err(layout(
                    "the bill starts with values, not with its header row",
                ));
            }
            (Part::Header | Part::Record, true) => Part::Record,
            (Part::Header | Part::Record, false) => {
                self.summary_header = names();
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

/// A header row resolved for one row type, once per bill: where each of the type's columns is,
/// and which of the header's columns no field takes (its `extra`).
pub(crate) struct Resolved {
    names: Vec<String>,
    wanted: &'static [&'static str],
    positions: Vec<Option<usize>>,
    unclaimed: Vec<usize>,
}

impl Resolved {
    /// `header`'s columns for a type that reads `wanted`.
    pub(crate) fn new(header: &[String], wanted: &'static [&'static str]) -> Self {
        let positions: Vec<Option<usize>> = wanted
            .iter()
            .map(|name| header.iter().position(|h| h == name))
            .collect();
        let unclaimed = (0..header.len())
            .filter(|index| !positions.contains(&Some(*index)))
            .collect();
        Self {
            names: header.to_vec(),
            wanted,
            positions,
            unclaimed,
        }
    }
}

/// The values of one row, each without its backtick, read by the position of its column in the
/// row type's [`BillRow::COLUMNS`]; what no field takes is the row's `extra`.
pub struct Columns<'a> {
    line: u64,
    record: Record<'a>,
    resolved: &'a Resolved,
}

impl<'a> Columns<'a> {
    pub(crate) fn new(resolved: &'a Resolved, record: Record<'a>) -> Result<Self, BillError> {
        if record.len() != resolved.names.len() {
            return Err(BillError::Layout {
                line: record.line,
                reason: format!(
                    "{} values for {} columns",
                    record.len(),
                    resolved.names.len()
                ),
            });
        }
        Ok(Self {
            line: record.line,
            record,
            resolved,
        })
    }

    /// The value of the row type's column `column`, its backtick stripped, if the header has it.
    fn take(&self, column: usize) -> Option<&'a str> {
        let index = (*self.resolved.positions.get(column)?)?;
        let value = self.record.field(index)?;
        Some(value.strip_prefix('`').unwrap_or(value).trim())
    }

    fn error(&self, column: usize, reason: String) -> BillError {
        BillError::Row {
            line: self.line,
            column: self
                .resolved
                .wanted
                .get(column)
                .copied()
                .unwrap_or_default()
                .to_owned(),
            reason,
        }
    }

    /// A column every bill of this type has, as it is.
    pub(crate) fn value(&self, column: usize) -> Result<&'a str, BillError> {
        self.take(column)
            .ok_or_else(|| self.error(column, "no such column in the header row".to_owned()))
    }

    /// A column some bills lack, or an empty value (or one of `none`): `None`.
    pub(crate) fn optional(&self, column: usize, none: &[&str]) -> Option<&'a str> {
        self.take(column)
            .filter(|v| !v.is_empty() && !none.contains(v))
    }

    /// A column every bill of this type has.
    pub(crate) fn text(&self, column: usize) -> Result<String, BillError> {
        self.value(column).map(str::to_owned)
    }

    /// A column some bills lack, or an empty value (or one of `none`): `None`.
    pub(crate) fn optional_text(&self, column: usize, none: &[&str]) -> Option<String> {
        self.optional(column, none).map(str::to_owned)
    }

    /// A column every bill of this type has, parsed as `C`.
    pub(crate) fn cell<C: Cell>(&self, column: usize) -> Result<C::Value, BillError> {
        C::parse(self.value(column)?).map_err(|reason| self.error(column, reason))
    }

    /// A column some bills lack, or an empty value (`None`), parsed as `C`.
    pub(crate) fn optional_cell<C: Cell>(
        &self,
        column: usize,
    ) -> Result<Option<C::Value>, BillError> {
        self.optional(column, &[])
            .map(C::parse)
            .transpose()
            .map_err(|reason| self.error(column, reason))
    }

    /// What no typed field took, by column name.
    pub(crate) fn extra(&self) -> BTreeMap<String, String> {
        self.resolved
            .unclaimed
            .iter()
            .filter_map(|index| {
                let name = self.resolved.names.get(*index)?;
                let value = self.record.field(*index)?;
                let value = value.strip_prefix('`').unwrap_or(value).trim();
                Some((name.clone(), value.to_owned()))
            })
            .collect()
    }
}

/// How a column's text becomes its value (the column types of schema/README.md, "File
/// layouts", other than text and enums).
pub(crate) trait Cell {
    type Value;
    fn parse(text: &str) -> Result<Self::Value, String>;
}

/// An amount in yuan with two decimals, in fen.
pub(crate) struct Fen;

impl Cell for Fen {
    type Value = i64;
    fn parse(text: &str) -> Result<i64, String> {
        scaled(text, 2)
    }
}

/// An amount in yuan with up to five decimals (a fee), in thousandths of a fen.
pub(crate) struct Millifen;

impl Cell for Millifen {
    type Value = i64;
    fn parse(text: &str) -> Result<i64, String> {
        scaled(text, 5)
    }
}

/// A count.
pub(crate) struct Count;

impl Cell for Count {
    type Value = u64;
    fn parse(text: &str) -> Result<u64, String> {
        text.parse().map_err(|_| format!("{text:?} is not a count"))
    }
}

/// A time `YYYY-MM-DD HH:MM:SS` in Beijing time, with its offset.
pub(crate) struct Time;

impl Cell for Time {
    type Value = DateTime<FixedOffset>;
    fn parse(text: &str) -> Result<DateTime<FixedOffset>, String> {
        beijing_time(text)
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

/// A typed row of a bill, made from its columns by name: the row types are generated from the
/// 下载账单 page's column tables (`bills::TradeBillRow`, `bills::FundFlowBillRow`, their
/// summaries).
pub trait BillRow: Sized {
    /// The columns the type reads, by their header names; [`Columns`] reads them by position in
    /// this list.
    const COLUMNS: &'static [&'static str];

    /// Reads the row from its columns; what it does not take is its `extra`.
    fn from_columns(columns: Columns<'_>) -> Result<Self, BillError>;
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
            let mut fields: Vec<Vec<String>> = Vec::new();
            let mut lines = Vec::new();
            let mut each = |record: Record<'_>| {
                fields.push(record.fields().map(str::to_owned).collect());
                lines.push(record.line);
            };
            for piece in text.as_bytes().chunks(chunk) {
                splitter.feed(piece, &mut each).unwrap();
            }
            splitter.feed(&[], &mut each).unwrap();
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
            assert_eq!(lines, [1, 2, 4, 5], "chunk {chunk}");
        }
    }

    #[test]
    fn lines_are_counted_the_same_with_crlf_and_a_row_of_commas_is_bounded() {
        for text in [
            "a,b\r\n`1,`2\r\n\r\n总,数\r\n`2,`3\r\n",
            "a,b\r\n`1,`2\r\n\r\n总,数\r\n`2,`3",
        ] {
            for chunk in [1, 3, 100] {
                let mut splitter = Splitter::new();
                let mut lines = Vec::new();
                for piece in text.as_bytes().chunks(chunk) {
                    splitter
                        .feed(piece, |r: Record<'_>| lines.push(r.line))
                        .unwrap();
                }
                splitter
                    .feed(&[], |r: Record<'_>| lines.push(r.line))
                    .unwrap();
                assert_eq!(lines, [1, 2, 4, 5], "{text:?} by {chunk}");
            }
        }
        let commas = vec![b','; MAX_FIELDS * 2];
        let mut splitter = Splitter::new();
        let error = splitter.feed(&commas, |_| {}).unwrap_err();
        assert!(
            error.to_string().contains("more than 4096 values"),
            "{error}"
        );
    }
}
