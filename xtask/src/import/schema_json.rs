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
        Kind::Array | Kind::Object => return None,
    }
    Some(schema)
}

/// An example cell as JSON: a number for an `int` field, else the text.
pub fn example_value(kind: Kind, text: &str) -> Value {
    match (kind, text.parse::<i64>()) {
        (Kind::Int, Ok(number)) => json!(number),
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
    const ORDER: [&str; 6] = [
        "type",
        "format",
        "maxLength",
        "pattern",
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
