//! Reading PEM inputs (keys, certificates) from files or strings, with errors that say what was
//! expected instead of what a parser choked on.

use std::path::Path;

use crate::config_error::ConfigError;

/// Reads a PEM file; `what` names it for the error ("the merchant private key").
pub(crate) fn read_file(path: &Path, what: &'static str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// The labels of the PEM sections in `text` (`PRIVATE KEY` for `-----BEGIN PRIVATE KEY-----`).
pub(crate) fn labels(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix("-----BEGIN ")?
                .strip_suffix("-----")
        })
        .collect()
}

/// Fails unless `text` holds a PEM section whose label is one of `accepted`.
///
/// Encrypted private keys (`ENCRYPTED PRIVATE KEY`, or a legacy `Proc-Type: 4,ENCRYPTED` header) get
/// their own error: they need a passphrase this client never asks for.
pub(crate) fn expect_labels(
    text: &str,
    accepted: &[&str],
    what: &'static str,
    expected: &'static str,
) -> Result<(), ConfigError> {
    let labels = labels(text);
    if labels.contains(&"ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(ConfigError::EncryptedKey { what, expected });
    }
    if labels.iter().any(|label| accepted.contains(label)) {
        return Ok(());
    }
    match labels.first() {
        None => Err(ConfigError::NotPem { what, expected }),
        Some(found) => Err(ConfigError::WrongPem {
            what,
            found: (*found).to_owned(),
            expected,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_from_begin_lines() {
        let text = "junk\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n \
                    -----BEGIN CERTIFICATE-----\n";
        assert_eq!(labels(text), vec!["PRIVATE KEY", "CERTIFICATE"]);
        assert!(labels("not pem at all").is_empty());
    }

    #[test]
    fn the_wrong_kind_of_pem_is_named() {
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = expect_labels(cert, &["PRIVATE KEY"], "the key", "a key").unwrap_err();
        assert!(matches!(err, ConfigError::WrongPem { ref found, .. } if found == "CERTIFICATE"));
        let err = expect_labels("hello", &["PRIVATE KEY"], "the key", "a key").unwrap_err();
        assert!(matches!(err, ConfigError::NotPem { .. }));
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n";
        let err = expect_labels(legacy, &["RSA PRIVATE KEY"], "the key", "a key").unwrap_err();
        assert!(matches!(err, ConfigError::EncryptedKey { .. }));
    }
}
