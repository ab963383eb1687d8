//! The answer to a notification: received (204), or a failure WeChat Pay will send it again after.

use std::fmt;

use crate::NotificationFailure;

/// The answer to a notification, as a handler returns it: success (`204`, no body) or failure (a
/// 4XX or 5XX status with `{"code":"FAIL","message":…}`), after which WeChat Pay sends the
/// notification again on its schedule ([`NotificationKind::retry_intervals`](crate::NotificationKind::retry_intervals)).
#[derive(Clone, PartialEq, Eq)]
pub struct NotificationAnswer {
    status: http::StatusCode,
    body: Vec<u8>,
}

/// WeChat Pay's limit on the failure message (`message`, string(64)), in characters.
const MAX_MESSAGE_CHARS: usize = 64;

impl NotificationAnswer {
    /// Received (接收成功): `204 No Content`. Send it once the notification is stored or handled:
    /// WeChat Pay stops sending it.
    pub fn received() -> Self {
        Self {
            status: http::StatusCode::NO_CONTENT,
            body: Vec::new(),
        }
    }

    /// Not received (接收失败) because of the merchant's side, e.g. its database is down: `500`
    /// with `{"code":"FAIL","message":message}`; WeChat Pay sends the notification again. The
    /// message is cut to 64 characters.
    pub fn failed(message: &str) -> Self {
        Self::failure(http::StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// Not received because the request was not acceptable (e.g. its signature did not verify):
    /// `400` with the failure body; WeChat Pay sends it again too.
    pub fn rejected(message: &str) -> Self {
        Self::failure(http::StatusCode::BAD_REQUEST, message)
    }

    fn failure(status: http::StatusCode, message: &str) -> Self {
        let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
        let body = NotificationFailure {
            code: "FAIL".to_owned(),
            message,
        };
        Self {
            status,
            // A struct of two strings always serialises.
            body: serde_json::to_vec(&body).unwrap_or_default(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    /// Whether WeChat Pay reads it as received.
    pub fn is_received(&self) -> bool {
        self.status.is_success()
    }

    /// The body: empty on success, the failure JSON otherwise.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The answer as an [`http::Response`] (`Content-Type: application/json` on a failure), for
    /// any framework built on the `http` crate: `answer.into_response().map(Body::from)`.
    pub fn into_response(self) -> http::Response<Vec<u8>> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        if !self.status.is_success() {
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        response
    }
}

impl fmt::Debug for NotificationAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationAnswer")
            .field("status", &self.status.as_u16())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}
