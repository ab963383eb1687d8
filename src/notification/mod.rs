//! Notifications (回调通知): the one call that verifies, decrypts and decodes one ([`decode`]),
//! and the answer to send back ([`answer`]).

pub(crate) mod answer;
pub(crate) mod decode;
