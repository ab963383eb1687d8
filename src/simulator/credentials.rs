//! What a client needs to talk to the simulator, and how the standalone server writes it out.

use std::fmt;
use std::path::Path;

use crate::{ApiV3Key, ConfigError, MerchantKey, PlatformCertificate, WechatPayPublicKey};

/// Everything a client needs to talk to the simulator. The WeChat Pay side was generated when the
/// simulator started, and the merchant's too unless it was given: all of it is for tests only.
/// `Debug` leaves out the private key and the APIv3 key.
#[derive(Clone)]
pub struct Credentials {
    /// The merchant id (商户号).
    pub mchid: String,
    /// The merchant API certificate's serial number.
    pub merchant_serial_no: String,
    /// The merchant's private key, PEM PKCS#8; `None` when the merchant's public key was given
    /// instead (the private key then stays with whoever gave it).
    pub merchant_private_key_pem: Option<String>,
    /// The WeChat Pay public key's id, `PUB_KEY_ID_…`.
    pub wechatpay_public_key_id: String,
    /// The WeChat Pay public key, PEM.
    pub wechatpay_public_key_pem: String,
    /// The platform certificate, PEM.
    pub platform_certificate_pem: String,
    /// The platform certificate's serial number, uppercase hex.
    pub platform_certificate_serial: String,
    /// The APIv3 key, 32 characters.
    pub apiv3_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("mchid", &self.mchid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("wechatpay_public_key_id", &self.wechatpay_public_key_id)
            .field(
                "platform_certificate_serial",
                &self.platform_certificate_serial,
            )
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The merchant's private key, loaded; an error when the simulator was given only the
    /// merchant's public key.
    pub fn merchant_key(&self) -> Result<MerchantKey, ConfigError> {
        let pem = self
            .merchant_private_key_pem
            .as_deref()
            .ok_or(ConfigError::Missing(
                "the merchant private key: the simulator was given the merchant's public key only",
            ))?;
        MerchantKey::from_pem(pem)
    }

    /// The WeChat Pay public key with its id, loaded.
    pub fn wechatpay_public_key(&self) -> Result<WechatPayPublicKey, ConfigError> {
        WechatPayPublicKey::from_pem(
            &self.wechatpay_public_key_id,
            &self.wechatpay_public_key_pem,
        )
    }

    /// The platform certificate, parsed.
    pub fn platform_certificate(&self) -> Result<PlatformCertificate, ConfigError> {
        PlatformCertificate::from_pem(&self.platform_certificate_pem)
    }

    /// The APIv3 key, loaded.
    pub fn apiv3_key(&self) -> Result<ApiV3Key, ConfigError> {
        ApiV3Key::new(&self.apiv3_key)
    }

    /// Writes the credentials into `dir`, one file each, as the standalone server documents:
    /// `platform_public_key.pem`, `public_key_id`, `platform_certificate.pem`,
    /// `platform_certificate_serial_no`, `apiv3_key`, and for a generated merchant `mchid`,
    /// `merchant_serial_no` and `merchant_private_key.pem`.
    pub fn write_to_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut files = vec![
            (
                "platform_public_key.pem",
                self.wechatpay_public_key_pem.as_str(),
            ),
            ("public_key_id", self.wechatpay_public_key_id.as_str()),
            (
                "platform_certificate.pem",
                self.platform_certificate_pem.as_str(),
            ),
            (
                "platform_certificate_serial_no",
                self.platform_certificate_serial.as_str(),
            ),
            ("apiv3_key", self.apiv3_key.as_str()),
        ];
        if let Some(private_key) = &self.merchant_private_key_pem {
            files.push(("mchid", self.mchid.as_str()));
            files.push(("merchant_serial_no", self.merchant_serial_no.as_str()));
            files.push(("merchant_private_key.pem", private_key.as_str()));
        }
        for (name, contents) in files {
            std::fs::write(dir.join(name), contents)?;
        }
        Ok(())
    }
}
