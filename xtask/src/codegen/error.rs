//! The generator's errors. Each one about the spec names the element at fault as a JSON pointer.

use std::path::PathBuf;

/// Why `cargo xtask codegen` failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The spec is not YAML.
    #[error("the spec is not valid YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    /// The spec is YAML but not an OpenAPI 3.0 document of the shape expected.
    #[error("#/{pointer}: {message}")]
    Shape { pointer: String, message: String },
    /// An element of the spec cannot be generated.
    #[error("{pointer}: {message}")]
    Spec { pointer: String, message: String },
    /// typify rejected a schema.
    #[error("{pointer}: typify: {source}")]
    Typify {
        pointer: String,
        source: typify::Error,
    },
    /// The generated tokens are not valid Rust (a bug in the generator).
    #[error("generated {file} does not parse: {message}")]
    Syntax { file: String, message: String },
    /// A generated file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// An error about the spec element at `pointer` (e.g. `#/components/schemas/OrderStatus`).
    pub fn spec(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Spec {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}
