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
    /// By family (the path segment after `/v3/` and `ecommerce/`): its module name and
    /// description; a family without an entry is named after its segment.
    #[serde(default)]
    pub families: IndexMap<String, FamilyOverlay>,
    /// By page (`docs/NAME.md`); a page without an entry imports as it is.
    #[serde(default)]
    pub operations: IndexMap<String, OperationOverlay>,
    pub errors: ErrorsOverlay,
    pub schemas: IndexMap<String, SchemaOverlay>,
}

/// `families.SEGMENT`: a family of endpoints, the tag its operations carry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyOverlay {
    /// The tag, in snake_case (the Rust module and the client's method); the segment's
    /// snake_case without it.
    pub name: Option<String>,
    /// What the family does: the module's and the handle's doc comment.
    pub description: String,
}

/// `operations.PAGE`: what the overlay says about a page's operation.
#[derive(Debug, Default, Deserialize)]
pub struct OperationOverlay {
    /// Replaces the operation id derived from the method and path.
    #[serde(rename = "operationId")]
    pub operation_id: Option<String>,
    pub description: Option<String>,
    /// Names for the page's 二选一 groups (a group the overlay does not name gets a derived name).
    #[serde(rename = "x-exactly-one-of", default)]
    pub exactly_one_of: Vec<OneOfTwo>,
    /// Fields of the 请求参数 table (`NAME`, or `PARENT.NAME` for a `+` row).
    #[serde(default)]
    pub request: IndexMap<String, FieldOverlay>,
    pub response: Option<ResponseOverlay>,
    /// A file download page's row types, by Rust name: one per column table of its 文件格式
    /// section (whose columns have only Chinese names).
    #[serde(default)]
    pub layouts: IndexMap<String, LayoutOverlay>,
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// `layouts.NAME`: the row type of one column table of a downloaded file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutOverlay {
    /// The start of the table's title (the line before it on the page).
    pub table: String,
    /// What a row is: the type's doc comment.
    pub description: String,
    /// By column name (列名), in the page's order, then columns the table does not list (each with
    /// `x-departs-from-docs`).
    pub columns: IndexMap<String, ColumnOverlay>,
}

/// `layouts.NAME.columns.列名`: one column's field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnOverlay {
    /// The field's name, in snake_case.
    pub field: String,
    /// `text`, `time`, `fen` (yuan with two decimals), `millifen` (five decimals), `count`, or
    /// `enum`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether some bills lack the column or leave it empty: an `Option`.
    #[serde(default)]
    pub optional: bool,
    /// With `optional`: values that also mean none (a payment's 微信退款单号 is `0`).
    #[serde(default)]
    pub none: Vec<String>,
    /// What the column holds, after its Chinese name.
    pub description: Option<String>,
    /// With `type: enum`: the enum's name and its values (`value: [Name, description]`).
    #[serde(rename = "enum")]
    pub enum_name: Option<String>,
    #[serde(default)]
    pub values: IndexMap<String, (String, String)>,
    /// Why a column the table does not list is there.
    #[serde(rename = "x-departs-from-docs")]
    pub departs_from_docs: Option<String>,
}

/// An `x-exactly-one-of` group, copied into the spec as it is.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OneOfTwo {
    pub name: String,
    pub field: String,
    pub description: String,
    pub parameters: Vec<String>,
}

/// `response`: the success answer: its description, and its fields (`NAME`, or `PARENT.NAME` for
/// a `+` row), as `schemas.NAME.properties` adjusts a component's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseOverlay {
    pub description: Option<String>,
    #[serde(default)]
    pub properties: IndexMap<String, FieldOverlay>,
}

/// `parameters.NAME` and `properties.NAME`: what the overlay says about a page field.
#[derive(Clone, Debug, Default, Deserialize)]
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
    /// With `table: PAGE#response`: other pages whose 返回参数 table is the same (names, nesting,
    /// types, 必填); their answers are this component too.
    #[serde(default)]
    pub also: Vec<String>,
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
