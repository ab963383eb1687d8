//! The auth side: the merchant's key and certificate, WeChat Pay's public key and platform
//! certificates, the APIv3 key; signing requests, verifying answers, encrypting sensitive fields.
//! Nothing here knows of the client.

pub(crate) mod apiv3_key;
pub(crate) mod certificates;
pub(crate) mod encryption;
pub(crate) mod merchant_certificate;
pub(crate) mod merchant_key;
pub(crate) mod pem;
pub(crate) mod public_key;
pub(crate) mod signing;
pub(crate) mod verify;
