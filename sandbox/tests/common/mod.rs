//! The sandbox binary as the tests (and the qps bench) drive it: started on a free port with its
//! credentials in a folder of their own, called over HTTP with its control token, killed when
//! dropped.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use wechatpay_ecommerce::profit_sharing::{AddReceiverRequest, ReceiverType, RelationType};
use wechatpay_ecommerce::{Client, MerchantKey, WechatPayPublicKey};

/// The sandbox binary on a free port, killed when dropped (and its folder removed, when
/// [`start`] made it).
pub struct Sandbox {
    child: Child,
    pub base_url: String,
    pub token: String,
    pub dir: PathBuf,
    /// Dropped after the process is killed.
    _scratch: Option<Scratch>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder of this test process, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wechatpay-sandbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The sandbox with `flags`, its credentials in a folder of its own named after `name`.
pub fn start(name: &str, flags: &[&str]) -> Sandbox {
    let scratch = Scratch::new(name);
    let mut sandbox = start_in(&scratch.0, flags);
    sandbox._scratch = Some(scratch);
    sandbox
}

/// The sandbox with `flags`, its credentials written into `dir` (made if missing, kept as it
/// is otherwise: a restarted sandbox writes its credentials again).
pub fn start_in(dir: &Path, flags: &[&str]) -> Sandbox {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay-sandbox"))
        .args(["--addr", "127.0.0.1:0", "--credentials-dir"])
        .arg(dir)
        .args(flags)
        .env_remove("WECHATPAY_SANDBOX_TOKEN")
        .env_remove("WECHATPAY_SANDBOX_APIV3_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (Some(Ok(first)), Some(Ok(second))) = (lines.next(), lines.next()) else {
        let status = child.wait().unwrap();
        panic!("the sandbox did not start ({status}); its error is above");
    };
    let base_url = first.strip_prefix("listening on ").unwrap().to_owned();
    let token = second.strip_prefix("control token: ").unwrap().to_owned();
    assert_eq!(read(dir, "sandbox_token"), token);
    Sandbox {
        child,
        base_url,
        token,
        dir: dir.to_owned(),
        _scratch: None,
    }
}

/// The pages' example receiver: a supplier merchant, named.
pub fn supplier() -> AddReceiverRequest {
    AddReceiverRequest::builder()
        .receiver_type(ReceiverType::MerchantId)
        .account("190001001")
        .relation_type(RelationType::Supplier)
        .name("示例商户全称")
        .build()
        .unwrap()
}

/// A file the sandbox wrote, as text.
pub fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// The library's client for the merchant whose credentials are in `dir`, on `base_url`.
pub fn client_from(dir: &Path, base_url: &str) -> Client {
    Client::builder()
        .merchant(
            read(dir, "mchid"),
            read(dir, "merchant_serial_no"),
            MerchantKey::from_pem_file(dir.join("merchant_private_key.pem")).unwrap(),
        )
        .wechatpay_public_key(
            WechatPayPublicKey::from_pem_file(
                read(dir, "public_key_id"),
                dir.join("platform_public_key.pem"),
            )
            .unwrap(),
        )
        .base_url(base_url)
        .build()
        .unwrap()
}

impl Sandbox {
    /// A control call with the token; its status and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_as(method, path, body, Some(&self.token)).await
    }

    /// A control call with `token` (or none); its status and JSON body.
    pub async fn call_as(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut request =
            reqwest::Client::new().request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    /// The library's client for the default merchant, from the credentials the sandbox wrote.
    pub fn client(&self) -> Client {
        client_from(&self.dir, &self.base_url)
    }

    /// Kills the process at once (SIGKILL): nothing it did not write yet is written.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}
