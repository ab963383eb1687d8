//! `cargo xtask bench`: `openssl speed rsa2048`, the criterion benchmarks, the client's CPU time per
//! query (`benches/cpu_per_query.rs`), `openssl speed` of AES-256-GCM and SHA-1 and the bill path
//! (`benches/bills.rs`, with its peak heap), `openssl speed` again, the sandbox binary's requests
//! per second (`sandbox/benches/qps.rs`, against the server it replaced, built from
//! [`QPS_BEFORE_COMMIT`]), then a table of the figures and their ratios to their references,
//! printed and written into BENCHMARKS.md (between its `measured` markers; the analysis around them
//! is kept).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BEGIN: &str = "<!-- measured:begin (written by `cargo xtask bench`) -->";
const END: &str = "<!-- measured:end -->";

/// Why `cargo xtask bench` failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command could not run or failed.
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    /// A criterion estimate is missing or unreadable.
    #[error("cannot read the criterion estimate {}: {message}", path.display())]
    Estimate { path: PathBuf, message: String },
    /// `openssl speed` printed no rsa 2048 line.
    #[error("cannot find the `rsa 2048 bits` line in the output of openssl speed")]
    OpenSslOutput,
    /// `openssl speed -evp` printed no line for it.
    #[error("cannot find the `{0}` line in the output of openssl speed -evp {0}")]
    OpenSslEvp(String),
    /// BENCHMARKS.md could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Signatures and verifications per second, as `openssl speed` measured them.
#[derive(Clone, Copy, Debug)]
struct OpenSsl {
    sign_per_s: f64,
    verify_per_s: f64,
}

fn run(command: &mut Command) -> Result<String, Error> {
    let shown = format!("{command:?}");
    let output = command.output().map_err(|e| Error::Command {
        command: shown.clone(),
        message: e.to_string(),
    })?;
    if !output.status.success() {
        return Err(Error::Command {
            command: shown,
            message: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `openssl speed -seconds 3 rsa2048`, its `rsa 2048 bits … sign/s verify/s` line.
fn openssl_speed() -> Result<OpenSsl, Error> {
    eprintln!("running openssl speed -seconds 3 rsa2048");
    let output = run(Command::new("openssl").args(["speed", "-seconds", "3", "rsa2048"]))?;
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with("rsa 2048 bits"))
        .ok_or(Error::OpenSslOutput)?;
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches('s').parse().ok())
        .collect();
    // rsa 2048 bits <sign s> <verify s> <sign/s> <verify/s>
    match numbers.as_slice() {
        [.., sign_per_s, verify_per_s] => Ok(OpenSsl {
            sign_per_s: *sign_per_s,
            verify_per_s: *verify_per_s,
        }),
        _ => Err(Error::OpenSslOutput),
    }
}

/// `openssl speed -seconds 3 -bytes 16384 -evp CIPHER_OR_DIGEST`: bytes per second, from its
/// last line (`AES-256-GCM  3798055.22k`, in thousands of bytes per second).
fn openssl_bytes_per_s(evp: &str) -> Result<f64, Error> {
    eprintln!("running openssl speed -seconds 3 -bytes 16384 -evp {evp}");
    let output =
        run(Command::new("openssl")
            .args(["speed", "-seconds", "3", "-bytes", "16384", "-evp", evp]))?;
    evp_bytes_per_s(&output, evp).ok_or_else(|| Error::OpenSslEvp(evp.to_owned()))
}

/// The bytes per second of `evp` in the output of `openssl speed -bytes N -evp EVP`.
fn evp_bytes_per_s(output: &str, evp: &str) -> Option<f64> {
    output.lines().rev().find_map(|line| {
        let mut words = line.split_whitespace();
        let name = words.next()?;
        let value = words.last()?.strip_suffix('k')?.parse::<f64>().ok()?;
        name.eq_ignore_ascii_case(evp).then_some(value * 1000.0)
    })
}

/// The bill bench run once more with `BILLS_MEMORY=variant`: (the bill's bytes, the heap's peak
/// during its download).
fn bill_memory(root: &Path, variant: &str) -> Result<(f64, f64), Error> {
    let shown = format!("BILLS_MEMORY={variant} cargo bench --bench bills");
    eprintln!("running {shown}");
    let output = run(Command::new(env!("CARGO"))
        .args(["bench", "--bench", "bills"])
        .env("BILLS_MEMORY", variant)
        .current_dir(root))?;
    let value = |key: &str| {
        output
            .lines()
            .find_map(|l| l.strip_prefix(key)?.trim().parse::<f64>().ok())
            .ok_or_else(|| Error::Command {
                command: shown.clone(),
                message: format!("no `{key}` line in its output"),
            })
    };
    Ok((value("bill_bytes")?, value("peak_bytes")?))
}

/// The bill path's rows: each variant's throughput as a ratio to the slower of OpenSSL's
/// AES-256-GCM and SHA-1, and its peak heap.
fn bill_rows(root: &Path, criterion: &Path, aes: f64, sha1: f64) -> Result<String, Error> {
    let slower = aes.min(sha1);
    let mut rows = format!(
        "\nThe bill path (`benches/bills.rs`): a generated fund flow bill served by the simulator over \
         loopback, downloaded, SHA-1 checked, unpacked, decrypted and parsed into typed rows. \
         OpenSSL in the same run (`openssl speed -seconds 3 -bytes 16384 -evp …`): AES-256-GCM \
         {:.0} MB/s, SHA-1 {:.0} MB/s; the slower is the reference.\n\n\
         | benchmark | bill | median | throughput | ratio to {:.0} MB/s | target ≥ 0.8 | peak heap | target ≤ 64 MB |\n\
         |---|---|---|---|---|---|---|---|\n",
        aes / 1e6,
        sha1 / 1e6,
        slower / 1e6
    );
    for variant in [
        "plain",
        "gzip",
        "gzip_encrypted",
        "gzip_encrypted_bytes",
        "rows_in_memory",
    ] {
        let (bytes, peak) = bill_memory(root, variant)?;
        let ns = median_ns(criterion, &format!("bills/{variant}"))?;
        let per_s = bytes / (ns / 1e9);
        let ratio = per_s / slower;
        rows.push_str(&format!(
            "| `bills/{variant}` | {:.0} MB | {:.0} ms | {:.0} MB/s | {ratio:.3} | {} | {:.1} MB | {} |\n",
            bytes / 1e6,
            ns / 1e6,
            per_s / 1e6,
            verdict(ratio >= 0.8),
            peak / 1e6,
            verdict(peak <= 64e6)
        ));
    }
    Ok(rows)
}

/// The median of a criterion benchmark, in nanoseconds.
fn median_ns(criterion_dir: &Path, id: &str) -> Result<f64, Error> {
    let path = criterion_dir.join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Estimate {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let json: Value = serde_json::from_str(&text).map_err(|e| Error::Estimate {
        path: path.clone(),
        message: e.to_string(),
    })?;
    json.pointer("/median/point_estimate")
        .and_then(Value::as_f64)
        .ok_or_else(|| Error::Estimate {
            path,
            message: "no median.point_estimate".into(),
        })
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A row of the table: the benchmark, its median in µs (to `decimals` places) and per second, then
/// `rest`, the reference, ratio and target cells.
fn row(name: &str, median_ns: f64, decimals: usize, rest: &str) -> String {
    format!(
        "| `{name}` | {:.decimals$} µs | {:.0} | {rest} |\n",
        median_ns / 1e3,
        1e9 / median_ns
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// The commit whose `examples/mock_server.rs` the sandbox binary replaced: the reference its
/// requests per second are measured against.
const QPS_BEFORE_COMMIT: &str = "d710dc650135e06e82e5b4f9ab3e2537c2417e87";

/// The reference server for the qps bench: `examples/mock_server` of [`QPS_BEFORE_COMMIT`], built
/// once (release) into `target/qps-before/` from `git archive`, and reused after.
fn qps_before(root: &Path, target: &Path) -> Result<PathBuf, Error> {
    let dir = target.join("qps-before");
    let binary = dir.join("mock_server");
    if binary.is_file() {
        return Ok(binary);
    }
    let source = dir.join("source");
    let _ = std::fs::remove_dir_all(&source);
    std::fs::create_dir_all(&source).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    eprintln!("building the reference server (mock_server at {QPS_BEFORE_COMMIT})");
    run(Command::new("git")
        .args(["archive", "--format=tar", "-o"])
        .arg(dir.join("source.tar"))
        .arg(QPS_BEFORE_COMMIT)
        .current_dir(root))?;
    run(Command::new("tar")
        .arg("-xf")
        .arg(dir.join("source.tar"))
        .arg("-C")
        .arg(&source))?;
    run(Command::new(env!("CARGO"))
        .args(["build", "--release", "--example", "mock_server"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .current_dir(&source))?;
    std::fs::copy(dir.join("target/release/examples/mock_server"), &binary).map_err(|source| {
        Error::Write {
            path: binary.clone(),
            source,
        }
    })?;
    // The build is 2 GB; the binary is all that is needed.
    let _ = std::fs::remove_dir_all(dir.join("target"));
    let _ = std::fs::remove_dir_all(&source);
    let _ = std::fs::remove_file(dir.join("source.tar"));
    Ok(binary)
}

/// Requests per second, as `sandbox/benches/qps.rs` wrote them.
#[derive(Clone, Copy, Debug)]
struct Qps {
    before: f64,
    sandbox: f64,
    sandbox_data: f64,
    in_flight: u64,
}

fn qps(path: &Path) -> Result<Qps, Error> {
    let json = BenchJson::read(path)?;
    let field = |name: &str| json.number(name);
    Ok(Qps {
        before: field("before")?,
        sandbox: field("sandbox")?,
        sandbox_data: field("sandbox_data")?,
        in_flight: json.in_flight(),
    })
}

/// The qps rows: the sandbox against the server it replaced (target: at least as fast, within
/// the 3 % the rounds differ by), and with `--data` against itself in memory (reported).
fn qps_rows(qps: Qps) -> String {
    let per_request_ns = |per_s: f64| 1e9 / per_s;
    let ratio = qps.sandbox / qps.before;
    let data_ratio = qps.sandbox_data / qps.sandbox;
    let n = qps.in_flight;
    let mut rows = format!(
        "\nThe sandbox binary (`sandbox/benches/qps.rs`): a split and its query, over and over, \
         {n} in flight, each signed and verified, against the sandbox started with its flags; \
         the medians of three rounds of 5 s, the three servers taking turns.\n\n\
         | benchmark | per request | per second | reference | ratio | target |\n\
         |---|---|---|---|---|---|\n"
    );
    rows.push_str(&row(
        "qps/before",
        per_request_ns(qps.before),
        1,
        "mock_server of the commit before the sandbox | | reference",
    ));
    rows.push_str(&row(
        "qps/sandbox",
        per_request_ns(qps.sandbox),
        1,
        &format!(
            "qps/before {:.0}/s | {ratio:.3} | ≥ 0.97, {}",
            qps.before,
            verdict(ratio >= 0.97)
        ),
    ));
    rows.push_str(&row(
        "qps/sandbox_data",
        per_request_ns(qps.sandbox_data),
        1,
        &format!(
            "qps/sandbox {:.0}/s | {data_ratio:.3} | reported (each change on disk before its answer)",
            qps.sandbox
        ),
    ));
    rows
}

/// Runs `cargo bench --bench NAME` in `root`, with `env` set.
fn cargo_bench(root: &Path, name: &str, env: &[(&str, &Path)]) -> Result<(), Error> {
    cargo_bench_in(root, None, name, env)
}

/// Runs `cargo bench [-p PACKAGE] --bench NAME` in `root`, with `env` set.
fn cargo_bench_in(
    root: &Path,
    package: Option<&str>,
    name: &str,
    env: &[(&str, &Path)],
) -> Result<(), Error> {
    let package_args: Vec<&str> = package.map_or_else(Vec::new, |p| vec!["-p", p]);
    let shown = format!(
        "cargo bench {}--bench {name}",
        package.map_or_else(String::new, |p| format!("-p {p} "))
    );
    eprintln!("running {shown}");
    let status = Command::new(env!("CARGO"))
        .arg("bench")
        .args(&package_args)
        .args(["--bench", name])
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| Error::Command {
            command: shown.clone(),
            message: e.to_string(),
        })?;
    if !status.success() {
        return Err(Error::Command {
            command: shown,
            message: status.to_string(),
        });
    }
    Ok(())
}

/// The client's CPU time per query, in µs, as `benches/cpu_per_query.rs` wrote it.
#[derive(Clone, Copy, Debug)]
struct CpuPerQuery {
    sequential: f64,
    concurrent: f64,
    bare_sequential: f64,
    bare_concurrent: f64,
    in_flight: u64,
}

/// A JSON file a bench wrote.
struct BenchJson<'a> {
    path: &'a Path,
    json: Value,
}

impl<'a> BenchJson<'a> {
    fn read(path: &'a Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Self::error(path, e.to_string()))?;
        let json = serde_json::from_str(&text).map_err(|e| Self::error(path, e.to_string()))?;
        Ok(Self { path, json })
    }

    fn error(path: &Path, message: String) -> Error {
        Error::Estimate {
            path: path.to_path_buf(),
            message,
        }
    }

    /// The number `name`.
    fn number(&self, name: &str) -> Result<f64, Error> {
        (self.json.get(name).and_then(Value::as_f64))
            .ok_or_else(|| Self::error(self.path, format!("no number {name}")))
    }

    /// How many requests were in flight (16 unless it says).
    fn in_flight(&self) -> u64 {
        self.json
            .get("in_flight")
            .and_then(Value::as_u64)
            .unwrap_or(16)
    }
}

fn cpu_per_query(path: &Path) -> Result<CpuPerQuery, Error> {
    let json = BenchJson::read(path)?;
    let field = |name: &str| json.number(name);
    Ok(CpuPerQuery {
        sequential: field("sequential_us")?,
        concurrent: field("concurrent_us")?,
        bare_sequential: field("bare_sequential_us")?,
        bare_concurrent: field("bare_concurrent_us")?,
        in_flight: json.in_flight(),
    })
}

/// Runs everything and writes BENCHMARKS.md.
pub fn bench(root: &Path) -> Result<(), Error> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let cpu_json = target.join("cpu-per-query.json");
    let before = openssl_speed()?;
    cargo_bench(root, "client", &[])?;
    cargo_bench(root, "cpu_per_query", &[("CPU_PER_QUERY_OUT", &cpu_json)])?;
    let aes = openssl_bytes_per_s("aes-256-gcm")?;
    let sha1 = openssl_bytes_per_s("sha1")?;
    cargo_bench(root, "bills", &[])?;
    let after = openssl_speed()?;
    let qps_json = target.join("sandbox-qps.json");
    let before_server = qps_before(root, &target)?;
    cargo_bench_in(
        root,
        Some("wechatpay-sandbox"),
        "qps",
        &[
            ("QPS_BEFORE", &before_server),
            ("SANDBOX_QPS_OUT", &qps_json),
        ],
    )?;
    let qps = qps(&qps_json)?;
    let cpu = cpu_per_query(&cpu_json)?;
    let openssl = OpenSsl {
        sign_per_s: (before.sign_per_s + after.sign_per_s) / 2.0,
        verify_per_s: (before.verify_per_s + after.verify_per_s) / 2.0,
    };
    let criterion = target.join("criterion");
    let ns = |id: &str| median_ns(&criterion, id);
    let (sign, verify) = (ns("sign")?, ns("verify")?);
    let (decode_order, decode_return) = (ns("decode/order")?, ns("decode/return_order")?);
    let (signed, bare) = (ns("roundtrip/signed")?, ns("roundtrip/bare")?);
    let (encrypt, create_order) = (ns("encrypt")?, ns("roundtrip/create_order")?);
    let bare_create_order = ns("roundtrip/bare_create_order")?;
    let (refund_apply, bare_refund_apply) = (
        ns("roundtrip/refund_apply")?,
        ns("roundtrip/bare_refund_apply")?,
    );

    let sign_ratio = (1e9 / sign) / openssl.sign_per_s;
    let verify_ratio = (1e9 / verify) / openssl.verify_per_s;
    let openssl_pair_ns = 1e9 / openssl.sign_per_s + 1e9 / openssl.verify_per_s;
    let roundtrip_ratio = signed / (bare + openssl_pair_ns);
    let create_order_ratio = create_order / (bare_create_order + openssl_pair_ns);
    // The same POST from a hand-written client would be signed with OpenSSL, so the simulator
    // would verify it too (the bare POST goes unsigned): one more public-key operation.
    let refund_reference_ns = bare_refund_apply + openssl_pair_ns + 1e9 / openssl.verify_per_s;
    let refund_apply_ratio = refund_apply / refund_reference_ns;
    // An OAEP encryption is one RSA public-key operation, as a verification is.
    let encrypt_ratio = encrypt / (1e9 / openssl.verify_per_s);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut table = String::new();
    table.push_str(&format!(
        "Machine: {} ({cores} cores). OpenSSL: `openssl speed -seconds 3 rsa2048` before and after the \
         benchmarks: {:.0} and {:.0} sign/s, {:.0} and {:.0} verify/s (their means are used below).\n\n",
        cpu_model(),
        before.sign_per_s,
        after.sign_per_s,
        before.verify_per_s,
        after.verify_per_s
    ));
    table.push_str("| benchmark | median | per second | reference | ratio | target |\n|---|---|---|---|---|---|\n");
    table.push_str(&row(
        "sign",
        sign,
        1,
        &format!(
            "OpenSSL {:.0} sign/s | {sign_ratio:.3} | ≥ 0.95, {}",
            openssl.sign_per_s,
            verdict(sign_ratio >= 0.95)
        ),
    ));
    table.push_str(&row(
        "verify",
        verify,
        1,
        &format!(
            "OpenSSL {:.0} verify/s | {verify_ratio:.3} | ≥ 0.90, {}",
            openssl.verify_per_s,
            verdict(verify_ratio >= 0.90)
        ),
    ));
    table.push_str(&row("decode/order", decode_order, 2, "| |"));
    table.push_str(&row("decode/return_order", decode_return, 2, "| |"));
    table.push_str(&row("roundtrip/bare", bare, 1, "| |"));
    table.push_str(&row(
        "roundtrip/signed",
        signed,
        1,
        &format!(
            "bare + OpenSSL sign + verify = {:.1} µs | {roundtrip_ratio:.3} | ≤ 1.15, {}",
            (bare + openssl_pair_ns) / 1e3,
            verdict(roundtrip_ratio <= 1.15)
        ),
    ));
    table.push_str(&row(
        "encrypt",
        encrypt,
        1,
        &format!(
            "one OpenSSL verify (a public-key operation) = {:.1} µs | {encrypt_ratio:.3} | reported",
            1e6 / openssl.verify_per_s
        ),
    ));
    table.push_str(&row(
        "roundtrip/bare_create_order",
        bare_create_order,
        1,
        "| |",
    ));
    table.push_str(&row(
        "roundtrip/create_order",
        create_order,
        1,
        &format!(
            "bare_create_order + OpenSSL sign + verify = {:.1} µs | {create_order_ratio:.3} | ≤ 1.10, {}",
            (bare_create_order + openssl_pair_ns) / 1e3,
            verdict(create_order_ratio <= 1.10)
        ),
    ));
    table.push_str(&row(
        "roundtrip/bare_refund_apply",
        bare_refund_apply,
        1,
        "| |",
    ));
    table.push_str(&row(
        "roundtrip/refund_apply",
        refund_apply,
        1,
        &format!(
            "bare_refund_apply + OpenSSL sign + 2 × verify (the answer's, and the request's by the simulator) = {:.1} µs | {refund_apply_ratio:.3} | ≤ 1.10, {}",
            refund_reference_ns / 1e3,
            verdict(refund_apply_ratio <= 1.10)
        ),
    ));
    for concurrent in [2u32, 8, 64] {
        let batch = ns(&format!("throughput/{concurrent}"))?;
        let per_second = f64::from(concurrent) * 1e9 / batch;
        table.push_str(&format!(
            "| `throughput/{concurrent}` | {:.1} µs per {concurrent} | {per_second:.0} queries | 2 × OpenSSL = {:.0} sign/s | {:.3} | reported |\n",
            batch / 1e3,
            2.0 * openssl.sign_per_s,
            per_second / (2.0 * openssl.sign_per_s)
        ));
    }
    let sign_us = 1e6 / openssl.sign_per_s;
    for (name, us, target_ratio) in [
        ("cpu_per_query/sequential".to_owned(), cpu.sequential, true),
        (
            format!("cpu_per_query/{}_in_flight", cpu.in_flight),
            cpu.concurrent,
            true,
        ),
        (
            "cpu_per_query/bare/sequential".to_owned(),
            cpu.bare_sequential,
            false,
        ),
        (
            format!("cpu_per_query/bare/{}_in_flight", cpu.in_flight),
            cpu.bare_concurrent,
            false,
        ),
    ] {
        let ratio = us / sign_us;
        let rest = if target_ratio {
            format!(
                "one OpenSSL signature = {sign_us:.1} µs | {ratio:.3} | ≤ 1.15, {}",
                verdict(ratio <= 1.15)
            )
        } else {
            format!(
                "one OpenSSL signature = {sign_us:.1} µs | {ratio:.3} | reported (plain reqwest)"
            )
        };
        table.push_str(&row(&name, us * 1e3, 1, &rest));
    }
    table.push_str(&bill_rows(root, &criterion, aes, sha1)?);
    table.push_str(&qps_rows(qps));
    println!("{table}");

    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let measured = format!("{BEGIN}\n{table}{END}");
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{measured}{}",
                old.get(..begin).unwrap_or_default(),
                old.get(end + END.len()..).unwrap_or_default()
            )
        }
        _ => format!("# Benchmarks\n\n{measured}\n{old}"),
    };
    std::fs::write(&path, new).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{evp_bytes_per_s, row};

    #[test]
    fn evp_speeds_are_read_in_bytes_per_second() {
        let output = "The 'numbers' are in 1000s of bytes per second processed.\n\
                      type          16384 bytes\n\
                      AES-256-GCM    3798055.22k\n";
        assert_eq!(
            evp_bytes_per_s(output, "aes-256-gcm"),
            Some(3_798_055_220.0)
        );
        assert_eq!(evp_bytes_per_s(output, "sha1"), None);
        assert_eq!(
            evp_bytes_per_s("type 16384 bytes\nsha1 1886668.80k\n", "sha1"),
            Some(1_886_668_800.0)
        );
    }

    #[test]
    fn rows_have_six_cells_whatever_the_rest_holds() {
        assert_eq!(
            row("decode/order", 987.6, 2, "| |"),
            "| `decode/order` | 0.99 µs | 1012556 | | | |\n"
        );
        assert_eq!(
            row(
                "sign",
                231_400.0,
                1,
                "OpenSSL 4161 sign/s | 1.039 | ≥ 0.95, met"
            ),
            "| `sign` | 231.4 µs | 4322 | OpenSSL 4161 sign/s | 1.039 | ≥ 0.95, met |\n"
        );
    }
}
