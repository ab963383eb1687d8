//! The bill path: a generated fund flow bill of `BILL_MB` MB (default 100) served by the simulator
//! over loopback, downloaded, hash-checked, unpacked, decrypted and parsed into typed rows, in
//! three variants (plain, gzip, gzip and encrypted as a sub-merchant bill), the encrypted one as
//! bytes only (no rows), and the rows alone from memory (no download, no checks), to tell the parse
//! from the rest. Criterion measures the time of a
//! whole download; `cargo xtask bench` turns it into throughput, as a ratio to
//! `openssl speed -evp aes-256-gcm` and `openssl speed -evp sha1` measured in the same run.
//!
//! With `BILLS_MEMORY=VARIANT` (`plain`, `gzip`, `gzip_encrypted`, `gzip_encrypted_bytes`,
//! `rows_in_memory`) it
//! runs no benchmark: it downloads that variant once under dhat's heap profiler, started once the
//! simulator serves the file (gzip and encryption done), and prints the heap's peak during the
//! download as `peak_bytes N`: the client's memory, whatever the bill's size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
use wechatpay_ecommerce::bills::{BillAlgorithm, TarType};
use wechatpay_ecommerce::simulator::{Simulator, VerificationMode};
use wechatpay_ecommerce::{BillFile, BillRows, Client, FundFlowBillRow, FundFlowBillSummary};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// A fund flow bill of at least `bytes` bytes: rows like the simulator's, each different.
fn bill(bytes: usize) -> Vec<u8> {
    let mut text = String::with_capacity(bytes + 4096);
    text.push_str("记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号,二级商户号\n");
    let mut rows = 0u64;
    let mut balance = 0i64;
    while text.len() < bytes {
        rows += 1;
        let amount = (rows * 7919 % 100_000) as i64 + 1;
        let income = !rows.is_multiple_of(3);
        balance += if income { amount } else { -amount };
        let _ = writeln!(
            text,
            "`2026-12-04 {:02}:{:02}:{:02},`4200000000202612{rows:012},`4200{rows:024},`分账,`分账,`{},`{}.{:02},`{}{}.{:02},`1900000001API,`分账{}.{:02}元,`3008{rows:024},`19000{:05}",
            rows / 3600 % 24,
            rows / 60 % 60,
            rows % 60,
            if income { "收入" } else { "支出" },
            amount / 100,
            amount % 100,
            if balance < 0 { "-" } else { "" },
            balance.abs() / 100,
            balance.abs() % 100,
            amount / 100,
            amount % 100,
            rows % 100_000,
        );
    }
    text.push_str("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n");
    let _ = writeln!(text, "`{rows},`0,`0.00,`0,`0.00");
    text.into_bytes()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Plain,
    Gzip,
    Encrypted,
    EncryptedBytes,
    /// The original bill's rows read from memory: the parse alone.
    RowsInMemory,
}

const VARIANTS: [Variant; 5] = [
    Variant::Plain,
    Variant::Gzip,
    Variant::Encrypted,
    Variant::EncryptedBytes,
    Variant::RowsInMemory,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Gzip => "gzip",
            Variant::Encrypted => "gzip_encrypted",
            Variant::EncryptedBytes => "gzip_encrypted_bytes",
            Variant::RowsInMemory => "rows_in_memory",
        }
    }
}

/// A variant's bill, served by the simulator: a way to start its download again and again.
enum Served {
    Plain(wechatpay_ecommerce::bills::BillDownload),
    Encrypted(wechatpay_ecommerce::bills::ApplySubMerchantFundFlowBillResponse),
    Memory(std::sync::Arc<[u8]>),
}

fn serve(simulator: &Simulator, original: &[u8], variant: Variant) -> Served {
    match variant {
        Variant::Plain => Served::Plain(simulator.publish_bill(original.to_vec(), None).unwrap()),
        Variant::Gzip => Served::Plain(
            simulator
                .publish_bill(original.to_vec(), Some(TarType::Gzip))
                .unwrap(),
        ),
        Variant::RowsInMemory => Served::Memory(original.into()),
        Variant::Encrypted | Variant::EncryptedBytes => Served::Encrypted(
            simulator
                .publish_sub_merchant_bill(original.to_vec(), Some(TarType::Gzip))
                .unwrap(),
        ),
    }
}

fn open(client: &Client, served: &Served) -> Option<BillFile> {
    match served {
        Served::Plain(applied) => Some(client.download_bill(applied).unwrap()),
        Served::Encrypted(applied) => Some(
            client
                .download_sub_merchant_bill(applied, &BillAlgorithm::AeadAes256Gcm)
                .unwrap(),
        ),
        Served::Memory(_) => None,
    }
}

/// One whole download, every check made: the rows read (or the bytes, for `EncryptedBytes`; or
/// the rows of the bill in memory, for `RowsInMemory`).
async fn download(client: &Client, served: &Served, variant: Variant) -> u64 {
    let mut rows: BillRows<FundFlowBillRow, FundFlowBillSummary> =
        match (open(client, served), served) {
            (Some(mut file), _) if variant == Variant::EncryptedBytes => {
                let mut bytes = 0u64;
                while let Some(chunk) = file.next_chunk().await.unwrap() {
                    bytes += chunk.len() as u64;
                }
                return bytes;
            }
            (Some(file), _) => file.fund_flow_rows(),
            (None, Served::Memory(bill)) => {
                BillRows::from_reader(std::io::Cursor::new(bill.clone()))
            }
            (None, _) => unreachable!("only a bill in memory is not downloaded"),
        };
    let mut count = 0u64;
    while let Some(row) = rows.next().await.unwrap() {
        count += u64::from(row.amount > 0);
    }
    count
}

fn setup() -> (tokio::runtime::Runtime, Simulator, Client, Vec<u8>) {
    let megabytes: usize = std::env::var("BILL_MB")
        .ok()
        .and_then(|mb| mb.parse().ok())
        .unwrap_or(100);
    let original = bill(megabytes << 20);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (simulator, client) = runtime.block_on(async {
        // A clock that stands still: the download URLs never expire during the measurement.
        let simulator = Simulator::builder().clock_speed(0.0).start().await.unwrap();
        let client = simulator
            .client_builder(VerificationMode::PublicKey)
            .unwrap()
            .build()
            .unwrap();
        (simulator, client)
    });
    (runtime, simulator, client, original)
}

fn bills(c: &mut Criterion) {
    let (runtime, simulator, client, original) = setup();
    let mut group = c.benchmark_group("bills");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Bytes(original.len() as u64));
    for variant in VARIANTS {
        let served = serve(&simulator, &original, variant);
        group.bench_function(variant.name(), |b| {
            b.iter(|| runtime.block_on(download(&client, &served, variant)));
        });
    }
    group.finish();
}

/// `BILLS_MEMORY=VARIANT`: one download under the heap profiler, its peak printed.
fn memory(name: &str) {
    let variant = VARIANTS
        .into_iter()
        .find(|v| v.name() == name)
        .expect("BILLS_MEMORY names a variant");
    let (runtime, simulator, client, original) = setup();
    let served = serve(&simulator, &original, variant);
    let size = original.len();
    drop(original);
    let profiler = dhat::Profiler::builder().testing().build();
    runtime.block_on(download(&client, &served, variant));
    let stats = dhat::HeapStats::get();
    drop(profiler);
    println!("bill_bytes {size}");
    println!("peak_bytes {}", stats.max_bytes);
}

criterion_group!(benches, bills);

fn main() {
    if let Ok(variant) = std::env::var("BILLS_MEMORY") {
        memory(&variant);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
