//! The binary driven from outside this workspace's code, by the published SDKs of two other
//! languages in their public-key mode: Python's wechatpayv3 2.0.4 and Node's
//! wechatpay-axios-plugin (the version tests/other_language/sdk_node/package.json pins). Each
//! SDK, from a script in tests/other_language, adds a receiver and makes a split (电商收付通 请求
//! 分账) of a paid transaction added over the control plane, sees it go from PROCESSING to
//! FINISHED when the control plane advances the clock, reports a fault asked for in-band
//! (`Wechatpay-Sandbox-Fault`) and one set over the control plane with their status and code,
//! and refuses an answer whose body does not match its signature. A notify handler made with the
//! same SDK, where `--notify-url` points, turns away two spoiled attempts of the split's 分账动账
//! 通知 and verifies and decrypts the third, which the sandbox lists as received.
//!
//! Without the SDKs installed these tests fail, saying how to install them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::{Sandbox, Scratch};
use serde_json::{Value, json};

const PYTHON_SDK_VERSION: &str = "2.0.4";
const NODE_SDK: &str = "wechatpay-axios-plugin";

/// Where the scripts are: the workspace's tests/other_language.
fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/other_language")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The sandbox with a frozen clock, splits PROCESSING for 3 s of it, and notifications sent to
/// `notify_url`, its credentials written into `dir`.
fn start(dir: &Path, notify_url: &str) -> Sandbox {
    common::start_in(
        dir,
        &[
            "--clock-speed",
            "0",
            "--processing-delay",
            "3",
            "--notify-url",
            notify_url,
        ],
    )
}

/// A notify handler started with `command`: its URL, and its lines after the port it printed.
fn receiver(command: &mut Command) -> (String, Receiver<String>, Killed) {
    let mut child = command
        .current_dir(workspace())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the notify handler starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let child = Killed(child);
    let port = lines
        .next()
        .expect("the notify handler prints its port (its error is above)")
        .unwrap();
    let url = format!("http://127.0.0.1:{}/notify", port.trim());
    let (sender, received) = channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    (url, received, child)
}

/// Runs a client script to its end (at most 60 s): its stdout, once it exited with success.
fn run(command: &mut Command) -> String {
    let mut child = command
        .current_dir(workspace())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client script starts");
    let pipes = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ];
    let readers: Vec<_> = pipes
        .into_iter()
        .map(|pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.unwrap().read_to_string(&mut text);
                text
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let [stdout, stderr]: [String; 2] = readers
        .into_iter()
        .map(|r| r.join().unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "the client script {}: {status:?}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        if status.is_none() {
            "ran over 60 s"
        } else {
            "failed"
        }
    );
    stdout
}

/// A script's lines as (step, what): the step name, then the rest with its padding trimmed.
fn steps(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .map(|line| {
            let (step, what) = line.split_once(' ').unwrap_or((line, ""));
            (step.to_owned(), what.trim().to_owned())
        })
        .collect()
}

/// What both scripts print for the split `out_order_no`, up to the notifications; `refused` is
/// how the SDK says the tampered answer's signature does not hold.
fn expected_steps(out_order_no: &str, refused: &str) -> Vec<(String, String)> {
    [
        ("add_receiver", "MERCHANT_ID 190001001".to_owned()),
        ("fault_in_band", "500 SYSTEM_ERROR, no split".to_owned()),
        (
            "create_order",
            format!("{out_order_no} PROCESSING 190001001:300:PENDING"),
        ),
        ("fault_control_plane", "429 FREQUENCY_LIMITED".to_owned()),
        ("fault_tamper_body", format!("refused: {refused}")),
        (
            "query_order",
            format!("{out_order_no} PROCESSING 190001001:300:PENDING"),
        ),
        ("clock_advance", "5 s".to_owned()),
        (
            "query_order",
            format!("{out_order_no} FINISHED 190001001:300:SUCCESS, finish_time set"),
        ),
    ]
    .into_iter()
    .map(|(step, what)| (step.to_owned(), what))
    .collect()
}

/// Checks a script's transcript and what its notify handler printed: two attempts turned away
/// (with `rejections`, what the handler said), then the third verified and decrypted, the
/// sandbox listing all three under one id, only the third received.
fn check(
    stdout: &str,
    handler: &Receiver<String>,
    sandbox: &Sandbox,
    out_order_no: &str,
    transaction_id: &str,
    refused: &str,
    rejections: [&str; 2],
) {
    let mut got = steps(stdout);
    assert!(got.len() > 8, "{stdout}");
    let notifications = got.split_off(8);
    assert_eq!(got, expected_steps(out_order_no, refused), "{stdout}");

    // The sandbox's deliveries: `notification ID EVENT #ATTEMPT STATUS received|not received FAULT`.
    let deliveries: Vec<(&str, &str)> = notifications
        .iter()
        .map(|(step, what)| {
            assert_eq!(step, "notification", "{stdout}");
            what.split_once(' ').unwrap()
        })
        .collect();
    let id = deliveries[0].0;
    assert!(id.starts_with("EV-"), "{stdout}");
    assert_eq!(
        deliveries,
        [
            (id, "PROFITSHARING.SUCCESS #1 400 not received TamperBody"),
            (
                id,
                "PROFITSHARING.SUCCESS #2 400 not received TamperCiphertext"
            ),
            (id, "PROFITSHARING.SUCCESS #3 204 received no fault"),
        ],
        "{stdout}"
    );

    // What the handler made of each attempt, with the SDK's verification and decryption.
    let lines: Vec<Value> = (0..3)
        .map(|_| {
            let line = handler
                .recv_timeout(Duration::from_secs(10))
                .expect("the notify handler printed a line per attempt");
            serde_json::from_str(&line).unwrap()
        })
        .collect();
    for (line, rejection) in lines.iter().zip(rejections) {
        assert_eq!(line, &json!({ "error": rejection }));
    }
    let mut notification = lines[2].clone();
    let resource = notification["resource"].as_object_mut().unwrap();
    let order_id = resource.remove("order_id").unwrap();
    let success_time = resource.remove("success_time").unwrap();
    assert!(order_id.as_str().unwrap().starts_with("30"), "{order_id}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(success_time.as_str().unwrap()).is_ok(),
        "{success_time}"
    );
    let mchid = std::fs::read_to_string(sandbox.dir.join("mchid")).unwrap();
    assert_eq!(
        notification,
        json!({
            "id": id,
            "event_type": "PROFITSHARING.SUCCESS",
            "resource": {
                "sp_mchid": mchid.trim(),
                "sub_mchid": "1900000109",
                "transaction_id": transaction_id,
                "out_order_no": out_order_no,
                "receiver": {
                    "type": "MERCHANT_ID",
                    "account": "190001001",
                    "amount": 300,
                    "description": "供应商货款",
                },
            },
        })
    );
}

/// wechatpayv3 at the version the scripts are written for, or a failure saying how to install it.
fn python_sdk() {
    let output = Command::new("python3")
        .args([
            "-c",
            "from importlib.metadata import version; print(version('wechatpayv3'))",
        ])
        .stdin(Stdio::null())
        .output();
    let found = match &output {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            stderr.lines().last().unwrap_or_default().to_owned()
        }
        Err(e) => format!("no python3: {e}"),
    };
    assert_eq!(
        found, PYTHON_SDK_VERSION,
        "the Python SDK wechatpayv3 {PYTHON_SDK_VERSION} is not installed; install it with \
         `python3 -m pip install wechatpayv3=={PYTHON_SDK_VERSION}` (found: {found:?})"
    );
}

/// wechatpay-axios-plugin at the version package.json pins, or a failure saying how to install
/// it.
fn node_sdk() {
    let node = scripts().join("sdk_node");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(node.join("package.json")).unwrap()).unwrap();
    let pinned = manifest["dependencies"][NODE_SDK].as_str().unwrap();
    let installed =
        std::fs::read_to_string(node.join(format!("node_modules/{NODE_SDK}/package.json")))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|installed| installed["version"].as_str().map(str::to_owned));
    assert_eq!(
        installed.as_deref(),
        Some(pinned),
        "the Node SDK {NODE_SDK} {pinned} is not installed; install it with \
         `npm ci --prefix tests/other_language/sdk_node` (from the workspace's root)"
    );
    let version = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js (18 or later) is needed to run the Node SDK: {version:?}"
    );
}

#[test]
fn the_python_sdk_wechatpayv3_splits_sees_the_faults_and_takes_the_notification() {
    python_sdk();
    let scratch = Scratch::new("sdk-python");
    let dir = scratch.0.clone();
    let (url, handler, _handler) = receiver(
        Command::new("python3")
            .arg(scripts().join("sdk_python_receiver.py"))
            .arg(&dir),
    );
    let sandbox = start(&dir, &url);
    let stdout = run(Command::new("python3")
        .arg(scripts().join("sdk_python.py"))
        .args([&sandbox.base_url, dir.to_str().unwrap(), &sandbox.token]));
    check(
        &stdout,
        &handler,
        &sandbox,
        "P-SDK-PY-1",
        "4200000000000000000000000301",
        // core.py raises this when a 2xx answer's signature does not hold.
        "failed to verify the signature",
        // Its callback() gives None for a bad signature and a resource that does not decrypt.
        [
            "ValueError: the SDK's callback turned it away (None)",
            "ValueError: the SDK's callback turned it away (None)",
        ],
    );
}

#[test]
fn the_node_sdk_wechatpay_axios_plugin_splits_sees_the_faults_and_takes_the_notification() {
    node_sdk();
    let scratch = Scratch::new("sdk-node");
    let dir = scratch.0.clone();
    let (url, handler, _handler) = receiver(
        Command::new("node")
            .arg(scripts().join("sdk_node/receiver.js"))
            .arg(&dir),
    );
    let sandbox = start(&dir, &url);
    let stdout = run(Command::new("node")
        .arg(scripts().join("sdk_node/flow.js"))
        .args([&sandbox.base_url, dir.to_str().unwrap(), &sandbox.token]));
    check(
        &stdout,
        &handler,
        &sandbox,
        "P-SDK-NODE-1",
        "4200000000000000000000000302",
        // The code of the plugin's error when an answer's signature does not hold.
        "EV3_RES_HEADER_SIGNATURE_DIGEST",
        [
            "Error: the signature does not verify (Rsa.verify)",
            // Node's crypto, under the plugin's AesGcm.decrypt, when the tag does not match.
            "Error: Unsupported state or unable to authenticate data",
        ],
    );
}
