//! Where each generated item goes: a module per family (the spec's `tags`), and `common` for what
//! several families (or none) use.
//!
//! A family's module holds its operations, their request types, its notifications, its handle on
//! the client and every component only its operations and notifications reach; a component that
//! two families reach (the error body, the notification envelope, an enum both answer with) is
//! `common`, and so is everything such a component reaches, so that a family module refers to
//! `common` and never to another family.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToKebabCase, ToUpperCamelCase};
use serde_json::Value;

use super::Error;
use super::spec::{Spec, check_ident, pointer_key, ref_name};

/// The module of what several families, or none, use.
pub const COMMON: &str = "common";

/// A family of operations: a tag of the spec.
#[derive(Clone, Debug)]
pub struct Family {
    /// The tag: the module's name and the client's method.
    pub tag: String,
    /// The Cargo feature that compiles it: the tag in kebab-case.
    pub feature: String,
    /// The handle type: the tag in UpperCamelCase.
    pub handle: String,
    /// The tag's description.
    pub description: String,
}

/// The module an item goes to: a family's tag, or `None` for [`COMMON`].
pub type Home = Option<String>;

/// The spec's families, in its order, checked: each tag a snake_case identifier of its own.
pub fn families(spec: &Spec) -> Result<Vec<Family>, Error> {
    let tags = spec
        .raw
        .get("tags")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::spec(
                "#/tags",
                "a list of the families (one tag each, with a name and a description)",
            )
        })?;
    let mut families: Vec<Family> = Vec::new();
    for (index, tag) in tags.iter().enumerate() {
        let pointer = format!("#/tags/{index}");
        let name = tag
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::spec(format!("{pointer}/name"), "a string"))?;
        check_ident(name, &format!("{pointer}/name"), "the family's module name")?;
        if heck::ToSnakeCase::to_snake_case(name) != name || name == COMMON || name == "mod" {
            return Err(Error::spec(
                format!("{pointer}/name"),
                format!("a family is a snake_case module name other than {COMMON}: {name}"),
            ));
        }
        let description = tag
            .get("description")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::spec(
                    format!("{pointer}/description"),
                    "a description is required: it becomes the module's doc comment",
                )
            })?;
        if families.iter().any(|f| f.tag == name) {
            return Err(Error::spec(
                format!("{pointer}/name"),
                format!("two tags are named {name}"),
            ));
        }
        families.push(Family {
            tag: name.to_owned(),
            feature: name.to_kebab_case(),
            handle: name.to_upper_camel_case(),
            description: description.to_owned(),
        });
    }
    Ok(families)
}

/// The family tag of an operation or a notification: its one tag, which must be a family.
pub fn tag_of(operation: &Value, families: &[Family], pointer: &str) -> Result<String, Error> {
    let tags = operation.get("tags").and_then(Value::as_array);
    match tags.map(Vec::as_slice) {
        Some([tag]) => {
            let tag = tag.as_str().unwrap_or_default();
            if families.iter().any(|f| f.tag == tag) {
                Ok(tag.to_owned())
            } else {
                Err(Error::spec(
                    format!("{pointer}/tags/0"),
                    format!("{tag:?} is not a tag of the spec's `tags`"),
                ))
            }
        }
        _ => Err(Error::spec(
            format!("{pointer}/tags"),
            "one tag: the family the operation belongs to",
        )),
    }
}

/// Every operation and notification of the spec with its family and its JSON.
fn members<'a>(spec: &'a Spec, families: &[Family]) -> Result<Vec<(String, &'a Value)>, Error> {
    let mut found = Vec::new();
    for (root, key) in [("paths", "#/paths"), ("x-webhooks", "#/x-webhooks")] {
        let Some(items) = spec.raw.get(root).and_then(Value::as_object) else {
            continue;
        };
        for (path, item) in items {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let pointer = format!("{key}/{}/{method}", pointer_key(path));
                found.push((tag_of(operation, families, &pointer)?, operation));
            }
        }
    }
    Ok(found)
}

/// The module of every component schema: the family whose operations and notifications alone
/// reach it, else `common`.
pub fn component_homes(spec: &Spec, families: &[Family]) -> Result<BTreeMap<String, Home>, Error> {
    let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (tag, operation) in members(spec, families)? {
        let mut pending = Vec::new();
        collect_refs(operation, &mut pending);
        let mut seen = BTreeSet::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(schema) = spec.schema(&name) {
                collect_refs(schema, &mut pending);
            }
            reached.entry(name).or_default().insert(tag.clone());
        }
    }
    Ok(spec
        .schemas()
        .map(|(name, _)| {
            let home = match reached.get(name) {
                Some(tags) if tags.len() == 1 => tags.iter().next().cloned(),
                _ => None,
            };
            (name.to_owned(), home)
        })
        .collect())
}

/// The module of what the operations of `tags` use: their family when it is one, else `common`.
pub fn home_of<'a>(tags: impl IntoIterator<Item = &'a String>) -> Home {
    let tags: BTreeSet<&String> = tags.into_iter().collect();
    match tags.len() {
        1 => tags.into_iter().next().cloned(),
        _ => None,
    }
}

/// Every component `value` refers to with a `$ref`, at any depth.
pub fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(ref_name) {
                out.push(name.to_owned());
            }
            map.values().for_each(|child| collect_refs(child, out));
        }
        Value::Array(items) => items.iter().for_each(|child| collect_refs(child, out)),
        _ => {}
    }
}
