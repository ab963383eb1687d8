//! Reading the spec: YAML → an OpenAPI 3.0 document, with every `$ref` checked.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::Error;

/// The prefix of every reference the spec may make.
pub const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// A parsed spec, checked to be an OpenAPI 3.0 document (by `openapiv3`'s model) whose every
/// `$ref` resolves: its JSON, and its component schemas (typify reads them in its own JSON Schema
/// model, extensions included).
pub struct Spec {
    /// The whole document as JSON, extensions included.
    pub raw: Value,
    schemas: Map<String, Value>,
}

impl Spec {
    /// Parses and checks the spec's text.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let raw: Value = serde_norway::from_str(text)?;
        match raw.get("openapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.0.") => {}
            other => {
                return Err(Error::spec(
                    "#/openapi",
                    format!(
                        "expected an OpenAPI 3.0.x version (typify reads 3.0-era schemas), found {other:?}"
                    ),
                ));
            }
        }
        let _shape: openapiv3::OpenAPI =
            serde_path_to_error::deserialize(&raw).map_err(|error| Error::Shape {
                pointer: error.path().to_string().replace('.', "/"),
                message: error.inner().to_string(),
            })?;
        let schemas = raw
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        check_refs(&raw, "#", &schemas)?;
        Ok(Self { raw, schemas })
    }

    /// The component schemas, in the spec's order.
    pub fn schemas(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.schemas
            .iter()
            .map(|(name, schema)| (name.as_str(), schema))
    }

    /// The component schema called `name`.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.schemas.get(name)
    }
}

/// The schema name a `$ref` points to, if it points into `#/components/schemas/`.
pub fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(SCHEMA_REF_PREFIX)
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Every `$ref` in the document must name an existing component schema: typify panics on a
/// dangling one, and a spec error should say where it is instead.
fn check_refs(value: &Value, pointer: &str, schemas: &Map<String, Value>) -> Result<(), Error> {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref") {
                let target = reference.as_str().and_then(ref_name);
                if !target.is_some_and(|name| schemas.contains_key(name)) {
                    return Err(Error::spec(
                        format!("{pointer}/$ref"),
                        format!("{reference} does not name a schema under {SCHEMA_REF_PREFIX}"),
                    ));
                }
            }
            for (key, child) in map {
                check_refs(child, &format!("{pointer}/{}", pointer_key(key)), schemas)?;
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                check_refs(child, &format!("{pointer}/{index}"), schemas)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Fails unless `text` is a Rust identifier that is not a keyword: every name the generator takes
/// from the spec goes through here before it becomes code.
pub fn check_ident(text: &str, pointer: &str, what: &str) -> Result<(), Error> {
    if syn::parse_str::<syn::Ident>(text).is_err() {
        return Err(Error::spec(
            pointer,
            format!("{what} {text:?} is not a Rust identifier (or is a keyword)"),
        ));
    }
    Ok(())
}

/// The names of the object components a request body holds (the body's own and those nested in
/// it): the data types leaves them to this module.
pub fn request_components(spec: &Spec) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    if let Some(paths) = spec.raw.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for operation in item.values() {
                if let Some(name) = operation
                    .pointer("/requestBody/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(ref_name)
                {
                    pending.push(name.to_owned());
                }
            }
        }
    }
    while let Some(name) = pending.pop() {
        let Some(schema) = spec.schema(&name) else {
            continue;
        };
        if schema.get("enum").is_some() || !found.insert(name) {
            continue;
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for property in properties.into_iter().flat_map(|p| p.values()) {
            let reference = property
                .get("$ref")
                .or_else(|| property.pointer("/items/$ref"))
                .and_then(Value::as_str)
                .and_then(ref_name);
            if let Some(reference) = reference {
                pending.push(reference.to_owned());
            }
        }
    }
    found
}
