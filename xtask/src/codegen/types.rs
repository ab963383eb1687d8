//! Component schemas → Rust data types.
//!
//! typify builds the structs. Three kinds of schema it would get wrong are ours instead:
//! - string enums: typify's are closed (an unknown value fails the whole response), so we generate
//!   open enums with an `Unknown(String)` variant and have typify refer to them;
//! - `x-one-or-many` lists: a newtype over `Vec<T>` that also accepts one bare object;
//! - `format: date-time`: typify's `DateTime<Utc>` drops the offset, so it becomes
//!   `chrono::DateTime<FixedOffset>`, which keeps `+08:00`.

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use schemars::schema::{Schema, SchemaObject};
use serde_json::{Map, Value};
use typify::{TypeSpace, TypeSpaceSettings};

use super::Error;
use super::spec::{Spec, check_ident, pointer_key, ref_name};

/// The Rust type a `format: date-time` string becomes.
const DATE_TIME: &str = "::chrono::DateTime<::chrono::FixedOffset>";

/// A string enum of the spec, generated open.
struct OpenEnum {
    name: String,
    description: String,
    /// Wire value, Rust variant name, description.
    values: Vec<(String, String, String)>,
}

/// A list that may arrive as one bare object (`x-one-or-many`).
struct OneOrMany {
    name: String,
    description: String,
    item: String,
}

/// The data types of the spec's component schemas.
pub fn generate(spec: &Spec) -> Result<TokenStream, Error> {
    let mut enums = Vec::new();
    let mut lists = Vec::new();
    let mut structs = Vec::new();
    // The objects of request bodies are generated with their operations.
    let requests = super::spec::request_components(spec);
    for (name, schema) in spec.schemas() {
        let pointer = format!("#/components/schemas/{}", pointer_key(name));
        check_ident(name, &pointer, "the schema name")?;
        if name.to_upper_camel_case() != name {
            return Err(Error::spec(
                &pointer,
                format!("schema names are UpperCamelCase, as the Rust types: {name}"),
            ));
        }
        let object = schema
            .as_object()
            .ok_or_else(|| Error::spec(&pointer, "a component schema must be an object"))?;
        if object.contains_key("enum") {
            enums.push(open_enum(name, object, &pointer)?);
        } else if requests.contains(name) {
            continue;
        } else if object.get("x-one-or-many") == Some(&Value::Bool(true)) {
            lists.push(one_or_many(name, object, &pointer)?);
        } else {
            structs.push((name, normalize(schema, spec, &pointer)?));
        }
    }

    let mut settings = TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("PartialEq".to_owned())
        .with_derive("Eq".to_owned());
    for name in enums
        .iter()
        .map(|e| &e.name)
        .chain(lists.iter().map(|l| &l.name))
    {
        settings.with_replacement(name, name, std::iter::empty());
    }
    let mut date_times = Vec::new();
    for (_, schema) in &structs {
        collect_date_times(schema, &mut date_times);
    }
    for schema in date_times {
        settings.with_conversion(schema, DATE_TIME, std::iter::empty());
    }

    let mut space = TypeSpace::new(&settings);
    let mut definitions = Vec::new();
    for (name, schema) in &structs {
        let pointer = format!("#/components/schemas/{}", pointer_key(name));
        let schema: Schema = serde_json::from_value(schema.clone()).map_err(|e| {
            Error::spec(&pointer, format!("not a JSON Schema typify can read: {e}"))
        })?;
        definitions.push((name.to_string(), schema));
    }
    // The open enums and lists are replaced, but typify still resolves references to them, so it
    // gets a placeholder definition of each.
    for name in enums
        .iter()
        .map(|e| &e.name)
        .chain(lists.iter().map(|l| &l.name))
    {
        definitions.push((name.clone(), Schema::Object(SchemaObject::default())));
    }
    space
        .add_ref_types(definitions)
        .map_err(|source| Error::Typify {
            pointer: "#/components/schemas".to_owned(),
            source,
        })?;

    let mut objects = Vec::new();
    for (name, _) in &structs {
        if let Some(schema) = spec.schema(name) {
            let pointer = format!("#/components/schemas/{}", pointer_key(name));
            super::polish::collect_objects(schema, &pointer, &mut objects)?;
        }
    }
    let mut typified = without_unused_error_module(space.to_stream())?;
    super::polish::typify_structs(&mut typified, &objects)?;
    let typified = quote!(#typified);
    // Every date-time must have met its conversion: typify's own choice drops the offset.
    if typified.to_string().contains(":: Utc") {
        return Err(Error::spec(
            "#/components/schemas",
            "a date-time became DateTime<Utc>, which drops the +08:00 offset",
        ));
    }
    let enums = enums.iter().map(open_enum_tokens);
    let lists = lists.iter().map(one_or_many_tokens);
    Ok(quote! {
        #typified
        #(#enums)*
        #(#lists)*
    })
}

/// typify always emits `pub mod error { ConversionError }` for the `TryFrom` impls of validating
/// types; when no generated type uses it, it would be dead public API, so it is left out.
fn without_unused_error_module(tokens: TokenStream) -> Result<syn::File, Error> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::Syntax {
        file: "typify's output".to_owned(),
        message: e.to_string(),
    })?;
    let is_error_module =
        |item: &syn::Item| matches!(item, syn::Item::Mod(m) if m.ident == "error");
    let used = file
        .items
        .iter()
        .filter(|item| !is_error_module(item))
        .any(|item| quote!(#item).to_string().contains("ConversionError"));
    let items = file
        .items
        .into_iter()
        .filter(|item| used || !is_error_module(item))
        .collect();
    Ok(syn::File { items, ..file })
}

/// Reads a string enum and the description of each of its values.
fn open_enum(name: &str, object: &Map<String, Value>, pointer: &str) -> Result<OpenEnum, Error> {
    if object.get("type").and_then(Value::as_str) != Some("string") {
        return Err(Error::spec(
            format!("{pointer}/type"),
            "an enum must be `type: string`",
        ));
    }
    let description = description(object, pointer)?;
    let described = object
        .get("x-enum-descriptions")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::spec(
                format!("{pointer}/x-enum-descriptions"),
                "an enum needs a map from each value to its description (the doc's 枚举值 lines)",
            )
        })?;
    let listed = object
        .get("enum")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut values: Vec<(String, String, String)> = Vec::new();
    for (index, value) in listed.iter().enumerate() {
        let at = format!("{pointer}/enum/{index}");
        let value = value
            .as_str()
            .ok_or_else(|| Error::spec(&at, "enum values must be strings"))?;
        let text = described
            .get(value)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::spec(
                    format!("{pointer}/x-enum-descriptions"),
                    format!("no description for the value {value}"),
                )
            })?;
        let variant = value.to_upper_camel_case();
        if variant == "Unknown" {
            return Err(Error::spec(
                &at,
                "the value becomes `Unknown`, the variant kept for values this version does not know",
            ));
        }
        check_ident(&variant, &at, "the variant name of the value")?;
        if let Some((other, _, _)) = values.iter().find(|(_, v, _)| *v == variant) {
            return Err(Error::spec(
                &at,
                format!("{value} and {other} both become the variant {variant}"),
            ));
        }
        values.push((value.to_owned(), variant, text.to_owned()));
    }
    if values.is_empty() {
        return Err(Error::spec(
            format!("{pointer}/enum"),
            "an enum needs at least one value",
        ));
    }
    if let Some(extra) = described
        .keys()
        .find(|key| !values.iter().any(|(v, _, _)| v == *key))
    {
        return Err(Error::spec(
            format!("{pointer}/x-enum-descriptions/{}", pointer_key(extra)),
            format!("{extra} is described but not in the enum"),
        ));
    }
    Ok(OpenEnum {
        name: name.to_owned(),
        description,
        values,
    })
}

/// Reads an `x-one-or-many` list: `oneOf: [{type: array, items: {$ref: T}}, {$ref: T}]`.
fn one_or_many(name: &str, object: &Map<String, Value>, pointer: &str) -> Result<OneOrMany, Error> {
    let description = description(object, pointer)?;
    let expected = "`x-one-or-many` needs `oneOf: [{type: array, items: {$ref: T}}, {$ref: T}]`";
    let shape = object
        .get("oneOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice);
    let Some([many, one]) = shape else {
        return Err(Error::spec(format!("{pointer}/oneOf"), expected));
    };
    let item = one.get("$ref").and_then(Value::as_str).and_then(ref_name);
    let items = many
        .pointer("/items/$ref")
        .and_then(Value::as_str)
        .and_then(ref_name);
    match (item, items) {
        (Some(item), Some(items))
            if item == items && many.get("type") == Some(&Value::from("array")) =>
        {
            Ok(OneOrMany {
                name: name.to_owned(),
                description,
                item: item.to_owned(),
            })
        }
        _ => Err(Error::spec(format!("{pointer}/oneOf"), expected)),
    }
}

/// The `description` every generated public item needs for its doc comment.
fn description(object: &Map<String, Value>, pointer: &str) -> Result<String, Error> {
    object
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::spec(
                format!("{pointer}/description"),
                "a description is required: it becomes the doc comment",
            )
        })
}

/// Turns an OpenAPI 3.0 schema into the JSON Schema typify reads: `example` becomes `examples`,
/// vendor extensions (already read by this generator) are dropped, and a property that is only a
/// `$ref` borrows the referenced schema's description, so that the field gets a doc comment.
/// Keywords OpenAPI 3.0 gives another meaning, or that this generator does not handle, are errors.
///
/// The component schemas describe what WeChat Pay answers, and an answer is data: a string longer
/// than the doc's `string(32)` must still decode. So `maxLength`, `minLength` and `pattern` go into
/// the doc comment instead of becoming typify's validating newtypes.
fn normalize(schema: &Value, spec: &Spec, pointer: &str) -> Result<Value, Error> {
    let Some(object) = schema.as_object() else {
        return Ok(schema.clone());
    };
    let mut out = Map::new();
    let mut limits = Vec::new();
    // A date-time becomes a `DateTime`, not a string: a page's `string(64)` says nothing true
    // about it.
    let is_date_time = object.get("format").and_then(Value::as_str) == Some("date-time");
    for (key, value) in object {
        let at = format!("{pointer}/{}", pointer_key(key));
        match key.as_str() {
            key if key.starts_with("x-") => {}
            "maxLength" | "minLength" if is_date_time => {}
            "maxLength" => limits.push(format!(
                "At most {value} characters (not enforced when decoding)."
            )),
            "minLength" => limits.push(format!(
                "At least {value} characters (not enforced when decoding)."
            )),
            "pattern" => limits.push(format!(
                "Matches `{}` (not enforced when decoding).",
                value.as_str().unwrap_or_default()
            )),
            // Read from the spec itself when the struct is polished (see `polish`).
            "deprecated" => {}
            "nullable" | "discriminator" | "readOnly" | "writeOnly" | "xml" | "externalDocs" => {
                return Err(Error::spec(
                    at,
                    format!("`{key}` is not supported by the generator"),
                ));
            }
            "example" => {
                out.insert("examples".to_owned(), Value::Array(vec![value.clone()]));
            }
            "properties" => {
                let properties = value
                    .as_object()
                    .ok_or_else(|| Error::spec(&at, "must be a map"))?;
                let mut normalized = Map::new();
                for (name, property) in properties {
                    let at = format!("{at}/{}", pointer_key(name));
                    let mut property = normalize(property, spec, &at)?;
                    borrow_description(&mut property, spec);
                    if property.get("description").is_none() {
                        return Err(Error::spec(
                            at,
                            "a property needs a description: it becomes the field's doc comment",
                        ));
                    }
                    normalized.insert(name.clone(), property);
                }
                out.insert(key.clone(), Value::Object(normalized));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), normalize(value, spec, &at)?);
            }
            "oneOf" | "anyOf" | "allOf" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| Error::spec(&at, "must be a list"))?;
                let list = list
                    .iter()
                    .enumerate()
                    .map(|(index, item)| normalize(item, spec, &format!("{at}/{index}")))
                    .collect::<Result<_, _>>()?;
                out.insert(key.clone(), Value::Array(list));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if !limits.is_empty() {
        let description = out
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let description = format!("{}\n\n{}", description.trim_end(), limits.join(" "));
        out.insert(
            "description".to_owned(),
            Value::String(description.trim_start().to_owned()),
        );
    }
    Ok(Value::Object(out))
}

/// Gives a bare `{$ref: T}` the description of `T`.
fn borrow_description(property: &mut Value, spec: &Spec) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    if object.contains_key("description") {
        return;
    }
    let borrowed = object
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(ref_name)
        .and_then(|name| spec.schema(name))
        .and_then(|target| target.get("description"))
        .cloned();
    if let Some(description) = borrowed {
        object.insert("description".to_owned(), description);
    }
}

/// Every `format: date-time` schema object, as typify will see it, so that each can be mapped to
/// [`DATE_TIME`] (typify matches conversions on the whole schema less its metadata).
fn collect_date_times(schema: &Value, found: &mut Vec<SchemaObject>) {
    match schema {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("date-time")
                && let Ok(Schema::Object(object)) = serde_json::from_value::<Schema>(schema.clone())
                && !found.contains(&object)
            {
                found.push(object);
            }
            map.values()
                .for_each(|child| collect_date_times(child, found));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|child| collect_date_times(child, found)),
        _ => {}
    }
}

fn open_enum_tokens(e: &OpenEnum) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let doc = &e.description;
    let wire: Vec<&str> = e
        .values
        .iter()
        .map(|(value, _, _)| value.as_str())
        .collect();
    let variants: Vec<_> = e
        .values
        .iter()
        .map(|(_, variant, _)| format_ident!("{variant}"))
        .collect();
    let docs: Vec<String> = e
        .values
        .iter()
        .map(|(value, _, text)| format!("`{value}`: {text}"))
        .collect();
    let example = e
        .values
        .first()
        .map(|(value, _, _)| value.as_str())
        .unwrap_or_default();
    let open_doc = format!(
        "Open: a value this version does not know decodes into [`{0}::Unknown`] with the raw \
         string and encodes back unchanged. [`From<&str>`] never fails and never gives \
         `Unknown` for a known value, e.g. `{0}::from(\"{example}\")`.",
        e.name
    );
    quote! {
        #[doc = #doc]
        ///
        #[doc = #open_doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #[doc = #docs]
                #variants,
            )*
            /// A value this version does not know, kept exactly as WeChat Pay sent it.
            Unknown(::std::string::String),
        }

        crate::__generated::open_enum!(#name, #( #variants = #wire ),*);
    }
}

fn one_or_many_tokens(list: &OneOrMany) -> TokenStream {
    let name = format_ident!("{}", list.name);
    let item = format_ident!("{}", list.item);
    let doc = &list.description;
    let accepts = format!(
        "Decodes from a JSON array of [`{0}`] or from one bare `{0}` object (a list of one); \
         encodes as an array. Dereferences to `Vec<{0}>`.",
        list.item
    );
    quote! {
        #[doc = #doc]
        ///
        #[doc = #accepts]
        #[derive(Clone, Debug, Default, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct #name(
            #[serde(deserialize_with = "crate::__generated::one_or_many")]
            pub ::std::vec::Vec<#item>,
        );

        impl ::std::ops::Deref for #name {
            type Target = ::std::vec::Vec<#item>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl ::std::convert::From<::std::vec::Vec<#item>> for #name {
            fn from(items: ::std::vec::Vec<#item>) -> Self {
                Self(items)
            }
        }

        impl ::std::iter::IntoIterator for #name {
            type Item = #item;
            type IntoIter = ::std::vec::IntoIter<#item>;

            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }

        impl<'a> ::std::iter::IntoIterator for &'a #name {
            type Item = &'a #item;
            type IntoIter = ::std::slice::Iter<'a, #item>;

            fn into_iter(self) -> Self::IntoIter {
                self.0.iter()
            }
        }
    }
}
