//! The binary as a user meets it: `--help` documents every flag `mock_server` had, and a start on
//! a free port prints where it listens and writes the credentials an SDK reads. The whole flow
//! against it, from Rust, Python and the quickstart, is in the library's tests/simulator.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_wechatpay-sandbox");

#[test]
fn help_documents_every_flag() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--addr",
        "--credentials-dir",
        "--mchid",
        "--merchant-serial-no",
        "--merchant-public-key",
        "--fixtures",
        "--transactions",
        "--max-ratio-percent",
        "--processing-delay",
        "--clock-speed",
        "--notify-url",
        "--token",
        "--apiv3-key",
        "--merchants",
        "--data",
        "--version",
    ] {
        let line = help
            .lines()
            .find(|l| {
                l.split(", ")
                    .any(|part| part.trim_start().starts_with(flag))
            })
            .unwrap_or_else(|| panic!("{flag} is not in --help:\n{help}"));
        // Each flag says what it does, on its line or the next.
        let at = help.find(line).unwrap();
        let described = help[at + line.len()..].lines().nth(1).unwrap_or_default();
        assert!(
            line.trim().len() > flag.len() + 12 || !described.trim().is_empty(),
            "{flag} has no description:\n{help}"
        );
    }
}

/// The sandbox started on a free port with its credentials in a fresh folder named after `name`.
fn spawn(name: &str) -> (std::process::Child, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("wechatpay-sandbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let child = Command::new(BINARY)
        .args(["--addr", "127.0.0.1:0", "--credentials-dir"])
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    (child, dir)
}

#[test]
fn it_starts_on_a_free_port_and_writes_the_credentials() {
    let (mut child, dir) = spawn("cli");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let url = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap();
    assert!(url.parse::<u16>().unwrap() > 0, "{line}");
    for file in [
        "mchid",
        "merchant_serial_no",
        "merchant_private_key.pem",
        "platform_public_key.pem",
        "public_key_id",
        "platform_certificate.pem",
        "platform_certificate_serial_no",
        "apiv3_key",
    ] {
        assert!(dir.join(file).is_file(), "{file} was not written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_short_token_is_refused_before_serving() {
    let dir = std::env::temp_dir().join(format!("wechatpay-sandbox-short-{}", std::process::id()));
    let output = Command::new(BINARY)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--token",
            "short",
            "--credentials-dir",
        ])
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("wechatpay-sandbox: ") && stderr.contains("control_token"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing was served");
}

#[test]
fn a_reader_that_stops_after_the_address_does_not_stop_the_server() {
    use std::io::Read;
    let (mut child, dir) = spawn("reader");
    // The first line, a byte at a time (nothing read past it), then the pipe closed.
    let mut stdout = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    drop(stdout);
    let line = String::from_utf8(line).unwrap();
    let addr = line
        .strip_prefix("listening on http://")
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let still_serving = std::net::TcpStream::connect(&addr).is_ok();
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(still_serving && exited.is_none(), "{exited:?}");
}
