//! What a client holds, shared by its clones: the lower layers of the transport (the attempts,
//! the certificate waits, the signature slots) work on it, never on the client.

use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderValue;

use super::refresh::CertificateRefresher;
use super::retry::RetryPolicy;
use crate::auth::signing::RequestSigner;
use crate::auth::verify::Verifier;

/// What a client holds; shared by its clones.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// The base URL, parsed once: each call's URL is built from it.
    pub(crate) base_url: reqwest::Url,
    pub(crate) backup_base_url: Option<reqwest::Url>,
    pub(crate) signer: Arc<RequestSigner>,
    pub(crate) verifier: Verifier,
    pub(crate) user_agent: HeaderValue,
    /// `Wechatpay-Serial: PUB_KEY_ID_…`, sent in public-key mode to ask for answers signed with
    /// the WeChat Pay public key.
    pub(crate) public_key_serial: Option<HeaderValue>,
    pub(crate) refresher: Option<CertificateRefresher>,
    pub(crate) retry: RetryPolicy,
    pub(crate) total_deadline: Duration,
    pub(crate) attempt_timeout: Duration,
    /// The most decoding a notification may take, a certificate download it waits for included.
    pub(crate) notification_deadline: Duration,
    pub(crate) max_body_size: usize,
}
