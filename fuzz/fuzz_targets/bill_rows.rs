//! Fuzzes the bill reader, which reads a file WeChat Pay does not sign: `BillRows::from_reader`
//! over arbitrary bytes, as a trade bill and as a fund flow bill, handed over in pieces whose
//! sizes the input's first byte picks. No input may panic; each ends in rows and a summary, or in
//! an error.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run bill_rows` (see the README's contributing section).

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use wechatpay_ecommerce::{BillError, BillRows, FundFlowBillRow, FundFlowBillSummary, TradeBillRow, TradeBillSummary};

/// A reader that hands out at most `piece` bytes a call.
struct Pieces {
    bytes: Cursor<Vec<u8>>,
    piece: usize,
}

impl tokio::io::AsyncRead for Pieces {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let piece = self.piece.min(buf.remaining());
        let mut limited = buf.take(piece);
        let polled = std::pin::Pin::new(&mut self.bytes).poll_read(cx, &mut limited);
        let filled = limited.filled().len();
        buf.advance(filled);
        polled
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"))
    })
}

/// Reads every row, errors included (an error in one row does not end the reading), until the
/// end: a bill, a failure that ends the reading, or no summary at the end. Each row takes at
/// least one byte, so a reading that goes on longer than the input is a bug.
async fn read_all<R: wechatpay_ecommerce::BillRow, S: wechatpay_ecommerce::BillRow>(
    mut rows: BillRows<R, S>,
    len: usize,
) {
    for _ in 0..len + 2 {
        match rows.next().await {
            Ok(Some(_)) => {}
            Err(BillError::Failed(_) | BillError::Layout { line: 0, .. }) => return,
            Err(_) => {}
            Ok(None) => return,
        }
    }
    panic!("more rows than bytes");
}

fuzz_target!(|data: &[u8]| {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let piece = usize::from(*first % 64) + 1;
    let reader = |bytes: &[u8]| Pieces {
        bytes: Cursor::new(bytes.to_vec()),
        piece,
    };
    runtime().block_on(async {
        let len = bytes.len();
        read_all(BillRows::<TradeBillRow, TradeBillSummary>::from_reader(reader(bytes)), len).await;
        read_all(
            BillRows::<FundFlowBillRow, FundFlowBillSummary>::from_reader(reader(bytes)),
            len,
        )
        .await;
    });
});
