//! Keeping the platform certificates current: downloaded on first use (certificate-only mode), on
//! a timer, and when an answer names a serial not known yet. Concurrent requests share one download.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::answer::error_answer;
use crate::apiv3_key::ApiV3Key;
use crate::certificates::{
    CertificateStore, CertificatesBody, PlatformCertificate, decrypt_entries,
};
use crate::client::{CERTIFICATES_PATH, Inner};
use crate::error::{ConfigError, Error};
use crate::types::ErrorCode;
use crate::verify::{SignatureHeaders, Verifier};

pub(crate) struct CertificateRefresher {
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
    pub fn new(
        apiv3_key: ApiV3Key,
        store: Arc<CertificateStore>,
        interval: Duration,
        eager: bool,
    ) -> Self {
        Self {
            apiv3_key,
            store,
            generation: AtomicU64::new(0),
            last: std::sync::Mutex::new(None),
            in_flight: tokio::sync::Mutex::new(()),
            interval,
            eager,
        }
    }

    /// The number of completed downloads: read it before verifying, pass it to [`Self::refresh`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn is_due(&self) -> bool {
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.is_none_or(|last| last.elapsed() >= self.interval)
    }

    /// Downloads when none was done yet (certificate-only mode) or the interval passed. A timed
    /// refresh that fails while certificates are known keeps them; a later request tries again.
    pub async fn refresh_if_due(&self, client: &Inner) -> Result<(), Error> {
        let generation = self.generation();
        // With the public key configured too, certificates are fetched only when an answer names
        // one (a merchant with only the public key must not fail on the download).
        if !self.is_due() || (!self.eager && generation == 0) {
            return Ok(());
        }
        match self.refresh(client, generation).await {
            Err(error) if generation == 0 || self.store.serials().is_empty() => Err(error),
            Err(error) => {
                tracing::warn!(error = %error, "timed platform certificate refresh failed; keeping the known certificates");
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    /// Downloads the certificates unless another download completed since `seen` was read.
    pub async fn refresh(&self, client: &Inner, seen: u64) -> Result<(), Error> {
        let _one_at_a_time = self.in_flight.lock().await;
        if self.generation() != seen {
            return Ok(());
        }
        let certificates = self.download(client).await?;
        self.store.replace(certificates);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        self.generation.fetch_add(1, Ordering::AcqRel);
        tracing::info!(serials = ?self.store.serials(), "platform certificates downloaded");
        Ok(())
    }

    /// `GET /v3/certificates`, signed; its answer is verified with the known keys and the
    /// certificates it delivers.
    async fn download(&self, client: &Inner) -> Result<Vec<PlatformCertificate>, Error> {
        let url = client.url(client.base_url(), CERTIFICATES_PATH)?;
        let answer = client.send_signed(http::Method::GET, url).await?;
        let now = SystemTime::now();
        let (status, headers, body) = (answer.status, &answer.headers, &answer.body);
        let request_id = crate::answer::request_id(headers);
        let verification = |reason| Error::Verification {
            reason,
            status,
            request_id: request_id.clone(),
        };
        if !(200..300).contains(&status) {
            // No refresh from inside a refresh: an error answer signed by a certificate not known
            // yet (the first download has none) is reported unverified.
            return Err(
                match error_answer(client.verifier(), status, headers, body, now) {
                    Error::Api(api)
                        if api.status == 404 && api.code == Some(ErrorCode::ResourceNotExists) =>
                    {
                        Error::Config(ConfigError::NoPlatformCertificates {
                            request_id: api.request_id,
                        })
                    }
                    other => other,
                },
            );
        }
        let parsed: CertificatesBody =
            serde_json::from_slice(body).map_err(|source| Error::Decode {
                source,
                status,
                request_id: request_id.clone(),
                body: String::from_utf8_lossy(body).into_owned(),
            })?;
        let certificates = decrypt_entries(&parsed, &self.apiv3_key, now).map_err(|e| {
            Error::Config(ConfigError::Certificates {
                reason: e.to_string(),
                request_id: request_id.clone(),
            })
        })?;
        // The answer is verified with the keys already known and the certificates it delivers.
        // Trusting a delivered certificate is sound: it decrypted with the merchant's APIv3 key,
        // whose AES-GCM tag only WeChat Pay can produce. It is also necessary: on the first
        // download nothing is known yet, and after a rotation WeChat Pay signs this very answer
        // with the new certificate.
        let signature = SignatureHeaders::from_headers(headers).map_err(verification)?;
        let known = self.store.certificates();
        let mut verifier = Verifier::new().with_certificates(Arc::new(CertificateStore::new(
            known.into_iter().chain(certificates.iter().cloned()),
        )));
        if let Some(key) = client.verifier().public_key() {
            verifier = verifier.with_public_key(key.clone());
        }
        verifier
            .verify_at(&signature, body, now)
            .map_err(verification)?;
        Ok(certificates)
    }
}
