//! The transport: the client and its builder, the attempts of a call (signing, sending, retries,
//! the total deadline), the answer read once and verified then decoded, and the platform
//! certificate refresh the client runs.

pub(crate) mod answer;
pub(crate) mod attempt;
pub(crate) mod builder;
pub(crate) mod certificate_wait;
pub(crate) mod client;
pub(crate) mod inner;
pub(crate) mod refresh;
pub(crate) mod response;
pub(crate) mod retry;
pub(crate) mod signature_slots;
