//! Notifications (回调通知): what WeChat Pay POSTs to the merchant's notify URL, verified,
//! decrypted and decoded by [`Client::decode_notification`]. PROTOCOL.md sections 2 and 3; the
//! spec's `x-webhooks`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::answer::NotificationAnswer;
use crate::auth::certificates::certificate::is_certificate_serial;
use crate::auth::verify::{Verified, VerifyError};
use crate::config_error::DecryptError;
use crate::error::Error;
use crate::transport::certificate_wait::Wait;
use crate::transport::client::Client;
use crate::{EventType, Notification};

/// The only `resource_type` WeChat Pay's notifications have: an encrypted resource.
pub const ENCRYPTED_RESOURCE: &str = "encrypt-resource";

/// What the spec says about one kind of notification: generated for each (e.g.
/// `profit_sharing::PROFIT_SHARING_NOTIFICATION`, `refunds::REFUND_NOTIFICATION`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotificationKind {
    /// The spec's id (`x-webhooks` key), e.g. `profitSharingNotification`.
    pub id: &'static str,
    /// The page's title, e.g. 分账动账通知.
    pub summary: &'static str,
    /// `resource.original_type` of this notification, e.g. `profitsharing`.
    pub original_type: &'static str,
    /// The `event_type` values the page lists for it.
    pub event_types: &'static [&'static str],
    /// WeChat Pay's schedule of new attempts after a failure answer or a timeout: the wait before
    /// each.
    pub retry_intervals: &'static [Duration],
}

/// A notification's decrypted resource type (generated for each notification of the spec): ties
/// the type to its [`NotificationKind`], so that a notification of another kind is refused by name
/// instead of failing to decode.
pub trait DecryptedResource: DeserializeOwned {
    /// The notification this resource belongs to.
    const KIND: &'static NotificationKind;
}

/// A notification that verified, decrypted and decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notified<T> {
    /// The envelope as it came (its `resource` still encrypted): `id`, `create_time`,
    /// `event_type`, `summary`.
    pub notification: Notification,
    /// The decrypted resource.
    pub resource: T,
    /// Which key verified WeChat Pay's signature.
    pub verified: Verified,
    /// The decrypted resource's JSON, as WeChat Pay sent it.
    resource_json: DecryptedJson,
}

/// Decrypted JSON: zeroed when dropped, and only its length shown by `Debug` (the decoded
/// resource beside it shows what the spec knows of it; the rest stays out of logs).
#[derive(Clone, PartialEq, Eq)]
struct DecryptedJson(Zeroizing<String>);

impl fmt::Debug for DecryptedJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecryptedJson(<{} bytes, redacted>)", self.0.len())
    }
}

impl<T> Notified<T> {
    /// The decrypted resource's JSON exactly as WeChat Pay sent it, as [`Response::body`] is an
    /// answer's: fields WeChat Pay adds are readable here before the spec has them (e.g. with
    /// `serde_json::from_str::<serde_json::Value>`). Zeroed when the notification is dropped.
    ///
    /// [`Response::body`]: crate::Response::body
    pub fn resource_json(&self) -> &str {
        &self.resource_json.0
    }

    /// The notification's id (通知ID): WeChat Pay sends the same notification, with the same id,
    /// until it gets a success answer. Handle each money movement once by its business number
    /// (the resource's `out_order_no`, and the receiver), as the page asks (按单号做幂等处理): the
    /// same movement may come again under another id.
    pub fn id(&self) -> &str {
        &self.notification.id
    }

    /// What happened (通知类型).
    pub fn event_type(&self) -> &EventType {
        &self.notification.event_type
    }
}

/// Why a notification was not accepted. [`NotificationError::answer`] is the answer to send back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The client has no APIv3 key, which decrypting needs (in public-key mode too).
    #[error(
        "notifications are decrypted with the APIv3 key: set ClientBuilder::apiv3_key (and \
         ClientBuilder::notifications(true), so that a client without it fails at build)"
    )]
    NoApiV3Key,
    /// The signature did not match the body under the key `Wechatpay-Serial` names.
    #[error(
        "the notification's signature does not match its body (Wechatpay-Serial {serial}): pass the \
         body's raw bytes exactly as received (a web framework that parsed and re-serialised the \
         JSON changes them) with the headers as received; if the body is untouched, the \
         notification is not from WeChat Pay"
    )]
    BadSignature {
        /// The `Wechatpay-Serial` it named.
        serial: String,
    },
    /// The signature headers are missing or malformed, stale, a probe, or name a key the client
    /// neither holds nor can download.
    #[error("the notification was not verified: {0}")]
    Unverified(VerifyError),
    /// The notification names a platform certificate the client does not hold, and downloading
    /// the list failed.
    #[error(
        "the notification names platform certificate {serial}, which could not be downloaded: \
         {source}"
    )]
    CertificateUnavailable {
        /// The `Wechatpay-Serial` it named.
        serial: String,
        /// Why the download failed (shared by every caller that waited for it).
        #[source]
        source: Arc<Error>,
    },
    /// The notification names a platform certificate the client does not hold, and the download
    /// of the list did not end within the notification deadline
    /// ([`ClientBuilder::notification_deadline`](crate::ClientBuilder::notification_deadline)).
    #[error(
        "the notification names platform certificate {serial}, and its download did not end within \
         the notification deadline of {} ms: answered with a failure, so that WeChat Pay sends it \
         again",
        deadline.as_millis()
    )]
    DeadlineExceeded {
        /// The `Wechatpay-Serial` it named.
        serial: String,
        /// The deadline.
        deadline: Duration,
    },
    /// The notification's `resource_type` is not `encrypt-resource`, the only one this client
    /// decodes.
    #[error(
        "notification {id} has resource_type {found:?}: only encrypt-resource (an encrypted \
         resource) is decoded"
    )]
    ResourceType {
        /// The notification's id.
        id: String,
        /// Its `resource_type`.
        found: String,
    },
    /// The verified body is not a notification envelope.
    #[error("the body is not a notification (id, event_type, resource, …): {message}")]
    Envelope {
        /// What did not decode (serde's message).
        message: String,
    },
    /// The notification carries another kind of resource than the one asked for.
    #[error(
        "notification {id} carries a {found:?} resource, not the {expected:?} of {summary}: decode \
         it as the type of its kind"
    )]
    OtherKind {
        /// The notification's id.
        id: String,
        /// Its `resource.original_type`.
        found: String,
        /// The one the requested type belongs to.
        expected: &'static str,
        /// The requested notification's name.
        summary: &'static str,
    },
    /// The resource did not decrypt.
    #[error(
        "notification {id}: the resource did not decrypt ({reason}): check that the client has the \
         merchant's current APIv3 key (32 characters, set in the merchant platform); otherwise the \
         resource was altered"
    )]
    Decrypt {
        /// The notification's id.
        id: String,
        /// What failed.
        reason: DecryptError,
    },
    /// The decrypted resource does not decode into the requested type.
    #[error("notification {id}: the decrypted resource does not decode: {message}")]
    Resource {
        /// The notification's id.
        id: String,
        /// What did not decode, and where: serde's message, without the strings it quotes from
        /// the decrypted resource (`"…"`).
        message: String,
    },
}

impl NotificationError {
    /// The answer to send back: a failure, so that WeChat Pay sends the notification again (a
    /// notification nobody decoded is not lost while the cause is fixed).
    pub fn answer(&self) -> NotificationAnswer {
        match self {
            Self::BadSignature { .. } | Self::Unverified(_) => {
                NotificationAnswer::rejected("signature not verified")
            }
            Self::Envelope { .. } => NotificationAnswer::rejected("not a notification"),
            _ => NotificationAnswer::failed("notification not processed"),
        }
    }
}

impl Client {
    /// Verifies, decrypts and decodes a notification WeChat Pay POSTed to the merchant's notify
    /// URL: `headers` and `body` exactly as received (the raw bytes: a body parsed and
    /// re-serialised no longer matches its signature).
    ///
    /// The signature is verified as an API answer's is: `Wechatpay-Serial` names the WeChat Pay
    /// public key or a platform certificate, `Wechatpay-Timestamp` within the client's window
    /// (300 s by default), signature probes (`WECHATPAY/SIGNTEST/…`) refused. A certificate the
    /// client does not hold is downloaded first, but at most once per
    /// [`certificate_on_demand_interval`](crate::ClientBuilder::certificate_on_demand_interval):
    /// the notify URL is public, and a forgery naming a new serial must cost nothing; a
    /// `PUB_KEY_ID_…` the client does not hold is a configuration error, never a download. The
    /// whole call takes at most
    /// [`notification_deadline`](crate::ClientBuilder::notification_deadline) (3 s by default),
    /// so that the handler answers within the 5 s WeChat Pay waits. Then `resource` is decrypted
    /// with the APIv3 key (AEAD_AES_256_GCM, its nonce and associated data) and decoded into `T`.
    ///
    /// Handle each money movement once, by its business number (see [`Notified::id`]: WeChat Pay
    /// sends a notification again until it gets a success answer), then answer
    /// [`NotificationAnswer::received`]; on an error answer [`NotificationError::answer`].
    ///
    /// # Errors
    ///
    /// A [`NotificationError`] that says what to check.
    pub async fn decode_notification<T: DecryptedResource>(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notified<T>, NotificationError> {
        let key = self.apiv3_key().ok_or(NotificationError::NoApiV3Key)?;
        let deadline = Instant::now() + self.inner.notification_deadline;
        let verified = self.verify_notification(headers, body, deadline).await?;
        let notification: Notification =
            serde_json::from_slice(body).map_err(|e| NotificationError::Envelope {
                message: e.to_string(),
            })?;
        if notification.resource_type != ENCRYPTED_RESOURCE {
            return Err(NotificationError::ResourceType {
                id: notification.id.clone(),
                found: notification.resource_type.clone(),
            });
        }
        let resource = &notification.resource;
        if resource.original_type != T::KIND.original_type {
            return Err(NotificationError::OtherKind {
                id: notification.id.clone(),
                found: resource.original_type.clone(),
                expected: T::KIND.original_type,
                summary: T::KIND.summary,
            });
        }
        let mut plaintext = Zeroizing::new(
            key.decrypt(
                &resource.algorithm,
                &resource.nonce,
                resource.associated_data.as_deref().unwrap_or_default(),
                &resource.ciphertext,
            )
            .map_err(|reason| NotificationError::Decrypt {
                id: notification.id.clone(),
                reason,
            })?,
        );
        let not_decoded = |message: String| NotificationError::Resource {
            id: notification.id.clone(),
            message,
        };
        let resource = serde_json::from_slice(&plaintext)
            .map_err(|e| not_decoded(without_quoted_strings(&e.to_string())))?;
        // The bytes move into the string (no copy left behind): JSON that decoded is UTF-8.
        let json = String::from_utf8(std::mem::take(&mut *plaintext)).map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            not_decoded("the decrypted resource is not UTF-8".to_owned())
        })?;
        Ok(Notified {
            notification,
            resource,
            verified,
            resource_json: DecryptedJson(Zeroizing::new(json)),
        })
    }

    /// Verifies a notification's signature. A serial the client does not hold waits, within
    /// `deadline`, for a download of the platform certificates: the one in flight, or an
    /// on-demand one when none started within the interval (else it is refused at once).
    async fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        deadline: Instant,
    ) -> Result<Verified, NotificationError> {
        let classify = |error: VerifyError| match error {
            VerifyError::BadSignature { serial } => NotificationError::BadSignature { serial },
            other => NotificationError::Unverified(other),
        };
        let Some(refresher) = self.inner.refresher.as_ref() else {
            return self.verifier().verify(headers, body).map_err(classify);
        };
        // Read before verifying, to tell whether a download completed since.
        let seen = refresher.downloads();
        let serial = match self.verifier().verify(headers, body) {
            // Only a serial that can be a certificate's is worth a download.
            Err(VerifyError::UnknownSerial { serial }) if is_certificate_serial(&serial) => serial,
            other => return other.map_err(classify),
        };
        let wait = self
            .inner
            .await_serial(refresher, &serial, seen, deadline)
            .await;
        match wait {
            Wait::Failed(source) => {
                Err(NotificationError::CertificateUnavailable { serial, source })
            }
            Wait::TimedOut => Err(NotificationError::DeadlineExceeded {
                serial,
                deadline: self.inner.notification_deadline,
            }),
            // Verified again: with the certificate now, or failing with the serial named.
            Wait::Ready | Wait::NotListed | Wait::Limited => {
                self.verifier().verify(headers, body).map_err(classify)
            }
        }
    }
}

/// serde's message about decrypted JSON without the strings it quotes (`invalid type: string
/// "…"`): they are the resource's plaintext (an openid, a description). Field and variant names,
/// in backticks, stay.
fn without_quoted_strings(message: &str) -> String {
    let mut kept = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match (c, quoted) {
            ('"', false) => {
                kept.push_str("\"…\"");
                quoted = true;
            }
            ('"', true) => quoted = false,
            (_, false) => kept.push(c),
            (_, true) => {}
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serdes_message_keeps_names_and_drops_the_strings_it_quotes() {
        let error = serde_json::from_str::<u32>(r#""oUpF8uMuAJO_M2pxb1Q9zNjWeS6o""#).unwrap_err();
        assert_eq!(
            without_quoted_strings(&error.to_string()),
            "invalid type: string \"…\", expected u32 at line 1 column 30"
        );
        // A resource with a required field (as every family's has), whichever families are on.
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Resource {
            sp_mchid: String,
        }
        let error = serde_json::from_str::<Resource>("{}").unwrap_err();
        assert_eq!(
            without_quoted_strings(&error.to_string()),
            "missing field `sp_mchid` at line 1 column 2"
        );
    }
}
