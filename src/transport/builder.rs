//! Building a [`Client`]: credentials, verification sources, and the production settings.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::auth::apiv3_key::ApiV3Key;
use crate::auth::certificates::{CertificateStore, PlatformCertificate};
use crate::auth::merchant_certificate::{MerchantCertificate, modulus_fingerprint};
use crate::auth::merchant_key::MerchantKey;
use crate::auth::public_key::WechatPayPublicKey;
use crate::auth::signing::RequestSigner;
use crate::auth::verify::{DEFAULT_TIMESTAMP_WINDOW, Verifier};
use crate::config_error::ConfigError;
use crate::transport::client::{BACKUP_BASE_URL, Client, DEFAULT_BASE_URL};
use crate::transport::inner::Inner;
use crate::transport::refresh::{Backoff, CertificateRefresher, Schedule};
use crate::transport::retry::RetryPolicy;

/// How often platform certificates are downloaded again, by default.
pub const DEFAULT_CERTIFICATE_REFRESH: Duration = Duration::from_secs(12 * 3600);
/// How long a connection may take to open, by default (for the client this crate builds).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one attempt may take, from sending to the whole answer, by default.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call may take across all its attempts and backoffs, by default.
pub const DEFAULT_TOTAL_DEADLINE: Duration = Duration::from_secs(30);
/// The largest answer body read, by default: 1 MiB (the answers of these queries are a few KiB).
pub const DEFAULT_MAX_BODY_SIZE: usize = 1024 * 1024;
/// How long after a failed platform certificate download the next one may start, by default; it
/// doubles after each further failure, up to [`DEFAULT_CERTIFICATE_BACKOFF_MAX`].
pub const DEFAULT_CERTIFICATE_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between failed platform certificate downloads, by default.
pub const DEFAULT_CERTIFICATE_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// How long after an on-demand platform certificate download (one an unknown serial asked for)
/// the next may start, by default.
pub const DEFAULT_CERTIFICATE_ON_DEMAND_INTERVAL: Duration = Duration::from_secs(60);
/// How long decoding a notification may take, by default: well under the 5 s WeChat Pay waits for
/// the answer.
pub const DEFAULT_NOTIFICATION_DEADLINE: Duration = Duration::from_secs(3);
/// The longest any duration setting may be: a year. Every one is added to the time now somewhere,
/// and a longer one could overflow the clock (or is a unit mistake).
pub const MAX_DURATION_SETTING: Duration = Duration::from_secs(365 * 24 * 3600);

impl Client {
    /// A builder: give it the merchant's credentials and at least one way to verify answers.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    mchid: Option<String>,
    serial_no: Option<String>,
    merchant_certificate: Option<MerchantCertificate>,
    key: Option<MerchantKey>,
    public_key: Option<WechatPayPublicKey>,
    apiv3_key: Option<ApiV3Key>,
    certificates: Vec<PlatformCertificate>,
    base_url: Option<String>,
    backup_base_url: Option<String>,
    http: Option<reqwest::Client>,
    timestamp_window: Option<Duration>,
    refresh_interval: Option<Duration>,
    certificate_backoff: Option<Backoff>,
    on_demand_interval: Option<Duration>,
    notification_deadline: Option<Duration>,
    retry: Option<RetryPolicy>,
    total_deadline: Option<Duration>,
    attempt_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_body_size: Option<usize>,
    notifications: bool,
}

impl ClientBuilder {
    /// The merchant: its id (`mchid`), its API certificate's serial number (商户API证书序列号) and
    /// its API private key.
    ///
    /// The serial number is hex, as the merchant platform shows it; it is sent in upper case
    /// (surrounding whitespace, say a file's newline, is dropped). Anything else is a
    /// [`ConfigError::MerchantSerialNo`] from [`build`](Self::build).
    pub fn merchant(
        mut self,
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        key: MerchantKey,
    ) -> Self {
        self.mchid = Some(mchid.into());
        self.serial_no = Some(serial_no.into());
        self.merchant_certificate = None;
        self.key = Some(key);
        self
    }

    /// The merchant, with its API certificate (`apiclient_cert.pem`) instead of a typed serial
    /// number: the serial number is read from the certificate, and [`build`](Self::build) refuses
    /// a certificate whose public key is not the private key's
    /// ([`ConfigError::MerchantCertificateMismatch`]), the usual cause of `401 SIGN_ERROR` after
    /// a certificate was renewed (更换证书) and only one of the two files was replaced.
    pub fn merchant_with_certificate(
        mut self,
        mchid: impl Into<String>,
        certificate: MerchantCertificate,
        key: MerchantKey,
    ) -> Self {
        self.mchid = Some(mchid.into());
        self.serial_no = None;
        self.merchant_certificate = Some(certificate);
        self.key = Some(key);
        self
    }

    /// Verify answers signed with the WeChat Pay public key (微信支付公钥); requests then carry
    /// `Wechatpay-Serial: PUB_KEY_ID_…` to ask for such answers.
    pub fn wechatpay_public_key(mut self, key: WechatPayPublicKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// Verify answers signed with platform certificates (平台证书), downloaded from
    /// `GET /v3/certificates` and decrypted with this APIv3 key (APIv3密钥).
    pub fn apiv3_key(mut self, key: ApiV3Key) -> Self {
        self.apiv3_key = Some(key);
        self
    }

    /// This client decodes notifications ([`Client::decode_notification`]): their resource is
    /// decrypted with the APIv3 key, which [`build`](Self::build) then requires, in public-key
    /// mode too, so that a missing key shows at start-up and not at the first notification.
    pub fn notifications(mut self, enabled: bool) -> Self {
        self.notifications = enabled;
        self
    }

    /// A platform certificate to trust, given instead of (or before) downloading them.
    pub fn platform_certificate(mut self, certificate: PlatformCertificate) -> Self {
        self.certificates.push(certificate);
        self
    }

    /// Send requests to another host, e.g. the simulator on loopback (default
    /// [`DEFAULT_BASE_URL`]). A trailing `/` is ignored.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// After a connection failure or a timeout, send the next attempts of the call to WeChat Pay's
    /// documented backup host, [`BACKUP_BASE_URL`] (default: off). A backup host already given
    /// with [`backup_base_url`](Self::backup_base_url) is kept; `false` removes either.
    pub fn failover(mut self, enabled: bool) -> Self {
        if enabled {
            self.backup_base_url
                .get_or_insert_with(|| BACKUP_BASE_URL.to_owned());
        } else {
            self.backup_base_url = None;
        }
        self
    }

    /// Like [`failover`](Self::failover), to another backup host (a test server, a proxy).
    pub fn backup_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.backup_base_url = Some(base_url.into());
        self
    }

    /// Use this reqwest client (proxies, TLS roots, pool settings) instead of one built here. Its
    /// own connect timeout and redirect policy apply (give it `redirect::Policy::none()`, as the
    /// client built here has: the API never redirects, and a redirect would carry a signed request
    /// elsewhere); the attempt timeout is set on every request. [`connect_timeout`] cannot be
    /// combined with it.
    ///
    /// [`connect_timeout`]: Self::connect_timeout
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Retry calls as `policy` says (default [`RetryPolicy::default`]: 3 attempts).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Never retry: one attempt per call.
    pub fn no_retries(self) -> Self {
        self.retry_policy(RetryPolicy::none())
    }

    /// The most a call may take, all attempts and backoffs included (default 30 s).
    pub fn total_deadline(mut self, deadline: Duration) -> Self {
        self.total_deadline = Some(deadline);
        self
    }

    /// The most one attempt may take, from sending to the whole answer (default 10 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The most opening a connection may take (default 5 s); for the reqwest client built here.
    /// With [`http_client`](Self::http_client), set it on that client instead: `build` refuses
    /// both ([`ConfigError::Conflict`]) rather than drop one silently.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The largest answer body read (default 1 MiB); a larger one is [`Error::BodyTooLarge`].
    ///
    /// [`Error::BodyTooLarge`]: crate::Error::BodyTooLarge
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// Accept `Wechatpay-Timestamp` at most this far from local time (default 300 s).
    pub fn timestamp_window(mut self, window: Duration) -> Self {
        self.timestamp_window = Some(window);
        self
    }

    /// Download platform certificates again after this long (default 12 h). The download runs
    /// beside the calls, which go on verifying with the certificates held.
    pub fn certificate_refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = Some(interval);
        self
    }

    /// After a failed platform certificate download, start none before `initial` has passed,
    /// doubling after each further failure up to `max` (defaults
    /// [`DEFAULT_CERTIFICATE_BACKOFF`] and [`DEFAULT_CERTIFICATE_BACKOFF_MAX`]).
    pub fn certificate_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.certificate_backoff = Some(Backoff {
            initial,
            max: max.max(initial),
        });
        self
    }

    /// Start at most one on-demand platform certificate download per `interval` (default
    /// [`DEFAULT_CERTIFICATE_ON_DEMAND_INTERVAL`], 60 s), whatever became of the last: the
    /// download an answer or a notification naming a serial the client does not hold asks for.
    /// Notifications come to a public URL, so anyone can send one naming a new serial; within the
    /// interval such a serial is refused at once ([`VerifyError::UnknownSerial`]) instead of
    /// costing a download. A caller that comes while a download runs still shares it, and the
    /// timed refresh ([`certificate_refresh_interval`](Self::certificate_refresh_interval)) is not
    /// limited: WeChat Pay lists a new certificate well before it signs with it, so the timed
    /// refresh is what normally brings it. `Duration::ZERO` removes the limit.
    ///
    /// [`VerifyError::UnknownSerial`]: crate::VerifyError::UnknownSerial
    pub fn certificate_on_demand_interval(mut self, interval: Duration) -> Self {
        self.on_demand_interval = Some(interval);
        self
    }

    /// The most [`Client::decode_notification`] may take (default
    /// [`DEFAULT_NOTIFICATION_DEADLINE`], 3 s), a platform certificate download it waits for
    /// included: WeChat Pay waits 5 s for the answer, and counts a notification not answered in
    /// time as failed.
    pub fn notification_deadline(mut self, deadline: Duration) -> Self {
        self.notification_deadline = Some(deadline);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming what is missing or wrong: credentials, keys, the base URL, or a
    /// duration setting out of range ([`ConfigError::Duration`]: zero where time is needed, or
    /// more than [`MAX_DURATION_SETTING`]).
    pub fn build(self) -> Result<Client, ConfigError> {
        let durations = self.durations()?;
        let mchid = self.mchid.ok_or(ConfigError::Missing(
            "the merchant (ClientBuilder::merchant)",
        ))?;
        let key = self
            .key
            .ok_or(ConfigError::Missing("the merchant private key"))?;
        if mchid.is_empty() || !mchid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::MerchantId { mchid });
        }
        let serial_no = match (self.serial_no, &self.merchant_certificate) {
            (_, Some(certificate)) => {
                if !certificate.has_key(key.public_key_der()) {
                    return Err(ConfigError::MerchantCertificateMismatch {
                        certificate_serial: certificate.serial().to_owned(),
                        certificate_modulus: certificate.key_fingerprint(),
                        private_key_modulus: modulus_fingerprint(key.public_key_der()),
                    });
                }
                certificate.serial().to_owned()
            }
            (Some(serial_no), None) => normalize_serial_no(&serial_no)?,
            (None, None) => {
                return Err(ConfigError::Missing(
                    "the merchant's certificate serial number",
                ));
            }
        };
        if self.notifications && self.apiv3_key.is_none() {
            return Err(ConfigError::Missing(
                "the APIv3 key (ClientBuilder::apiv3_key), which decrypts notifications \
                 (ClientBuilder::notifications), in public-key mode too",
            ));
        }
        if self.public_key.is_none() && self.apiv3_key.is_none() && self.certificates.is_empty() {
            return Err(ConfigError::NoVerificationSource);
        }
        let base_url = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let backup_base_url = self
            .backup_base_url
            .as_deref()
            .map(parse_base_url)
            .transpose()?;
        let http = match (self.http, durations.connect_timeout) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Conflict {
                    settings: "connect_timeout and http_client",
                    fix: "set the connect timeout on your reqwest::ClientBuilder, \
                          or let this builder make the HTTP client",
                });
            }
            (Some(http), None) => http,
            // The API never redirects; following one would send a signed request elsewhere.
            (None, connect_timeout) => reqwest::Client::builder()
                .connect_timeout(connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(ConfigError::HttpClient)?,
        };

        let mut verifier = Verifier::new().with_timestamp_window(durations.timestamp_window);
        let public_key_serial = match &self.public_key {
            Some(key) => {
                Some(
                    HeaderValue::from_str(key.id()).map_err(|_| ConfigError::PublicKeyId {
                        id: key.id().to_owned(),
                    })?,
                )
            }
            None => None,
        };
        if let Some(key) = self.public_key {
            verifier = verifier.with_public_key(key);
        }
        let store = Arc::new(CertificateStore::new(self.certificates));
        if self.apiv3_key.is_some() || !store.is_empty() {
            verifier = verifier.with_certificates(store.clone());
        }
        let eager = public_key_serial.is_none();
        let refresher = self.apiv3_key.map(|key| {
            CertificateRefresher::new(
                key,
                store,
                Schedule {
                    interval: durations.refresh_interval,
                    backoff: durations.certificate_backoff,
                    on_demand_interval: durations.on_demand_interval,
                },
                eager,
            )
        });
        let user_agent = format!(
            "{}/{} ({}; {}) Rust",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        let user_agent = HeaderValue::from_str(&user_agent)
            .unwrap_or(HeaderValue::from_static("wechatpay-ecommerce"));
        Ok(Client::from_inner(Inner {
            http,
            base_url,
            backup_base_url,
            signer: Arc::new(RequestSigner::new(mchid, serial_no, key)),
            verifier,
            user_agent,
            public_key_serial,
            refresher,
            retry: durations.retry,
            total_deadline: durations.total_deadline,
            attempt_timeout: durations.attempt_timeout,
            notification_deadline: durations.notification_deadline,
            max_body_size: self.max_body_size.unwrap_or(DEFAULT_MAX_BODY_SIZE),
        }))
    }

    /// Every duration setting, defaults filled in, each checked: none may overflow the clock it is
    /// added to, and the deadlines and timeouts must leave some time.
    fn durations(&self) -> Result<Durations, ConfigError> {
        let retry = self.retry.unwrap_or_default();
        let backoff = self.certificate_backoff.unwrap_or(Backoff {
            initial: DEFAULT_CERTIFICATE_BACKOFF,
            max: DEFAULT_CERTIFICATE_BACKOFF_MAX,
        });
        let positive = |setting, value| checked(setting, value, false);
        let any = |setting, value| checked(setting, value, true);
        any("certificate_backoff (initial)", backoff.initial)?;
        any("certificate_backoff (max)", backoff.max)?;
        any("retry_policy (initial backoff)", retry.initial_backoff)?;
        any("retry_policy (max backoff)", retry.max_backoff)?;
        Ok(Durations {
            total_deadline: positive(
                "total_deadline",
                self.total_deadline.unwrap_or(DEFAULT_TOTAL_DEADLINE),
            )?,
            attempt_timeout: positive(
                "attempt_timeout",
                self.attempt_timeout.unwrap_or(DEFAULT_ATTEMPT_TIMEOUT),
            )?,
            // Whether one was given matters: with `http_client` it is a conflict.
            connect_timeout: self
                .connect_timeout
                .map(|timeout| positive("connect_timeout", timeout))
                .transpose()?,
            notification_deadline: positive(
                "notification_deadline",
                self.notification_deadline
                    .unwrap_or(DEFAULT_NOTIFICATION_DEADLINE),
            )?,
            refresh_interval: positive(
                "certificate_refresh_interval",
                self.refresh_interval.unwrap_or(DEFAULT_CERTIFICATE_REFRESH),
            )?,
            timestamp_window: any(
                "timestamp_window",
                self.timestamp_window.unwrap_or(DEFAULT_TIMESTAMP_WINDOW),
            )?,
            certificate_backoff: backoff,
            on_demand_interval: any(
                "certificate_on_demand_interval",
                self.on_demand_interval
                    .unwrap_or(DEFAULT_CERTIFICATE_ON_DEMAND_INTERVAL),
            )?,
            retry,
        })
    }
}

/// `value` of the duration `setting` when it is in range: at most [`MAX_DURATION_SETTING`], and
/// more than zero unless `zero_allowed`.
fn checked(
    setting: &'static str,
    value: Duration,
    zero_allowed: bool,
) -> Result<Duration, ConfigError> {
    let expected = if value.is_zero() && !zero_allowed {
        "more than zero"
    } else if value > MAX_DURATION_SETTING {
        "at most a year (365 days)"
    } else {
        return Ok(value);
    };
    Err(ConfigError::Duration {
        setting,
        value,
        expected,
    })
}

/// The duration settings of a client, checked.
struct Durations {
    total_deadline: Duration,
    attempt_timeout: Duration,
    /// The connect timeout given to the builder, if one was.
    connect_timeout: Option<Duration>,
    notification_deadline: Duration,
    refresh_interval: Duration,
    timestamp_window: Duration,
    on_demand_interval: Duration,
    certificate_backoff: Backoff,
    retry: RetryPolicy,
}

/// The merchant certificate serial number as WeChat Pay issues it: upper-case hex.
fn normalize_serial_no(serial_no: &str) -> Result<String, ConfigError> {
    let trimmed = serial_no.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ConfigError::MerchantSerialNo {
            serial_no: serial_no.to_owned(),
        });
    }
    Ok(trimmed.to_ascii_uppercase())
}

/// A base URL, parsed; a trailing `/` is ignored.
fn parse_base_url(url: &str) -> Result<reqwest::Url, ConfigError> {
    let url = url.trim_end_matches('/');
    let parsed = reqwest::Url::parse(url).map_err(|e| ConfigError::BaseUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if parsed.cannot_be_a_base() || !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::BaseUrl {
            url: url.to_owned(),
            reason: "not an http or https URL".to_owned(),
        });
    }
    Ok(parsed)
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("merchant_certificate", &self.merchant_certificate)
            .field("key", &self.key)
            .field("public_key", &self.public_key)
            .field("apiv3_key", &self.apiv3_key)
            .field("certificates", &self.certificates)
            .field("base_url", &self.base_url)
            .field("backup_base_url", &self.backup_base_url)
            .field("notifications", &self.notifications)
            .finish_non_exhaustive()
    }
}
