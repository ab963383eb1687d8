//! The platform certificates a verifier knows: shared between the verifier, which reads them on
//! every answer, and the client, which replaces them on a refresh.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use super::certificate::{PlatformCertificate, normalize_serial};

/// The platform certificates a verifier knows, by serial. Shared between the verifier, which reads
/// it on every answer, and the client, which replaces its contents on a refresh.
#[derive(Default)]
pub struct CertificateStore {
    certificates: RwLock<Arc<HashMap<String, PlatformCertificate>>>,
}

impl CertificateStore {
    /// A store holding `certificates`.
    pub fn new(certificates: impl IntoIterator<Item = PlatformCertificate>) -> Self {
        let store = Self::default();
        store.replace(certificates);
        store
    }

    /// The certificate with this serial, if it is known and valid at `now`. Serials compare as
    /// numbers written in hex: case and leading zeros do not matter.
    pub fn get(&self, serial: &str, now: SystemTime) -> Option<PlatformCertificate> {
        self.find(serial).filter(|c| c.is_valid_at(now))
    }

    /// The certificate with this serial, if it is known, whatever its validity.
    pub fn find(&self, serial: &str) -> Option<PlatformCertificate> {
        self.snapshot().get(&normalize_serial(serial)).cloned()
    }

    /// Whether a certificate with this serial is known, whatever its validity.
    pub fn contains(&self, serial: &str) -> bool {
        self.snapshot().contains_key(&normalize_serial(serial))
    }

    /// The certificates known, expired ones included.
    pub fn certificates(&self) -> Vec<PlatformCertificate> {
        self.snapshot().values().cloned().collect()
    }

    /// Whether no certificate is known.
    pub fn is_empty(&self) -> bool {
        self.snapshot().is_empty()
    }

    /// The valid certificate (at `now`) that became valid last: the one to encrypt with.
    pub fn newest_valid(&self, now: SystemTime) -> Option<PlatformCertificate> {
        self.snapshot()
            .values()
            .filter(|c| c.is_valid_at(now))
            .max_by_key(|c| (c.not_before(), c.not_after()))
            .cloned()
    }

    /// The serials known, as the certificates are named ([`PlatformCertificate::serial`]),
    /// sorted.
    pub fn serials(&self) -> Vec<String> {
        let mut serials: Vec<String> = self
            .snapshot()
            .values()
            .map(|c| c.serial().to_owned())
            .collect();
        serials.sort();
        serials
    }

    /// Replaces the contents with `certificates`.
    pub fn replace(&self, certificates: impl IntoIterator<Item = PlatformCertificate>) {
        let map = certificates
            .into_iter()
            .map(|c| (normalize_serial(c.serial()), c))
            .collect();
        // A poisoned lock only means a writer panicked between two whole-map swaps: the map inside
        // is still consistent, so keep using it.
        let mut guard = self
            .certificates
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = Arc::new(map);
    }

    fn snapshot(&self) -> Arc<HashMap<String, PlatformCertificate>> {
        self.certificates
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl fmt::Debug for CertificateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateStore")
            .field("serials", &self.serials())
            .finish()
    }
}
