//! The bill reader on generated fund flow bills: whatever the values and however the bytes are
//! cut, the rows are the values written (amounts as exact fen, the direction, a column the crate
//! does not know in `extra`), and a value that does not parse is an error naming its line and
//! column, in that row's place.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Cursor;
use std::pin::Pin;
use std::task::{Context, Poll};

use proptest::prelude::*;
use tokio::io::{AsyncRead, ReadBuf};
use wechatpay_ecommerce::{
    BillError, BillRows, FlowDirection, FundFlowBillRow, FundFlowBillSummary,
};

/// A reader that hands out at most `piece` bytes a call.
struct Pieces {
    bytes: Cursor<Vec<u8>>,
    piece: usize,
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let piece = self.piece.min(buf.remaining());
        let mut limited = buf.take(piece);
        let polled = Pin::new(&mut self.bytes).poll_read(cx, &mut limited);
        let filled = limited.filled().len();
        buf.advance(filled);
        polled
    }
}

/// One movement as a test writes it.
#[derive(Clone, Debug)]
struct Movement {
    fen: i64,
    income: bool,
    remark: String,
    sub_mchid: String,
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// A fund flow bill of `movements`, with the columns in `order` (a permutation of the page's 11
/// and the sub-merchant bill's `二级商户号`).
fn bill(movements: &[Movement], order: &[usize]) -> String {
    const NAMES: [&str; 12] = [
        "记账时间",
        "微信支付业务单号",
        "资金流水单号",
        "业务名称",
        "业务类型",
        "收支类型",
        "收支金额(元)",
        "账户结余(元)",
        "资金变更提交申请人",
        "备注",
        "业务凭证号",
        "二级商户号",
    ];
    let mut text: String = order
        .iter()
        .map(|i| NAMES[*i])
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    let mut balance = 0;
    for (n, m) in movements.iter().enumerate() {
        balance += if m.income { m.fen } else { -m.fen };
        let values = [
            format!("2026-12-04 10:{:02}:{:02}", n / 60 % 60, n % 60),
            format!("4200{n:024}"),
            format!("5000{n:024}"),
            "分账".to_owned(),
            "分账".to_owned(),
            if m.income { "收入" } else { "支出" }.to_owned(),
            yuan(m.fen),
            yuan(balance),
            "1900000001API".to_owned(),
            m.remark.clone(),
            format!("3008{n:010}"),
            m.sub_mchid.clone(),
        ];
        let row: Vec<String> = order.iter().map(|i| format!("`{}", values[*i])).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let (income, expense): (Vec<&Movement>, Vec<&Movement>) =
        movements.iter().partition(|m| m.income);
    text.push_str("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n");
    text.push_str(&format!(
        "`{},`{},`{},`{},`{}\n",
        movements.len(),
        income.len(),
        yuan(income.iter().map(|m| m.fen).sum()),
        expense.len(),
        yuan(expense.iter().map(|m| m.fen).sum()),
    ));
    text
}

fn rows_of(text: &str, piece: usize) -> BillRows<FundFlowBillRow, FundFlowBillSummary> {
    BillRows::from_reader(Pieces {
        bytes: Cursor::new(text.as_bytes().to_vec()),
        piece,
    })
}

fn movement() -> impl Strategy<Value = Movement> {
    (
        0i64..10_000_000_000,
        any::<bool>(),
        // Remarks with spaces around them: a value is read trimmed.
        "[a-z分账退款 ]{0,12}",
        "[0-9]{10}",
    )
        .prop_map(|(fen, income, remark, sub_mchid)| Movement {
            fen,
            income,
            remark,
            sub_mchid,
        })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(24), ..ProptestConfig::default() })]

    #[test]
    fn rows_are_the_values_written_whatever_the_pieces_and_the_column_order(
        movements in proptest::collection::vec(movement(), 0..40),
        order in Just((0..12).collect::<Vec<usize>>()).prop_shuffle(),
        piece in 1usize..300,
    ) {
        let text = bill(&movements, &order);
        let read = runtime().block_on(async {
            let mut rows = rows_of(&text, piece);
            let mut read = Vec::new();
            while let Some(row) = rows.next().await.unwrap() {
                read.push(row);
            }
            (read, rows.summary().cloned().unwrap())
        });
        let (rows, summary) = read;
        prop_assert_eq!(rows.len(), movements.len());
        for (row, m) in rows.iter().zip(&movements) {
            prop_assert_eq!(row.amount, m.fen);
            let direction = if m.income { FlowDirection::Income } else { FlowDirection::Expense };
            prop_assert_eq!(&row.direction, &direction);
            prop_assert_eq!(&row.remark, m.remark.trim());
            prop_assert_eq!(row.extra.get("二级商户号"), Some(&m.sub_mchid));
            prop_assert_eq!(row.extra.len(), 1);
        }
        prop_assert_eq!(summary.count, movements.len() as u64);
        let income: i64 = movements.iter().filter(|m| m.income).map(|m| m.fen).sum();
        prop_assert_eq!(summary.income, income);
    }
}

#[tokio::test]
async fn a_value_that_does_not_parse_is_an_error_in_its_place_naming_line_and_column() {
    let movements: Vec<Movement> = (1..=3)
        .map(|n| Movement {
            fen: n * 100,
            income: true,
            remark: String::new(),
            sub_mchid: "1900000109".to_owned(),
        })
        .collect();
    let order: Vec<usize> = (0..11).collect();
    // The second record's amount with three decimals: not an amount in fen.
    let text = bill(&movements, &order).replacen("`2.00,", "`2.001,", 1);
    let mut rows = rows_of(&text, 7);
    assert_eq!(rows.next().await.unwrap().unwrap().amount, 100);
    match rows.next().await {
        Err(BillError::Row {
            line,
            column,
            reason,
        }) => {
            assert_eq!(line, 3);
            assert_eq!(column, "收支金额(元)");
            assert!(reason.contains("2.001"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The rows after it are still read, and the reading ends with the summary.
    assert_eq!(rows.next().await.unwrap().unwrap().amount, 300);
    assert!(rows.next().await.unwrap().is_none());
    assert_eq!(rows.summary().unwrap().count, 3);
    // A header without a column every fund flow bill has: the row names it.
    let text = bill(&movements, &order).replacen("记账时间,", "记帐时间,", 1);
    match rows_of(&text, 64).next().await {
        Err(BillError::Row {
            line: 2, column, ..
        }) => assert_eq!(column, "记账时间"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_line_that_breaks_the_file_comes_after_the_rows_before_it_and_ends_the_reading() {
    let movements: Vec<Movement> = (1..=2)
        .map(|n| Movement {
            fen: n * 100,
            income: false,
            remark: String::new(),
            sub_mchid: "1900000109".to_owned(),
        })
        .collect();
    let order: Vec<usize> = (0..11).collect();
    let mut bytes = bill(&movements, &order).into_bytes();
    // The second record's remark is not UTF-8: the file itself is broken there.
    let at = bytes.windows(4).rposition(|w| w == b"API,").unwrap() + 5;
    bytes.insert(at, 0xff);
    let mut rows: BillRows<FundFlowBillRow, FundFlowBillSummary> =
        BillRows::from_reader(Cursor::new(bytes));
    assert_eq!(rows.next().await.unwrap().unwrap().amount, 100);
    match rows.next().await {
        Err(BillError::Layout { line: 3, reason }) => assert!(reason.contains("UTF-8"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(rows.next().await, Err(BillError::Failed(_))));
}
