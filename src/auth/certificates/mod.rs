//! Platform certificates (平台证书): one certificate ([`certificate`]), the set a verifier reads
//! ([`store`]), and the download that refreshes it ([`download`]).

pub(crate) mod certificate;
pub(crate) mod download;
pub(crate) mod store;

pub use certificate::PlatformCertificate;
pub use store::CertificateStore;
