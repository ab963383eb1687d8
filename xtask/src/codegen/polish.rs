//! The last touches on typify's structs, and on every doc comment, before formatting.
//!
//! typify sorts a struct's fields by name and names a field the wire calls `type` `type_`; a
//! struct should read like its doc page's table, and a Rust user would not pick `type_`. And
//! typify, like `quote!`, writes a multi-line doc as one `/** … */` block: one `///` line per line
//! reads as rustdoc renders it.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use serde_json::Value;
use syn::visit_mut::VisitMut;

use super::Error;

/// What a struct's schema says about the fields typify made of it.
#[derive(Clone, Debug, Default)]
pub struct ObjectSchema {
    /// The property names, in the spec's order.
    pub order: Vec<String>,
    /// Deprecated properties: `since` date and note.
    pub deprecated: BTreeMap<String, (String, String)>,
}

/// Reads every object schema under `schema` (nested ones too), with its properties' order and
/// deprecations (`deprecated: true` with `x-deprecated-since` and `x-deprecated-note`).
pub fn collect_objects(
    schema: &Value,
    pointer: &str,
    found: &mut Vec<ObjectSchema>,
) -> Result<(), Error> {
    match schema {
        Value::Object(map) => {
            if let Some(properties) = map.get("properties").and_then(Value::as_object) {
                let mut object = ObjectSchema::default();
                for (name, property) in properties {
                    object.order.push(name.clone());
                    if property.get("deprecated") == Some(&Value::Bool(true)) {
                        let at = format!("{pointer}/properties/{name}");
                        let text = |key: &str| {
                            property
                                .get(key)
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                                .ok_or_else(|| {
                                    Error::spec(
                                        format!("{at}/{key}"),
                                        "a deprecated property needs `x-deprecated-since` (a date) \
                                         and `x-deprecated-note` (what to use instead)",
                                    )
                                })
                        };
                        object.deprecated.insert(
                            name.clone(),
                            (text("x-deprecated-since")?, text("x-deprecated-note")?),
                        );
                    }
                }
                found.push(object);
            }
            for (key, child) in map {
                collect_objects(child, &format!("{pointer}/{key}"), found)?;
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                collect_objects(child, &format!("{pointer}/{index}"), found)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The Rust name of a field the wire calls `wire`, whose type is called `type_name` (when it is
/// one of the spec's types). A wire name that is a keyword takes its type's name when that ends
/// with it (`type` of `ReceiverType` → `receiver_type`), else `kind` for `type` and a trailing
/// `_` for any other keyword.
pub fn field_name(wire: &str, type_name: Option<&str>) -> String {
    let name = wire.to_snake_case();
    let is_keyword = syn::parse_str::<syn::Ident>(&name).is_err()
        && syn::parse_str::<syn::Ident>(&format!("r#{name}")).is_ok();
    if !is_keyword {
        // An identifier as it is; anything else is left for the caller's check to report.
        return name;
    }
    match type_name.map(ToSnakeCase::to_snake_case) {
        Some(from_type) if from_type.ends_with(&format!("_{name}")) => from_type,
        _ if name == "type" => "kind".to_owned(),
        _ => format!("{name}_"),
    }
}

/// The doc line that gives a renamed field's wire name.
pub fn wire_name_doc(wire: &str) -> String {
    format!("On the wire: `{wire}`.")
}

/// Puts the fields of each of typify's structs in its schema's order, renames keyword fields and
/// marks deprecated ones. Every one of these structs is an answer (or part of one), and WeChat Pay
/// adds fields to its answers: they are `#[non_exhaustive]`, so that a field added by a
/// regeneration breaks no caller. A struct is matched to its schema by its set of wire names; two schemas
/// with the same set but different orders are an error, since either order could be wrong.
pub fn typify_structs(file: &mut syn::File, objects: &[ObjectSchema]) -> Result<(), Error> {
    for item in &mut file.items {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &mut item.fields else {
            continue;
        };
        item.attrs.push(syn::parse_quote!(#[non_exhaustive]));
        let wires: Vec<String> = fields.named.iter().map(wire_name).collect();
        let mut sorted = wires.clone();
        sorted.sort();
        let matching: Vec<&ObjectSchema> = objects
            .iter()
            .filter(|object| {
                let mut order = object.order.clone();
                order.sort();
                order == sorted
            })
            .collect();
        let Some(object) = matching.first() else {
            continue;
        };
        if matching.iter().any(|other| other.order != object.order) {
            return Err(Error::spec(
                "#/components/schemas",
                format!(
                    "the struct {} matches objects with the fields {} in different orders",
                    item.ident,
                    sorted.join(", ")
                ),
            ));
        }
        let mut named: Vec<syn::Field> = std::mem::take(&mut fields.named).into_iter().collect();
        named.sort_by_key(|field| {
            let wire = wire_name(field);
            object.order.iter().position(|name| *name == wire)
        });
        for field in &mut named {
            let wire = wire_name(field);
            rename_keyword_field(field, &wire);
            if let Some((since, note)) = object.deprecated.get(&wire) {
                // `since` is for the crate's version (clippy checks it is semver), so the
                // date goes in the note.
                append_doc(
                    field,
                    &format!("Deprecated by WeChat Pay since {since}: {note}."),
                );
                let note = format!("deprecated by WeChat Pay since {since}: {note}");
                field
                    .attrs
                    .push(syn::parse_quote!(#[deprecated(note = #note)]));
            }
        }
        fields.named = named.into_iter().collect();
    }
    Ok(())
}

/// The name a field has on the wire: its `#[serde(rename = "…")]`, else its identifier.
fn wire_name(field: &syn::Field) -> String {
    for attr in &field.attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let mut renamed = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if let Some(renamed) = renamed {
            return renamed;
        }
    }
    field
        .ident
        .as_ref()
        .map(|ident| ident.to_string().trim_start_matches("r#").to_owned())
        .unwrap_or_default()
}

/// Gives a field typify named after a keyword (`type_`) the name [`field_name`] picks, and its
/// wire name in the docs.
fn rename_keyword_field(field: &mut syn::Field, wire: &str) {
    let Some(ident) = &field.ident else {
        return;
    };
    if syn::parse_str::<syn::Ident>(wire).is_ok() || ident == wire {
        return;
    }
    let type_name = last_type_name(&field.ty);
    let name = field_name(wire, type_name.as_deref());
    field.ident = Some(syn::Ident::new(&name, ident.span()));
    append_doc(field, &wire_name_doc(wire));
}

/// Adds a paragraph after a field's doc comment (before its other attributes).
fn append_doc(field: &mut syn::Field, paragraph: &str) {
    let last_doc = field
        .attrs
        .iter()
        .rposition(|attr| attr.path().is_ident("doc"))
        .map_or(0, |index| index + 1);
    field
        .attrs
        .insert(last_doc, syn::parse_quote!(#[doc = #paragraph]));
    field.attrs.insert(last_doc, syn::parse_quote!(#[doc = ""]));
}

/// The name of a field's type, looking through `Option<…>`: `ReceiverType`.
fn last_type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident == "Option"
        && let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments
        && let Some(syn::GenericArgument::Type(inner)) = arguments.args.first()
    {
        return last_type_name(inner);
    }
    Some(segment.ident.to_string())
}

/// Writes every doc comment of `file` as one `///` line per line, each after a space.
pub fn doc_lines(file: &mut syn::File) {
    DocLines.visit_file_mut(file);
}

struct DocLines;

impl DocLines {
    fn split(attrs: &mut Vec<syn::Attribute>) {
        let mut out = Vec::with_capacity(attrs.len());
        for attr in attrs.drain(..) {
            let text = match &attr.meta {
                syn::Meta::NameValue(syn::MetaNameValue {
                    path,
                    value:
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(text),
                            ..
                        }),
                    ..
                }) if path.is_ident("doc") => text.value(),
                _ => {
                    out.push(attr);
                    continue;
                }
            };
            for line in text.lines() {
                let line = match line.strip_prefix(' ') {
                    Some(_) => line.to_owned(),
                    None if line.is_empty() => String::new(),
                    None => format!(" {line}"),
                };
                let line = line.trim_end();
                out.push(match attr.style {
                    syn::AttrStyle::Outer => syn::parse_quote!(#[doc = #line]),
                    syn::AttrStyle::Inner(_) => syn::parse_quote!(#![doc = #line]),
                });
            }
            if text.is_empty() {
                out.push(syn::parse_quote!(#[doc = ""]));
            }
        }
        *attrs = out;
    }
}

impl VisitMut for DocLines {
    fn visit_file_mut(&mut self, file: &mut syn::File) {
        Self::split(&mut file.attrs);
        syn::visit_mut::visit_file_mut(self, file);
    }

    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        let attrs = match item {
            syn::Item::Const(item) => Some(&mut item.attrs),
            syn::Item::Enum(item) => Some(&mut item.attrs),
            syn::Item::Fn(item) => Some(&mut item.attrs),
            syn::Item::Impl(item) => Some(&mut item.attrs),
            syn::Item::Macro(item) => Some(&mut item.attrs),
            syn::Item::Mod(item) => Some(&mut item.attrs),
            syn::Item::Static(item) => Some(&mut item.attrs),
            syn::Item::Struct(item) => Some(&mut item.attrs),
            syn::Item::Trait(item) => Some(&mut item.attrs),
            syn::Item::Type(item) => Some(&mut item.attrs),
            syn::Item::Use(item) => Some(&mut item.attrs),
            _ => None,
        };
        if let Some(attrs) = attrs {
            Self::split(attrs);
        }
        syn::visit_mut::visit_item_mut(self, item);
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        Self::split(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        Self::split(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }

    fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(item) => Some(&mut item.attrs),
            syn::ImplItem::Fn(item) => Some(&mut item.attrs),
            syn::ImplItem::Type(item) => Some(&mut item.attrs),
            _ => None,
        };
        if let Some(attrs) = attrs {
            Self::split(attrs);
        }
        syn::visit_mut::visit_impl_item_mut(self, item);
    }
}

/// prettyplease prints the arguments of a macro call as a flow of tokens, wrapped at its width,
/// and writes `crate ::X` there. The generated calls of the crate's helper macros
/// (`crate::__generated::open_enum!(…)`, `request_builder!(…)`) read as lists: one argument per
/// line. A call that fits on one line stays as it is.
pub fn macro_calls(text: &str) -> String {
    let text = text.replace("crate ::", "crate::");
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !(line.starts_with("crate::__generated::") && line.ends_with("!(")) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut arguments = String::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            if inner == ");" {
                closed = true;
                break;
            }
            arguments.push_str(inner.trim());
            arguments.push(' ');
        }
        out.push_str(line);
        out.push('\n');
        for argument in split_arguments(&arguments) {
            // The flow of tokens spaces generics out: `Vec < T >`.
            let argument = argument
                .replace(" < ", "<")
                .replace(" <", "<")
                .replace(" >", ">");
            out.push_str("    ");
            out.push_str(&argument);
            out.push_str(",\n");
        }
        if closed {
            out.push_str(");\n");
        }
    }
    out
}

/// Splits a macro call's arguments at the commas outside brackets and string literals.
fn split_arguments(text: &str) -> Vec<String> {
    let mut arguments = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            current.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                arguments.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        arguments.push(current.trim().to_owned());
    }
    arguments
}

#[cfg(test)]
mod tests {
    use super::macro_calls;

    #[test]
    fn helper_macro_calls_list_one_argument_per_line() {
        let flowed = "crate::__generated::request_builder!(\n    A, ABuilder, request, x(::std::vec::Vec < crate ::B >,\n    \"x, y\", required, into)\n);\nfn f() {}\n";
        assert_eq!(
            macro_calls(flowed),
            "crate::__generated::request_builder!(\n    A,\n    ABuilder,\n    request,\n    \
             x(::std::vec::Vec<crate::B>, \"x, y\", required, into),\n);\nfn f() {}\n"
        );
        // A call that fits on one line, and any other code, stay as they are.
        let short = "crate::__generated::open_enum!(CloseReason, NoAuth = \"NO_AUTH\");\nlet a = f(\n    b,\n);\n";
        assert_eq!(macro_calls(short), short);
    }
}
