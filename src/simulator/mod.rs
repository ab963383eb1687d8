//! A WeChat Pay API v3 simulator: the server side of the protocol on loopback, for tests and the
//! quickstart (enable the `simulator` feature).
//!
//! It checks each request's signature like the real API, answers the two profit-sharing queries
//! from fixtures (by default the doc pages' examples), signs every answer with the WeChat Pay
//! public key or a platform certificate, and serves `GET /v3/certificates` encrypted with the
//! merchant's APIv3 key. All key material is generated when it starts: nothing is a real key.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use wechatpay_v3::simulator::{Simulator, VerificationMode};
//! use wechatpay_v3::QueryOrderRequest;
//!
//! let simulator = Simulator::start().await?;
//! let client = simulator.client_builder(VerificationMode::PublicKey)?.build()?;
//! let request = QueryOrderRequest::new("1900000109", "4208450740201411110007820472", "P20150806125346");
//! let order = client.query_order(&request).await?;
//! assert_eq!(order.order_id, "3008450740201411110007820472");
//! # Ok(())
//! # }
//! ```

mod keys;
mod server;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::types::{ProfitSharingOrder, ReturnOrder};
use crate::{
    ApiV3Key, ClientBuilder, ConfigError, MerchantKey, PlatformCertificate, WechatPayPublicKey,
};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Key or certificate generation failed.
    #[error("cannot generate the simulator's keys: {0}")]
    Keys(String),
    /// The generated keys did not load (a bug).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Everything a client needs to talk to the simulator. All of it was generated when the simulator
/// started and is for tests only. `Debug` leaves out the private key and the APIv3 key.
#[derive(Clone)]
pub struct Credentials {
    /// The merchant id (商户号).
    pub mchid: String,
    /// The merchant API certificate's serial number.
    pub merchant_serial_no: String,
    /// The merchant's private key, PEM PKCS#8.
    pub merchant_private_key_pem: String,
    /// The merchant's public key, PEM: what the simulator checks request signatures with.
    pub merchant_public_key_pem: String,
    /// The WeChat Pay public key's id, `PUB_KEY_ID_…`.
    pub wechatpay_public_key_id: String,
    /// The WeChat Pay public key, PEM.
    pub wechatpay_public_key_pem: String,
    /// The platform certificate, PEM.
    pub platform_certificate_pem: String,
    /// The platform certificate's serial number, uppercase hex.
    pub platform_certificate_serial: String,
    /// The APIv3 key, 32 characters.
    pub apiv3_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("mchid", &self.mchid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("wechatpay_public_key_id", &self.wechatpay_public_key_id)
            .field(
                "platform_certificate_serial",
                &self.platform_certificate_serial,
            )
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The merchant's private key, loaded.
    pub fn merchant_key(&self) -> Result<MerchantKey, ConfigError> {
        MerchantKey::from_pem(&self.merchant_private_key_pem)
    }

    /// The WeChat Pay public key with its id, loaded.
    pub fn wechatpay_public_key(&self) -> Result<WechatPayPublicKey, ConfigError> {
        WechatPayPublicKey::from_pem(
            &self.wechatpay_public_key_id,
            &self.wechatpay_public_key_pem,
        )
    }

    /// The platform certificate, parsed.
    pub fn platform_certificate(&self) -> Result<PlatformCertificate, ConfigError> {
        PlatformCertificate::from_pem(&self.platform_certificate_pem)
    }

    /// The APIv3 key, loaded.
    pub fn apiv3_key(&self) -> Result<ApiV3Key, ConfigError> {
        ApiV3Key::new(&self.apiv3_key)
    }
}

/// How a client built by [`Simulator::client_builder`] verifies answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationMode {
    /// With the WeChat Pay public key only.
    PublicKey,
    /// With platform certificates downloaded from `GET /v3/certificates` only.
    PlatformCertificates,
    /// With both, as a merchant migrating from certificates to the public key.
    Both,
}

/// Something the simulator does wrong on purpose, for one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and error code instead.
    Status {
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: String,
    },
    /// Leave out the signature headers.
    NoSignature,
    /// Change one byte of the body after signing.
    TamperBody,
    /// Sign with a `WECHATPAY/SIGNTEST/` probe signature.
    SignatureProbe,
    /// Sign with a timestamp this many seconds in the past.
    StaleTimestamp(u64),
    /// Name a serial no key has.
    UnknownSerial,
    /// Answer this status and raw body without signing it, as a proxy in the way would.
    Unsigned {
        /// The HTTP status.
        status: u16,
        /// The body, as sent.
        body: String,
    },
}

/// A request the simulator received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    /// The method.
    pub method: String,
    /// The path and query, as received.
    pub path_and_query: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Wechatpay-Serial` header, if any.
    pub wechatpay_serial: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The status the simulator answered.
    pub status: u16,
}

/// What the simulator holds and how it misbehaves; shared with the server task.
pub(crate) struct State {
    pub credentials: Credentials,
    pub merchant_public_key: aws_lc_rs::signature::ParsedPublicKey,
    pub platform_key: MerchantKey,
    pub public_key_key: MerchantKey,
    pub apiv3_key: ApiV3Key,
    pub data: Mutex<Data>,
}

/// The mutable part of the state.
#[derive(Default)]
pub(crate) struct Data {
    pub orders: Vec<ProfitSharingOrder>,
    pub return_orders: Vec<ReturnOrder>,
    pub faults: VecDeque<Fault>,
    pub seen: Vec<SeenRequest>,
    /// Nonces seen in the last 300 s, with their timestamps.
    pub nonces: HashMap<String, u64>,
    pub no_certificates: bool,
}

impl State {
    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        // A panic in a handler while holding the lock leaves data that is still whole.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running simulator on `127.0.0.1`. It stops when dropped.
pub struct Simulator {
    addr: SocketAddr,
    base_url: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Simulator {
    /// Starts a simulator on a free loopback port, with fresh keys and the doc pages' examples as
    /// fixtures. Must be called inside a Tokio runtime.
    pub async fn start() -> Result<Self, SimulatorError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a simulator on `addr`.
    pub async fn start_on(addr: SocketAddr) -> Result<Self, SimulatorError> {
        let (merchant_private_key_pem, merchant_public_key_pem) = keys::rsa_key_pair()?;
        let (public_key_private_pem, wechatpay_public_key_pem) = keys::rsa_key_pair()?;
        let certificate = keys::platform_certificate(2020, 2099)?;
        let mut apiv3 = [0u8; 16];
        aws_lc_rs::rand::fill(&mut apiv3)
            .map_err(|_| SimulatorError::Keys("no randomness".into()))?;
        let apiv3_key: String = apiv3.iter().map(|b| format!("{b:02x}")).collect();
        let credentials = Credentials {
            mchid: "1900000001".to_owned(),
            merchant_serial_no: "3775B6A45ACD588826D15E583A95F5DD00000001".to_owned(),
            merchant_private_key_pem,
            merchant_public_key_pem: merchant_public_key_pem.clone(),
            wechatpay_public_key_id: "PUB_KEY_ID_0119000000012026112200000000000001".to_owned(),
            wechatpay_public_key_pem,
            platform_certificate_pem: certificate.pem.clone(),
            platform_certificate_serial: certificate.serial.clone(),
            apiv3_key: apiv3_key.clone(),
        };
        let merchant_public_key =
            crate::WechatPayPublicKey::from_pem("PUB_KEY_ID_merchant", &merchant_public_key_pem)?
                .key()
                .clone();
        let state = Arc::new(State {
            credentials,
            merchant_public_key,
            platform_key: MerchantKey::from_pem(&certificate.private_key_pem)?,
            public_key_key: MerchantKey::from_pem(&public_key_private_pem)?,
            apiv3_key: ApiV3Key::new(&apiv3_key)?,
            data: Mutex::new(Data {
                orders: vec![server::doc_order().map_err(fixture)?],
                return_orders: vec![server::doc_return_order().map_err(fixture)?],
                ..Data::default()
            }),
        });
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SimulatorError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimulatorError::Bind { addr, source })?;
        let task = tokio::spawn(server::serve(listener, state.clone()));
        Ok(Self {
            addr,
            base_url: format!("http://{addr}"),
            state,
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credentials a client needs.
    pub fn credentials(&self) -> &Credentials {
        &self.state.credentials
    }

    /// A client builder with the merchant's credentials, this simulator's base URL, and the keys
    /// for `mode`.
    pub fn client_builder(&self, mode: VerificationMode) -> Result<ClientBuilder, ConfigError> {
        let credentials = self.credentials();
        let mut builder = crate::Client::builder()
            .merchant(
                &credentials.mchid,
                &credentials.merchant_serial_no,
                credentials.merchant_key()?,
            )
            .base_url(&self.base_url);
        if mode != VerificationMode::PlatformCertificates {
            builder = builder.wechatpay_public_key(credentials.wechatpay_public_key()?);
        }
        if mode != VerificationMode::PublicKey {
            builder = builder.apiv3_key(credentials.apiv3_key()?);
        }
        Ok(builder)
    }

    /// Makes the next answers misbehave, one fault per answer, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.data().faults.extend(faults);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.data().seen.clone()
    }

    /// Acts as a merchant registered since late 2024: no platform certificates, so
    /// `GET /v3/certificates` answers `404 RESOURCE_NOT_EXISTS`.
    pub fn set_no_certificates(&self, none: bool) {
        self.state.data().no_certificates = none;
    }

    /// Adds or replaces (by `sub_mchid`, `transaction_id`, `out_order_no`) a profit-sharing order.
    pub fn put_order(&self, order: ProfitSharingOrder) {
        let mut data = self.state.data();
        data.orders.retain(|o| {
            (&o.sub_mchid, &o.transaction_id, &o.out_order_no)
                != (&order.sub_mchid, &order.transaction_id, &order.out_order_no)
        });
        data.orders.push(order);
    }

    /// Adds or replaces (by `sub_mchid`, `out_return_no`) a return order.
    pub fn put_return_order(&self, order: ReturnOrder) {
        let mut data = self.state.data();
        data.return_orders.retain(|o| {
            (&o.sub_mchid, &o.out_return_no) != (&order.sub_mchid, &order.out_return_no)
        });
        data.return_orders.push(order);
    }
}

/// A built-in fixture that does not decode into the generated types: a bug in the simulator.
fn fixture(error: serde_json::Error) -> SimulatorError {
    SimulatorError::Keys(format!(
        "a built-in fixture does not match the generated types: {error}"
    ))
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .field("credentials", self.credentials())
            .finish()
    }
}
