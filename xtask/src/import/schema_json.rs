//! Small builders of the spec's JSON.

use serde_json::{Map, Value, json};

use crate::docs::Kind;

pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The schema of a page's scalar type; `None` for arrays and objects.
pub fn scalar_schema(kind: Kind, max_length: Option<usize>) -> Option<Map<String, Value>> {
    let mut schema = Map::new();
    match kind {
        Kind::String => {
            schema.insert("type".to_owned(), json!("string"));
            if let Some(max) = max_length {
                schema.insert("maxLength".to_owned(), json!(max));
            }
        }
        Kind::Int => {
            schema.insert("type".to_owned(), json!("integer"));
            schema.insert("format".to_owned(), json!("int64"));
        }
        Kind::Boolean => {
            schema.insert("type".to_owned(), json!("boolean"));
        }
        Kind::Array | Kind::Object => return None,
    }
    Some(schema)
}

/// The schema of a table row's scalar type: a string whose description says it follows RFC 3339
/// is a `date-time` (with no `maxLength`: the page's `string(64)` is the text's room, not a rule
/// of the time).
pub fn row_schema(row: &crate::docs::Field) -> Option<Map<String, Value>> {
    let is_time = row.kind == Kind::String
        && ["RFC 3339", "RFC3339", "rfc3339"]
            .iter()
            .any(|name| row.description.contains(name));
    if is_time {
        let mut schema = Map::new();
        schema.insert("type".to_owned(), json!("string"));
        schema.insert("format".to_owned(), json!("date-time"));
        return Some(schema);
    }
    scalar_schema(row.kind, row.max_length)
}

/// An example cell as JSON: a number for an `int` field, else the text (a cell of `""` is the
/// empty string).
pub fn example_value(kind: Kind, text: &str) -> Value {
    match kind {
        Kind::String if text == "\"\"" => json!(""),
        Kind::Int => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        Kind::Boolean => text
            .parse::<bool>()
            .map_or_else(|_| json!(text), |b| json!(b)),
        _ => json!(text),
    }
}

/// Sets the overlay's schema keys over the page's.
pub fn merge(schema: &mut Map<String, Value>, overlay: Option<&Map<String, Value>>) {
    for (key, value) in overlay.into_iter().flatten() {
        schema.insert(key.clone(), value.clone());
    }
}

/// The keys of a property schema in a fixed order, so that an overlay's additions do not move
/// them around.
pub fn canonical(schema: Map<String, Value>) -> Map<String, Value> {
    const ORDER: [&str; 8] = [
        "type",
        "format",
        "maxLength",
        "pattern",
        "maxItems",
        "items",
        "description",
        "example",
    ];
    let mut sorted = Map::new();
    for key in ORDER {
        if let Some(value) = schema.get(key) {
            sorted.insert(key.to_owned(), value.clone());
        }
    }
    for (key, value) in schema {
        if !ORDER.contains(&key.as_str()) {
            sorted.insert(key, value);
        }
    }
    sorted
}

pub fn copy_extensions(target: &mut Map<String, Value>, extensions: &Map<String, Value>) {
    for (key, value) in extensions {
        target.insert(key.clone(), value.clone());
    }
}
