//! The client: validate → sign → send → verify → decode, for every generated operation.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use http::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;

use crate::apiv3_key::ApiV3Key;
use crate::certificates::{
    CertificateStore, CertificatesBody, PlatformCertificate, decrypt_entries,
};
use crate::error::{ApiError, ConfigError, Error};
use crate::merchant_key::MerchantKey;
use crate::operation::{PreparedRequest, Request};
use crate::public_key::WechatPayPublicKey;
use crate::signing::RequestSigner;
use crate::types::{ErrorBody, ErrorCode};
use crate::verify::{
    DEFAULT_TIMESTAMP_WINDOW, HEADER_SERIAL, SignatureHeaders, Verified, Verifier, VerifyError,
};

/// The production host of WeChat Pay API v3.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// The path that lists the platform certificates.
pub const CERTIFICATES_PATH: &str = "/v3/certificates";
/// How often platform certificates are downloaded again, by default.
pub const DEFAULT_CERTIFICATE_REFRESH: Duration = Duration::from_secs(12 * 3600);

/// A WeChat Pay API v3 client for one merchant.
///
/// Each operation of the spec is a method, e.g. [`Client::query_order`] (查询分账结果) and
/// [`Client::query_return_order`] (查询分账回退结果). Every call is validated, signed with the
/// merchant's key, sent, and its answer is accepted only when WeChat Pay's signature verifies.
///
/// Cheap to clone: clones share one connection pool and one set of platform certificates. `Debug`
/// shows no key material.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    signer: RequestSigner,
    verifier: Verifier,
    user_agent: HeaderValue,
    /// `Wechatpay-Serial: PUB_KEY_ID_…`, sent in public-key mode to ask for answers signed with
    /// the WeChat Pay public key.
    public_key_serial: Option<HeaderValue>,
    refresher: Option<CertificateRefresher>,
}

/// A verified, decoded answer, with its HTTP status and `Request-ID`.
#[derive(Clone, Debug)]
pub struct Response<T> {
    data: T,
    status: u16,
    request_id: Option<String>,
    verified: Verified,
}

impl<T> Response<T> {
    /// The decoded answer.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The decoded answer, by value.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The HTTP status, e.g. 200.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Request-ID` header: what WeChat Pay support asks for.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Which key verified the answer.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

/// An answer as received: status, headers and raw body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn request_id(&self) -> Option<String> {
        self.headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl Client {
    /// A builder: give it the merchant's credentials and at least one way to verify answers.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The verifier this client checks answers with, to check notification callbacks with the same
    /// keys and certificates.
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// Validates a request and builds its URL, without sending it.
    pub fn prepare<Q: Request>(&self, request: &Q) -> Result<PreparedRequest<Q::Response>, Error> {
        Ok(PreparedRequest::new(&self.inner.base_url, request)?)
    }

    /// Runs an operation: validate → sign → send → verify → decode. What each generated method calls.
    pub async fn execute<Q: Request>(&self, request: &Q) -> Result<Response<Q::Response>, Error> {
        let prepared = self.prepare(request)?;
        let url = parse_url(prepared.url())?;
        let inner = &self.inner;
        if let Some(refresher) = &inner.refresher {
            refresher.refresh_if_due(inner).await?;
        }
        let answer = inner.send_signed(prepared.method().clone(), url).await?;
        inner.finish(answer).await
    }
}

impl Inner {
    /// Signs and sends one request. The canonical URL is taken from the very `Url` that is sent.
    async fn send_signed(&self, method: http::Method, url: reqwest::Url) -> Result<Answer, Error> {
        let canonical = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let authorization = self.signer.authorize(method.as_str(), &canonical, "")?;
        let authorization =
            HeaderValue::from_str(&authorization.header).map_err(|_| ConfigError::Malformed {
                what: "the merchant id or serial number",
                reason: "not a valid HTTP header value".to_owned(),
                expected: "ASCII digits (mchid) and uppercase hex (serial number)",
            })?;
        let mut builder = self
            .http
            .request(method, url.clone())
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, self.user_agent.clone());
        if let Some(serial) = &self.public_key_serial {
            builder = builder.header(HEADER_SERIAL, serial.clone());
        }
        let transport = |source| Error::Transport {
            url: without_query(&url),
            source,
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Verifies an answer, refreshing the platform certificates once if it names an unknown serial.
    async fn verify(&self, answer: &Answer) -> Result<Verified, Error> {
        let verification = |reason| Error::Verification {
            reason,
            status: answer.status,
            request_id: answer.request_id(),
        };
        let headers = SignatureHeaders::from_headers(&answer.headers).map_err(verification)?;
        let generation = self
            .refresher
            .as_ref()
            .map(|r| r.generation.load(Ordering::Acquire));
        match self
            .verifier
            .verify_at(&headers, &answer.body, SystemTime::now())
        {
            Err(VerifyError::UnknownSerial { .. }) if self.refresher.is_some() => {
                if let (Some(refresher), Some(generation)) = (&self.refresher, generation) {
                    refresher.refresh(self, generation).await?;
                }
                self.verifier
                    .verify_at(&headers, &answer.body, SystemTime::now())
                    .map_err(verification)
            }
            result => result.map_err(verification),
        }
    }

    /// Turns an answer into a verified, decoded response or an error.
    async fn finish<T: DeserializeOwned>(&self, answer: Answer) -> Result<Response<T>, Error> {
        if !(200..300).contains(&answer.status) {
            return Err(self.api_error(answer).await);
        }
        let verified = self.verify(&answer).await?;
        decode(answer, verified)
    }

    /// An error answer: verified when it carries signature headers, decoded when it is JSON.
    async fn api_error(&self, answer: Answer) -> Error {
        let verified = if SignatureHeaders::present(&answer.headers) {
            match self.verify(&answer).await {
                Ok(_) => true,
                Err(error) => return error,
            }
        } else {
            false
        };
        api_error(answer, verified)
    }
}

/// The [`Error::Api`] of an error answer whose verification is settled.
fn api_error(answer: Answer, verified: bool) -> Error {
    let parsed = serde_json::from_slice::<ErrorBody>(&answer.body).ok();
    let request_id = answer.request_id();
    let (code, message, detail) = match parsed {
        Some(body) => (Some(body.code), body.message, body.detail),
        None => (None, String::new(), None),
    };
    Error::Api(Box::new(ApiError {
        status: answer.status,
        code,
        message,
        detail,
        request_id,
        verified,
        body: String::from_utf8_lossy(&answer.body).into_owned(),
    }))
}

fn decode<T: DeserializeOwned>(answer: Answer, verified: Verified) -> Result<Response<T>, Error> {
    let request_id = answer.request_id();
    match serde_json::from_slice(&answer.body) {
        Ok(data) => Ok(Response {
            data,
            status: answer.status,
            request_id,
            verified,
        }),
        Err(source) => Err(Error::Decode {
            source,
            status: answer.status,
            request_id,
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        }),
    }
}

fn parse_url(url: &str) -> Result<reqwest::Url, Error> {
    reqwest::Url::parse(url).map_err(|e| {
        Error::Config(ConfigError::BaseUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    })
}

fn without_query(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

/// Downloads platform certificates: on first use, on a timer, and when an answer names a serial
/// it does not know. Concurrent requests share one download.
struct CertificateRefresher {
    apiv3_key: ApiV3Key,
    store: Arc<CertificateStore>,
    /// Bumped by every completed download; a request that saw an older value knows someone else
    /// refreshed while it waited.
    generation: AtomicU64,
    last: std::sync::Mutex<Option<Instant>>,
    in_flight: tokio::sync::Mutex<()>,
    interval: Duration,
    /// Download before the first request: true when no public key can verify answers meanwhile.
    eager: bool,
}

impl CertificateRefresher {
    fn is_due(&self) -> bool {
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.is_none_or(|last| last.elapsed() >= self.interval)
    }

    /// Downloads when none was done yet (certificate-only mode) or the interval passed. A timed refresh that fails while
    /// valid certificates are known keeps them; the next request tries again.
    async fn refresh_if_due(&self, client: &Inner) -> Result<(), Error> {
        let generation = self.generation.load(Ordering::Acquire);
        // With the public key configured too, certificates are fetched only when an answer names
        // one (a merchant with only the public key must not fail on the download).
        if !self.is_due() || (!self.eager && generation == 0) {
            return Ok(());
        }
        match self.refresh(client, generation).await {
            Err(error) if generation == 0 || self.store.serials().is_empty() => Err(error),
            _ => Ok(()),
        }
    }

    /// Downloads the certificates unless another download completed since `seen` was read.
    async fn refresh(&self, client: &Inner, seen: u64) -> Result<(), Error> {
        let _one_at_a_time = self.in_flight.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return Ok(());
        }
        let certificates = self.download(client, seen == 0).await?;
        self.store.replace(certificates);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// `GET /v3/certificates`, signed; its answer is verified with the certificates it delivers on
    /// the first download, and with the known keys afterwards.
    async fn download(
        &self,
        client: &Inner,
        first: bool,
    ) -> Result<Vec<PlatformCertificate>, Error> {
        let url = parse_url(&format!("{}{CERTIFICATES_PATH}", client.base_url))?;
        let answer = client.send_signed(http::Method::GET, url).await?;
        if !(200..300).contains(&answer.status) {
            // No refresh from inside a refresh: an error answer signed by a certificate not known
            // yet (the first download has none) is reported unverified; a bad signature is still
            // a verification error.
            let verified = match SignatureHeaders::from_headers(&answer.headers) {
                Err(_) => false,
                Ok(headers) => {
                    match client
                        .verifier
                        .verify_at(&headers, &answer.body, SystemTime::now())
                    {
                        Ok(_) => true,
                        Err(VerifyError::UnknownSerial { .. }) => false,
                        Err(reason) => {
                            return Err(Error::Verification {
                                reason,
                                status: answer.status,
                                request_id: answer.request_id(),
                            });
                        }
                    }
                }
            };
            return Err(match api_error(answer, verified) {
                Error::Api(api)
                    if api.status == 404 && api.code == Some(ErrorCode::ResourceNotExists) =>
                {
                    Error::Config(ConfigError::NoPlatformCertificates {
                        request_id: api.request_id,
                    })
                }
                other => other,
            });
        }
        let request_id = answer.request_id();
        let decode_error = |source| Error::Decode {
            source,
            status: answer.status,
            request_id: request_id.clone(),
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        };
        let body: CertificatesBody = serde_json::from_slice(&answer.body).map_err(decode_error)?;
        let now = SystemTime::now();
        let certificates = decrypt_entries(&body, &self.apiv3_key, now).map_err(|e| {
            Error::Config(ConfigError::Certificates {
                reason: e.to_string(),
                request_id: request_id.clone(),
            })
        })?;
        let verification = |reason| Error::Verification {
            reason,
            status: answer.status,
            request_id: request_id.clone(),
        };
        let headers = SignatureHeaders::from_headers(&answer.headers).map_err(verification)?;
        if first {
            let mut verifier = Verifier::new().with_certificates(Arc::new(CertificateStore::new(
                certificates.iter().cloned(),
            )));
            if let Some(key) = client.verifier.public_key() {
                verifier = verifier.with_public_key(key.clone());
            }
            verifier
                .verify_at(&headers, &answer.body, now)
                .map_err(verification)?;
        } else {
            client
                .verifier
                .verify_at(&headers, &answer.body, now)
                .map_err(verification)?;
        }
        Ok(certificates)
    }
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    mchid: Option<String>,
    serial_no: Option<String>,
    key: Option<MerchantKey>,
    public_key: Option<WechatPayPublicKey>,
    apiv3_key: Option<ApiV3Key>,
    certificates: Vec<PlatformCertificate>,
    base_url: Option<String>,
    http: Option<reqwest::Client>,
    timestamp_window: Option<Duration>,
    refresh_interval: Option<Duration>,
}

impl ClientBuilder {
    /// The merchant: its id (`mchid`), its API certificate's serial number (商户API证书序列号) and
    /// its API private key.
    pub fn merchant(
        mut self,
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        key: MerchantKey,
    ) -> Self {
        self.mchid = Some(mchid.into());
        self.serial_no = Some(serial_no.into());
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

    /// Use this reqwest client (proxies, TLS roots, timeouts) instead of a default one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Accept `Wechatpay-Timestamp` at most this far from local time (default 300 s).
    pub fn timestamp_window(mut self, window: Duration) -> Self {
        self.timestamp_window = Some(window);
        self
    }

    /// Download platform certificates again after this long (default 12 h).
    pub fn certificate_refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = Some(interval);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        let mchid = self.mchid.ok_or(ConfigError::Missing(
            "the merchant (ClientBuilder::merchant)",
        ))?;
        let serial_no = self.serial_no.ok_or(ConfigError::Missing(
            "the merchant's certificate serial number",
        ))?;
        let key = self
            .key
            .ok_or(ConfigError::Missing("the merchant private key"))?;
        if mchid.is_empty() || !mchid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::MerchantId { mchid });
        }
        if serial_no.is_empty() || !serial_no.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ConfigError::MerchantSerialNo { serial_no });
        }
        if self.public_key.is_none() && self.apiv3_key.is_none() && self.certificates.is_empty() {
            return Err(ConfigError::NoVerificationSource);
        }
        let base_url = self.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = base_url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base_url).map_err(|e| ConfigError::BaseUrl {
            url: base_url.clone(),
            reason: e.to_string(),
        })?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .build()
                .map_err(ConfigError::HttpClient)?,
        };

        let mut verifier = Verifier::new()
            .with_timestamp_window(self.timestamp_window.unwrap_or(DEFAULT_TIMESTAMP_WINDOW));
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
        if self.apiv3_key.is_some() || !store.serials().is_empty() {
            verifier = verifier.with_certificates(store.clone());
        }
        let eager = public_key_serial.is_none();
        let refresher = self.apiv3_key.map(|apiv3_key| CertificateRefresher {
            eager,
            apiv3_key,
            store,
            generation: AtomicU64::new(0),
            last: std::sync::Mutex::new(None),
            in_flight: tokio::sync::Mutex::new(()),
            interval: self.refresh_interval.unwrap_or(DEFAULT_CERTIFICATE_REFRESH),
        });
        let user_agent = format!(
            "{}/{} ({}; {}) Rust",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        let user_agent =
            HeaderValue::from_str(&user_agent).unwrap_or(HeaderValue::from_static("wechatpay-v3"));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                signer: RequestSigner::new(mchid, serial_no, key),
                verifier,
                user_agent,
                public_key_serial,
                refresher,
            }),
        })
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("signer", &self.inner.signer)
            .field("verifier", &self.inner.verifier)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("key", &self.key)
            .field("public_key", &self.public_key)
            .field("apiv3_key", &self.apiv3_key)
            .field("certificates", &self.certificates)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
