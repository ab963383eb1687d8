//! The shape of `schema/overlay.yaml` (described in `schema/README.md`). Maps keep the file's
//! order, so that the spec's order follows the overlay's.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Error;
use crate::docs;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    pub spec: Map<String, Value>,
    pub operations: Vec<OperationOverlay>,
    pub errors: ErrorsOverlay,
    pub schemas: IndexMap<String, SchemaOverlay>,
}

/// `operations[]`: one per page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OperationOverlay {
    pub page: String,
    #[serde(rename = "operationId")]
    pub operation_id: String,
    pub description: Option<String>,
    pub path_parameters_in: Option<Relocation>,
    #[serde(rename = "x-exactly-one-of", default)]
    pub exactly_one_of: Vec<OneOfTwo>,
    #[serde(default)]
    pub parameters: IndexMap<String, FieldOverlay>,
    pub response: ResponseOverlay,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// `path-parameters-in`: where the parameters a page labels `path` really go.
#[derive(Debug, Deserialize)]
pub struct Relocation {
    #[serde(rename = "in")]
    pub location: String,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// An `x-exactly-one-of` group, copied into the spec as it is.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OneOfTwo {
    pub name: String,
    pub field: String,
    pub description: String,
    pub parameters: Vec<String>,
}

/// `response`: the component a success answer decodes into.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseOverlay {
    pub schema: String,
    pub description: String,
}

/// `parameters.NAME` and `properties.NAME`: what the overlay says about a page field.
#[derive(Debug, Default, Deserialize)]
pub struct FieldOverlay {
    pub description: Option<String>,
    pub required: Option<bool>,
    pub schema: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// `errors`: the error codes and the error answers.
#[derive(Debug, Deserialize)]
pub struct ErrorsOverlay {
    pub component: String,
    pub description: String,
    #[serde(default)]
    pub english: IndexMap<String, String>,
    #[serde(default)]
    pub statuses: BTreeMap<u16, StatusOverlay>,
    #[serde(default)]
    pub add: Vec<docs::ErrorRow>,
    pub body: String,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// `errors.statuses.STATUS`.
#[derive(Debug, Deserialize)]
pub struct StatusOverlay {
    pub description: String,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// `schemas.NAME`: one component.
#[derive(Debug, Default, Deserialize)]
pub struct SchemaOverlay {
    pub table: Option<String>,
    pub example: Option<String>,
    pub field: Option<String>,
    pub schema: Option<Map<String, Value>>,
    pub description: Option<String>,
    #[serde(default)]
    pub properties: IndexMap<String, FieldOverlay>,
    /// Properties (objects) or values (enums) that are not on the pages.
    #[serde(default)]
    pub add: IndexMap<String, Value>,
    #[serde(default)]
    pub english: IndexMap<String, String>,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// Fails on a key of `extensions` (what serde's `flatten` collected) that is not `x-…`: a typo in
/// the overlay must not be ignored.
pub fn only_extensions(extensions: &Map<String, Value>, at: &str) -> Result<(), Error> {
    match extensions.keys().find(|key| !key.starts_with("x-")) {
        Some(key) => Err(Error::overlay(
            format!("{at}/{key}"),
            "unknown key (the keys are described in schema/README.md; extensions start with x-)",
        )),
        None => Ok(()),
    }
}
