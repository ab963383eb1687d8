//! Operations → request types, operation metadata and client methods.
//!
//! Each operation gets a `…Request` struct: one field per path or query parameter and per field of
//! its JSON body (an enum where the spec's `x-exactly-one-of` joins two of them), a `validate` that
//! enforces `required`, `maxLength`, `pattern` and `maxItems` down to nested fields (naming the
//! path, `receivers[2].description`), the writers of its path, query and body, an `Operation`
//! constant for the layer that signs and sends, and a method on `Client` named after the
//! `operationId`. The objects a body holds are structs of their own, generated here, not by typify:
//! they are written (and checked) by the caller, not read from an answer.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::Error;
use super::layout::{Family, Home, collect_refs, home_of, tag_of};
use super::spec::{Spec, check_ident, pointer_key, ref_name};

/// One operation of the spec, as the generator reads it.
struct Operation {
    id: String,
    /// The family's tag.
    tag: String,
    /// The method on the family's handle (`x-method`).
    method_name: String,
    summary: String,
    description: String,
    method: String,
    path: String,
    /// The path and query parameters, then the body's fields.
    fields: Vec<Field>,
    groups: Vec<Group>,
    /// The component the body is, if the operation has one.
    body: Option<String>,
    /// The component the answer decodes into; `None` for an answer without a body (204).
    response: Option<String>,
    errors: Vec<DocumentedError>,
    idempotent: bool,
    /// The merchant's number that makes a repeated request the same request (e.g. `out_order_no`),
    /// for an operation that changes something.
    business_number: Option<String>,
    /// The JSON pointers of the body's sensitive fields (`*` for every item of an array).
    sensitive: Vec<String>,
    example_answer: Option<String>,
}

/// Where a field of a request travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Body,
}

/// A field of a request: a parameter or a property of a body object.
#[derive(Clone)]
struct Field {
    name: String,
    description: String,
    required: bool,
    location: Location,
    kind: Kind,
    max_length: Option<usize>,
    max_items: Option<usize>,
    /// The character class of a `^[…]+$` pattern, and its ranges.
    charset: Option<(String, Vec<(char, char)>)>,
    example: Option<String>,
    sensitive: bool,
}

/// The type of a request field.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    String,
    DateTime,
    Int,
    Bool,
    /// An open enum of `types.rs`.
    Enum(String),
    /// A request object, generated here.
    Object(String),
    Array(Box<Kind>),
}

/// Fields of which exactly one must be given (`x-exactly-one-of`).
#[derive(Clone)]
struct Group {
    name: String,
    field: String,
    description: String,
    members: Vec<String>,
}

pub(super) struct DocumentedError {
    pub(super) status: u16,
    pub(super) code: String,
    pub(super) solution: String,
}

/// A request object of a body: a component generated as a struct here.
struct RequestObject {
    name: String,
    description: String,
    fields: Vec<Field>,
}

/// The request types, operation constants and handle methods of every operation, by the module
/// they go to, and each family's handle.
pub fn generate(
    spec: &Spec,
    families: &[Family],
    homes: &BTreeMap<String, Home>,
) -> Result<Vec<(Home, TokenStream)>, Error> {
    let mut operations = Vec::new();
    let paths = spec
        .raw
        .get("paths")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (path, item) in &paths {
        let pointer = format!("#/paths/{}", pointer_key(path));
        let item = item
            .as_object()
            .ok_or_else(|| Error::spec(&pointer, "a path item must be an object"))?;
        if item.contains_key("$ref") {
            return Err(Error::spec(
                pointer,
                "a path item must be inline, not a $ref",
            ));
        }
        if item.contains_key("parameters") {
            return Err(Error::spec(
                format!("{pointer}/parameters"),
                "declare parameters on the operation",
            ));
        }
        for (method, operation) in item {
            let pointer = format!("{pointer}/{method}");
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                return Err(Error::spec(
                    pointer,
                    "a method of get, post, put, patch or delete",
                ));
            }
            operations.push(read_operation(
                spec, families, path, method, operation, &pointer,
            )?);
        }
    }
    let objects = request_objects(spec, &operations)?;

    let mut out: Vec<(Home, TokenStream)> = Vec::new();
    // A group's home is the family of the operations that use it.
    let mut groups: BTreeMap<String, (Vec<String>, TokenStream, Vec<String>)> = BTreeMap::new();
    for op in &operations {
        for group in &op.groups {
            let pointer = format!("the x-exactly-one-of group {} of {}", group.name, op.id);
            match groups.get_mut(&group.name) {
                Some((members, _, _)) if *members != group.members => {
                    return Err(Error::spec(
                        pointer,
                        format!(
                            "{} is another group's name, with the members {members:?}",
                            group.name
                        ),
                    ));
                }
                Some((_, _, tags)) => tags.push(op.tag.clone()),
                None => {
                    groups.insert(
                        group.name.clone(),
                        (
                            group.members.clone(),
                            group_tokens(group, &op.fields),
                            vec![op.tag.clone()],
                        ),
                    );
                }
            }
        }
    }
    for (_, tokens, tags) in groups.values() {
        out.push((home_of(tags), tokens.clone()));
    }
    for object in &objects {
        let home = homes.get(&object.name).cloned().flatten();
        out.push((home, object_tokens(object)));
    }
    for family in families {
        let members: Vec<&Operation> = operations
            .iter()
            .filter(|op| op.tag == family.tag)
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut names = BTreeSet::new();
        for op in &members {
            if !names.insert(op.method_name.as_str()) {
                return Err(Error::spec(
                    format!("the operation {}", op.id),
                    format!(
                        "x-method {} is another operation's method in the family {}",
                        op.method_name, family.tag
                    ),
                ));
            }
        }
        let (shared, tables) = error_tables(spec, &members)?;
        let mut tokens = shared;
        let mut methods = TokenStream::new();
        for (op, errors) in members.iter().zip(tables) {
            let (items, method) = operation_tokens(op, family, &errors);
            tokens.extend(items);
            methods.extend(method);
        }
        tokens.extend(handle_tokens(family, &methods));
        out.push((Some(family.tag.clone()), tokens));
    }
    Ok(out)
}

/// A family's handle: the type `client.{tag}()` returns, whose methods are the family's
/// operations.
fn handle_tokens(family: &Family, methods: &TokenStream) -> TokenStream {
    let handle = format_ident!("{}", family.handle);
    let accessor = format_ident!("{}", family.tag);
    let description = family.description.trim();
    let handle_doc = format!(
        "{description}\n\nThe operations of the `{}` family, reached with \
         [`Client::{}`](crate::Client::{}): it borrows the client, which holds the keys, the \
         certificates and the connection pool.",
        family.tag, family.tag, family.tag
    );
    let name = family.handle.as_str();
    let accessor_doc = format!("{description}\n\nSee [`{name}`].");
    quote! {
        #[doc = #handle_doc]
        #[derive(Clone, Copy)]
        pub struct #handle<'a> {
            client: &'a crate::Client,
        }

        impl ::std::fmt::Debug for #handle<'_> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name).finish_non_exhaustive()
            }
        }

        impl crate::Client {
            #[doc = #accessor_doc]
            pub fn #accessor(&self) -> #handle<'_> {
                #handle { client: self }
            }
        }

        impl #handle<'_> {
            #methods
        }
    }
}

/// Each operation's table of documented errors. An error answer (status, code and advice) that
/// two or more operations document is one constant, which their tables name; one documented once
/// is written in its table. Every code must be a value of the `ErrorCode` enum, so that the
/// table's codes are that enum's variants.
fn error_tables(
    spec: &Spec,
    operations: &[&Operation],
) -> Result<(TokenStream, Vec<Vec<TokenStream>>), Error> {
    let known = known_error_codes(spec);
    let key = |e: &DocumentedError| (e.status, e.code.clone(), e.solution.clone());
    let mut uses: BTreeMap<(u16, String, String), usize> = BTreeMap::new();
    for op in operations {
        for e in &op.errors {
            if !known.contains(&e.code.as_str()) {
                return Err(Error::spec(
                    "#/components/schemas/ErrorCode/enum",
                    format!(
                        "{} documents the error code {}, which is not a value of the ErrorCode enum",
                        op.id, e.code
                    ),
                ));
            }
            *uses.entry(key(e)).or_default() += 1;
        }
    }
    let value = documented_error;
    let mut names: BTreeMap<(u16, String, String), proc_macro2::Ident> = BTreeMap::new();
    let mut shared = TokenStream::new();
    for op in operations {
        for e in &op.errors {
            let k = key(e);
            if uses.get(&k).copied().unwrap_or_default() < 2 || names.contains_key(&k) {
                continue;
            }
            let base = format!("{}_{}", e.code.to_shouty_snake_case(), e.status);
            let name = (1..)
                .map(|n| match n {
                    1 => base.clone(),
                    n => format!("{base}_{n}"),
                })
                .find(|candidate| !names.values().any(|taken| taken == candidate.as_str()))
                .unwrap_or(base);
            let name = format_ident!("{name}");
            let doc = format!(
                "{} {}, as {} operations document it: {}",
                e.status,
                e.code,
                uses.get(&k).copied().unwrap_or_default(),
                e.solution
            );
            let value = value(e);
            shared.extend(quote! {
                #[doc = #doc]
                const #name: crate::DocumentedError = #value;
            });
            names.insert(k, name);
        }
    }
    let tables = operations
        .iter()
        .map(|op| {
            op.errors
                .iter()
                .map(|e| match names.get(&key(e)) {
                    Some(name) => quote!(#name),
                    None => value(e),
                })
                .collect()
        })
        .collect();
    Ok((shared, tables))
}

fn text(object: &Value, key: &str, pointer: &str, why: &str) -> Result<String, Error> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::spec(format!("{pointer}/{key}"), why))
}

fn read_operation(
    spec: &Spec,
    families: &[Family],
    path: &str,
    method: &str,
    op: &Value,
    pointer: &str,
) -> Result<Operation, Error> {
    let id = text(
        op,
        "operationId",
        pointer,
        "an operation needs an operationId: it names the method",
    )?;
    for (name, what) in [
        (id.to_snake_case(), "the method name made of it,"),
        (id.to_shouty_snake_case(), "the constant name made of it,"),
        (
            format!("{}Request", id.to_upper_camel_case()),
            "the request type made of it,",
        ),
    ] {
        check_ident(&name, &format!("{pointer}/operationId"), what)?;
    }
    let summary = text(
        op,
        "summary",
        pointer,
        "an operation needs a summary: the doc page's Chinese title",
    )?;
    let tag = tag_of(op, families, pointer)?;
    let method_name = text(
        op,
        "x-method",
        pointer,
        "an operation needs x-method: its method on its family's handle",
    )?;
    check_ident(
        &method_name,
        &format!("{pointer}/x-method"),
        "the method name",
    )?;
    if method_name.to_snake_case() != method_name {
        return Err(Error::spec(
            format!("{pointer}/x-method"),
            format!("a method name is snake_case: {method_name}"),
        ));
    }
    let description = text(
        op,
        "description",
        pointer,
        "an operation needs a description",
    )?;

    let mut fields = Vec::new();
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (index, param) in parameters.iter().enumerate() {
        fields.push(read_param(
            spec,
            param,
            &format!("{pointer}/parameters/{index}"),
        )?);
    }
    let template: Vec<&str> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect();
    for name in &template {
        if !fields
            .iter()
            .any(|f| f.name == *name && f.location == Location::Path)
        {
            return Err(Error::spec(
                format!("{pointer}/parameters"),
                format!("no path parameter {name} for the {{{name}}} in the path"),
            ));
        }
    }
    if let Some(stray) = fields
        .iter()
        .find(|f| f.location == Location::Path && !template.contains(&f.name.as_str()))
    {
        return Err(Error::spec(
            format!("{pointer}/parameters"),
            format!(
                "the path parameter {} has no {{{}}} in the path",
                stray.name, stray.name
            ),
        ));
    }

    let mut body = None;
    let mut sensitive = Vec::new();
    if let Some(request_body) = op.get("requestBody") {
        let at = format!("{pointer}/requestBody");
        if method == "get" || method == "delete" {
            return Err(Error::spec(at, "a GET or DELETE has no body"));
        }
        let name = request_body
            .pointer("/content/application~1json/schema/$ref")
            .and_then(Value::as_str)
            .and_then(ref_name)
            .ok_or_else(|| {
                Error::spec(
                    format!("{at}/content"),
                    "a body of application/json with a $ref to a component schema",
                )
            })?;
        let schema_at = format!("#/components/schemas/{}", pointer_key(name));
        let object = spec
            .schema(name)
            .ok_or_else(|| Error::spec(&at, format!("no component {name}")))?;
        for field in read_object(spec, object, &schema_at)? {
            if fields.iter().any(|f| f.name == field.name) {
                return Err(Error::spec(
                    format!("{schema_at}/properties/{}", pointer_key(&field.name)),
                    "a body field with the name of a parameter",
                ));
            }
            fields.push(field);
        }
        sensitive_pointers(spec, object, "", &mut sensitive, &mut BTreeSet::new());
        body = Some(name.to_owned());
    }
    let groups = read_groups(op, &fields, pointer)?;

    let mut response = None;
    let mut has_success = false;
    let mut example_answer = None;
    let mut errors = Vec::new();
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (status, answer) in &responses {
        let at = format!("{pointer}/responses/{status}");
        let status: u16 = status.parse().map_err(|_| {
            Error::spec(&at, "a status code (ranges such as 4XX are not supported)")
        })?;
        if answer.get("$ref").is_some() {
            return Err(Error::spec(at, "a response must be inline, not a $ref"));
        }
        if (200..300).contains(&status) {
            if has_success {
                return Err(Error::spec(at, "only one success response is supported"));
            }
            has_success = true;
            let Some(content) = answer.get("content") else {
                if status != 204 {
                    return Err(Error::spec(
                        at,
                        "a success response without content must be 204 (No Content)",
                    ));
                }
                continue;
            };
            let name = content
                .pointer("/application~1json/schema/$ref")
                .and_then(Value::as_str)
                .and_then(ref_name)
                .ok_or_else(|| {
                    Error::spec(
                        format!("{at}/content"),
                        "a success response needs application/json with a $ref to a component schema",
                    )
                })?;
            response = Some(name.to_owned());
            example_answer = content
                .pointer("/application~1json/example")
                .map(Value::to_string);
        } else {
            errors.extend(read_error_codes(status, answer.get("x-error-codes"), &at)?);
        }
    }
    if !has_success {
        return Err(Error::spec(
            format!("{pointer}/responses"),
            "an operation needs a 2xx response",
        ));
    }
    let idempotent = match op.get("x-idempotent") {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(Error::spec(
                format!("{pointer}/x-idempotent"),
                "true or false",
            ));
        }
    };
    let business_number = business_number(op, &fields, method, pointer)?;
    Ok(Operation {
        id,
        tag,
        method_name,
        summary,
        description,
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        fields,
        groups,
        body,
        response,
        errors,
        idempotent,
        business_number,
        sensitive,
        example_answer,
    })
}

/// The business number (商户单号) of an operation that changes something (not a GET): the
/// operation's `x-business-number` when it has one, else its one required field of the body or
/// the path named `out_…_no` (e.g. `out_order_no`, `out_return_no`), else none. Two such fields
/// without `x-business-number` are an error, and so is `x-business-number` on a GET (a query has
/// none).
fn business_number(
    op: &Value,
    fields: &[Field],
    method: &str,
    pointer: &str,
) -> Result<Option<String>, Error> {
    let given = op.get("x-business-number");
    if method.eq_ignore_ascii_case("get") {
        return match given {
            None => Ok(None),
            Some(_) => Err(Error::spec(
                format!("{pointer}/x-business-number"),
                "no business number on a GET: a query changes nothing",
            )),
        };
    }
    let identifies = |f: &Field| matches!(f.location, Location::Body | Location::Path);
    if let Some(given) = given {
        return match given.as_str() {
            Some(name) if fields.iter().any(|f| identifies(f) && f.name == name) => {
                Ok(Some(name.to_owned()))
            }
            _ => Err(Error::spec(
                format!("{pointer}/x-business-number"),
                "the name of a field of the request body or path",
            )),
        };
    }
    let candidates: Vec<&str> = fields
        .iter()
        .filter(|f| {
            identifies(f) && f.required && f.name.starts_with("out_") && f.name.ends_with("_no")
        })
        .map(|f| f.name.as_str())
        .collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).to_owned())),
        several => Err(Error::spec(
            format!("{pointer}/x-business-number"),
            format!(
                "the body has several merchant numbers ({}): name the one that identifies the \
                 request with x-business-number",
                several.join(", ")
            ),
        )),
    }
}

fn read_param(spec: &Spec, param: &Value, pointer: &str) -> Result<Field, Error> {
    if param.get("$ref").is_some() {
        return Err(Error::spec(
            pointer,
            "a parameter must be inline, not a $ref",
        ));
    }
    let name = text(param, "name", pointer, "a parameter needs a name")?;
    check_ident(
        &super::polish::field_name(&name, None),
        &format!("{pointer}/name"),
        "the field name",
    )?;
    let location = match param.get("in").and_then(Value::as_str) {
        Some("query") => Location::Query,
        Some("path") => Location::Path,
        other => {
            return Err(Error::spec(
                format!("{pointer}/in"),
                format!("a parameter in the query or the path, not {other:?}"),
            ));
        }
    };
    let required = param.get("required") == Some(&Value::Bool(true));
    if location == Location::Path && !required {
        return Err(Error::spec(
            format!("{pointer}/required"),
            "a path parameter is required",
        ));
    }
    let schema = param
        .get("schema")
        .ok_or_else(|| Error::spec(pointer, "a parameter needs an inline schema"))?;
    let description = text(
        param,
        "description",
        pointer,
        "a parameter needs a description",
    )?;
    let mut field = read_field(
        &name,
        &description,
        required,
        location,
        schema,
        &format!("{pointer}/schema"),
    )?;
    // A `$ref` is a string enum (`tar_type`), written in the URL as its value.
    field.kind = resolve(spec, field.kind, &format!("{pointer}/schema"))?;
    if !matches!(
        field.kind,
        Kind::String | Kind::Int | Kind::Bool | Kind::Enum(_)
    ) {
        return Err(Error::spec(
            format!("{pointer}/schema"),
            "a parameter is a string, an integer, a boolean or a string enum",
        ));
    }
    if field.sensitive {
        return Err(Error::spec(
            format!("{pointer}/schema/x-sensitive"),
            "a sensitive field travels encrypted in a body, not in the URL",
        ));
    }
    field.example = match param.get("example") {
        None => None,
        Some(Value::String(example)) => Some(example.clone()),
        Some(other) => Some(other.to_string()),
    };
    Ok(field)
}

/// The fields of a request object component.
fn read_object(spec: &Spec, object: &Value, pointer: &str) -> Result<Vec<Field>, Error> {
    if object.get("type").and_then(Value::as_str) != Some("object") {
        return Err(Error::spec(
            format!("{pointer}/type"),
            "a request body (or an object in one) is `type: object`",
        ));
    }
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = object
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut fields = Vec::new();
    for (name, property) in &properties {
        let at = format!("{pointer}/properties/{}", pointer_key(name));
        check_ident(
            &super::polish::field_name(name, None),
            &at,
            "the field name made of it",
        )?;
        let description = property
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                property
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(ref_name)
                    .and_then(|target| spec.schema(target))
                    .and_then(|target| target.get("description"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .ok_or_else(|| {
                Error::spec(
                    &at,
                    "a property needs a description: it becomes the field's doc comment",
                )
            })?;
        let mut field = read_field(
            name,
            &description,
            required.contains(&name.as_str()),
            Location::Body,
            property,
            &at,
        )?;
        // A `$ref` is an enum of types.rs or an object generated here.
        field.kind = resolve(spec, field.kind, &at)?;
        fields.push(field);
    }
    Ok(fields)
}

/// Tells a `$ref` to an enum from one to an object.
fn resolve(spec: &Spec, kind: Kind, at: &str) -> Result<Kind, Error> {
    match kind {
        Kind::Object(name) => match spec.schema(&name) {
            Some(target) if target.get("enum").is_some() => Ok(Kind::Enum(name)),
            Some(target) if target.get("type").and_then(Value::as_str) == Some("object") => {
                Ok(Kind::Object(name))
            }
            _ => Err(Error::spec(
                at,
                format!("{name} is neither a string enum nor an object"),
            )),
        },
        Kind::Array(item) => Ok(Kind::Array(Box::new(resolve(spec, *item, at)?))),
        other => Ok(other),
    }
}

/// A field from its schema.
fn read_field(
    name: &str,
    description: &str,
    required: bool,
    location: Location,
    schema: &Value,
    pointer: &str,
) -> Result<Field, Error> {
    let kind = read_kind(schema, pointer)?;
    let max_length = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    let max_items = schema
        .get("maxItems")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    if schema.get("minLength").is_some() || schema.get("enum").is_some() {
        return Err(Error::spec(
            pointer,
            "minLength and inline enums are not supported on request fields (an enum is a component)",
        ));
    }
    let charset = match schema.get("pattern").and_then(Value::as_str) {
        None => None,
        Some(pattern) => Some(parse_charset(pattern).ok_or_else(|| {
            Error::spec(
                format!("{pointer}/pattern"),
                format!("the pattern {pattern:?} is not of the supported form ^[class]+$ (ranges, characters, \\-)"),
            )
        })?),
    };
    let sensitive = schema.get("x-sensitive") == Some(&Value::Bool(true));
    if sensitive && kind != Kind::String {
        return Err(Error::spec(
            format!("{pointer}/x-sensitive"),
            "only a string field can be sensitive (it travels as base64 ciphertext)",
        ));
    }
    let example = match schema.get("example") {
        None | Some(Value::Object(_) | Value::Array(_)) => None,
        Some(Value::String(example)) => Some(example.clone()),
        Some(other) => Some(other.to_string()),
    };
    Ok(Field {
        name: name.to_owned(),
        description: description.to_owned(),
        required,
        location,
        kind,
        max_length: max_length.filter(|_| !sensitive),
        max_items,
        charset,
        example,
        sensitive,
    })
}

fn read_kind(schema: &Value, pointer: &str) -> Result<Kind, Error> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = ref_name(reference)
            .ok_or_else(|| Error::spec(pointer, format!("{reference} is not a component")))?;
        return Ok(Kind::Object(name.to_owned()));
    }
    match (
        schema.get("type").and_then(Value::as_str),
        schema.get("format").and_then(Value::as_str),
    ) {
        (Some("string"), Some("date-time")) => Ok(Kind::DateTime),
        (Some("string"), _) => Ok(Kind::String),
        (Some("integer"), _) => Ok(Kind::Int),
        (Some("boolean"), _) => Ok(Kind::Bool),
        (Some("array"), _) => {
            let items = schema
                .get("items")
                .ok_or_else(|| Error::spec(pointer, "an array needs `items`"))?;
            let item = read_kind(items, &format!("{pointer}/items"))?;
            if matches!(item, Kind::Array(_)) {
                return Err(Error::spec(
                    format!("{pointer}/items"),
                    "an array of arrays is not supported",
                ));
            }
            Ok(Kind::Array(Box::new(item)))
        }
        (other, _) => Err(Error::spec(
            pointer,
            format!("a string, integer, boolean, array or $ref, not {other:?}"),
        )),
    }
}

/// The JSON pointers of the sensitive fields under `object` (`*` for each item of an array).
fn sensitive_pointers(
    spec: &Spec,
    object: &Value,
    prefix: &str,
    out: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) {
    let properties = object.get("properties").and_then(Value::as_object);
    for (name, property) in properties.into_iter().flatten() {
        let here = format!("{prefix}/{}", pointer_key(name));
        if property.get("x-sensitive") == Some(&Value::Bool(true)) {
            out.push(here.clone());
        }
        let (reference, under) = match (property.get("$ref"), property.pointer("/items/$ref")) {
            (Some(reference), _) => (reference, here),
            (None, Some(reference)) => (reference, format!("{here}/*")),
            (None, None) => continue,
        };
        if let Some(name) = reference.as_str().and_then(ref_name)
            && seen.insert(name.to_owned())
            && let Some(target) = spec.schema(name)
        {
            sensitive_pointers(spec, target, &under, out, seen);
            seen.remove(name);
        }
    }
}

/// The request objects the bodies hold, nested ones included, in name order.
fn request_objects(spec: &Spec, operations: &[Operation]) -> Result<Vec<RequestObject>, Error> {
    let bodies: BTreeSet<&str> = operations
        .iter()
        .filter_map(|op| op.body.as_deref())
        .collect();
    let answers: BTreeSet<String> = response_components(spec);
    let mut objects = Vec::new();
    for name in super::spec::request_components(spec) {
        let pointer = format!("#/components/schemas/{}", pointer_key(&name));
        if answers.contains(&name) {
            return Err(Error::spec(
                pointer,
                "an object in both a request body and an answer: give each its own component",
            ));
        }
        if bodies.contains(name.as_str()) {
            // A body's fields are those of its operation's request type.
            continue;
        }
        let object = spec
            .schema(&name)
            .ok_or_else(|| Error::spec(&pointer, "no such component"))?;
        let description = text(
            object,
            "description",
            &pointer,
            "a description is required: it becomes the doc comment",
        )?;
        check_ident(&name, &pointer, "the schema name")?;
        objects.push(RequestObject {
            fields: read_object(spec, object, &pointer)?,
            name,
            description,
        });
    }
    Ok(objects)
}

/// The object components an answer reaches.
fn response_components(spec: &Spec) -> BTreeSet<String> {
    let mut pending: Vec<String> = Vec::new();
    if let Some(paths) = spec.raw.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for operation in item.values() {
                let responses = operation.get("responses").and_then(Value::as_object);
                for answer in responses.into_iter().flat_map(|r| r.values()) {
                    if let Some(name) = answer
                        .pointer("/content/application~1json/schema/$ref")
                        .and_then(Value::as_str)
                        .and_then(ref_name)
                    {
                        pending.push(name.to_owned());
                    }
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !found.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = spec.schema(&name) {
            collect_refs(schema, &mut pending);
        }
    }
    found
}

fn read_groups(op: &Value, fields: &[Field], pointer: &str) -> Result<Vec<Group>, Error> {
    let at = format!("{pointer}/x-exactly-one-of");
    let Some(raw) = op.get("x-exactly-one-of") else {
        return Ok(Vec::new());
    };
    let list = raw
        .as_array()
        .ok_or_else(|| Error::spec(&at, "must be a list of groups"))?;
    let mut groups: Vec<Group> = Vec::new();
    for (index, group) in list.iter().enumerate() {
        let at = format!("{at}/{index}");
        let text = |key: &str| {
            group
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::spec(format!("{at}/{key}"), format!("a group needs `{key}`")))
        };
        let (name, field, description) = (text("name")?, text("field")?, text("description")?);
        check_ident(&name, &format!("{at}/name"), "the enum name")?;
        check_ident(&field, &format!("{at}/field"), "the field name")?;
        let members: Vec<String> = group
            .get("parameters")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if members.len() < 2 {
            return Err(Error::spec(
                format!("{at}/parameters"),
                "a group joins at least two parameters",
            ));
        }
        let mut location = None;
        for member in &members {
            match fields.iter().find(|p| &p.name == member) {
                None => {
                    return Err(Error::spec(
                        format!("{at}/parameters"),
                        format!("no parameter {member}"),
                    ));
                }
                Some(param) if param.required => {
                    return Err(Error::spec(
                        format!("{at}/parameters"),
                        format!(
                            "{member} is in a one-of-two group, so it must be `required: false`"
                        ),
                    ));
                }
                Some(param) if param.kind != Kind::String || param.location == Location::Path => {
                    return Err(Error::spec(
                        format!("{at}/parameters"),
                        format!("{member}: a group joins string fields of the query or the body"),
                    ));
                }
                Some(param) => {
                    if location.is_some_and(|l| l != param.location) {
                        return Err(Error::spec(
                            format!("{at}/parameters"),
                            "a group joins fields of one place: the query or the body",
                        ));
                    }
                    location = Some(param.location);
                }
            }
            if groups.iter().any(|g| g.members.contains(member)) {
                return Err(Error::spec(
                    format!("{at}/parameters"),
                    format!("{member} is in two groups"),
                ));
            }
        }
        groups.push(Group {
            name,
            field,
            description,
            members,
        });
    }
    Ok(groups)
}

/// A `crate::DocumentedError` value.
pub(super) fn documented_error(e: &DocumentedError) -> TokenStream {
    let status = Literal::u16_unsuffixed(e.status);
    let variant = format_ident!("{}", e.code.to_upper_camel_case());
    let solution = &e.solution;
    quote! {
        crate::DocumentedError {
            status: #status,
            code: crate::ErrorCode::#variant,
            solution: #solution,
        }
    }
}

/// The values of the `ErrorCode` enum: the codes an operation may document.
pub(super) fn known_error_codes(spec: &Spec) -> Vec<&str> {
    spec.schema("ErrorCode")
        .and_then(|schema| schema.get("enum"))
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub(super) fn read_error_codes(
    status: u16,
    codes: Option<&Value>,
    pointer: &str,
) -> Result<Vec<DocumentedError>, Error> {
    let at = format!("{pointer}/x-error-codes");
    let list = codes
        .and_then(Value::as_array)
        .ok_or_else(|| Error::spec(&at, "an error response needs its list of codes"))?;
    list.iter()
        .enumerate()
        .map(|(index, entry)| {
            let field = |key: &str| {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        Error::spec(
                            format!("{at}/{index}/{key}"),
                            format!("an error code needs `{key}`"),
                        )
                    })
            };
            Ok(DocumentedError {
                status,
                code: field("code")?,
                solution: field("solution")?,
            })
        })
        .collect()
}

/// Parses `^[class]+$` into the class's text and its ranges. The class may hold characters, ranges
/// `a-z` and the escapes `\-`, `\\`, `\]`, `\^`.
fn parse_charset(pattern: &str) -> Option<(String, Vec<(char, char)>)> {
    let class = pattern.strip_prefix("^[")?.strip_suffix("]+$")?;
    let mut chars = Vec::new();
    let mut rest = class.chars();
    while let Some(c) = rest.next() {
        let c = match c {
            '\\' => match rest.next()? {
                escaped @ ('-' | '\\' | ']' | '^') => (escaped, true),
                _ => return None,
            },
            '[' | ']' => return None,
            c => (c, false),
        };
        chars.push(c);
    }
    let mut ranges = Vec::new();
    let mut index = 0;
    while let Some(&(c, _)) = chars.get(index) {
        match (chars.get(index + 1), chars.get(index + 2)) {
            (Some(('-', false)), Some(&(end, _))) => {
                if end < c {
                    return None;
                }
                ranges.push((c, end));
                index += 3;
            }
            _ => {
                ranges.push((c, c));
                index += 1;
            }
        }
    }
    if ranges.is_empty() {
        None
    } else {
        Some((class.to_owned(), ranges))
    }
}

/// The Rust name of a field (see [`super::polish::field_name`]).
fn rust_field_name(field: &Field) -> proc_macro2::Ident {
    let type_name = match &field.kind {
        Kind::Enum(name) | Kind::Object(name) => Some(name.as_str()),
        _ => None,
    };
    format_ident!("{}", super::polish::field_name(&field.name, type_name))
}

fn type_tokens(kind: &Kind, sensitive: bool) -> TokenStream {
    match kind {
        Kind::String if sensitive => quote!(crate::Sensitive),
        Kind::String => quote!(::std::string::String),
        Kind::DateTime => quote!(::chrono::DateTime<::chrono::FixedOffset>),
        Kind::Int => quote!(i64),
        Kind::Bool => quote!(bool),
        Kind::Enum(name) => {
            let name = format_ident!("{name}");
            quote!(#name)
        }
        Kind::Object(name) => {
            let name = format_ident!("{name}");
            quote!(#name)
        }
        Kind::Array(item) => {
            let item = type_tokens(item, false);
            quote!(::std::vec::Vec<#item>)
        }
    }
}

fn field_doc(field: &Field) -> String {
    let head = if field.required {
        "Required (必填)"
    } else {
        "Optional"
    };
    field_doc_headed(field, head)
}

/// A field's doc, its rules led by `head` (required, optional, or one of a group).
fn field_doc_headed(field: &Field, head: &str) -> String {
    let mut rules = vec![head.to_owned()];
    // Only a string has a length: a page's `string(64)` on a date-time says nothing true about it.
    if let (Some(max), Kind::String) = (field.max_length, &field.kind) {
        rules.push(format!("at most {max} characters"));
    }
    if let Some((class, _)) = &field.charset {
        rules.push(format!("only the characters `[{class}]`"));
    }
    if let Some(max) = field.max_items {
        rules.push(format!("at most {max} items"));
    }
    if matches!(field.kind, Kind::Array(_)) && field.required {
        rules.push("at least one item".to_owned());
    }
    if field.sensitive {
        rules.push(
            "sensitive (敏感信息): holds the plaintext, which `Debug` never shows; the client \
             encrypts it with RSAES-OAEP just before sending"
                .to_owned(),
        );
    }
    let place = match field.location {
        Location::Path => " (a path segment)",
        Location::Query => " (in the query string)",
        Location::Body => "",
    };
    let mut doc = format!(
        "`{}`{place}: {}\n\n{}.",
        field.name,
        field.description.trim(),
        rules.join("; ")
    );
    if let Some(example) = &field.example {
        doc.push_str(&format!(" Example: `{example}`."));
    }
    doc
}

/// The checks of a string `value` (a `&str` expression) named `name`.
fn string_checks(field: &Field, name: &TokenStream, value: &TokenStream) -> TokenStream {
    let mut checks = TokenStream::new();
    if field.required {
        checks.extend(quote! { crate::__generated::check_required(#name, #value)?; });
    }
    if field.location == Location::Path {
        checks.extend(quote! { crate::__generated::check_path_segment(#name, #value)?; });
    }
    if let Some(max) = field.max_length {
        let max = Literal::usize_unsuffixed(max);
        checks.extend(quote! { crate::__generated::check_max_length(#name, #value, #max)?; });
    }
    if let Some((class, ranges)) = &field.charset {
        let ranges = ranges.iter().map(|&(lo, hi)| {
            let (lo, hi) = (Literal::character(lo), Literal::character(hi));
            quote!((#lo, #hi))
        });
        checks.extend(quote! {
            crate::__generated::check_charset(#name, #value, #class, &[#(#ranges),*])?;
        });
    }
    checks
}

/// The checks of `value`, an expression of type `&T` for the field's type `T`.
fn value_checks(field: &Field, value: &TokenStream) -> TokenStream {
    let name_text = &field.name;
    let name = quote!(#name_text);
    match &field.kind {
        Kind::String if field.sensitive => {
            string_checks(field, &name, &quote!(crate::Sensitive::expose(#value)))
        }
        Kind::String => string_checks(field, &name, value),
        Kind::Object(object) => {
            let object = format_ident!("{object}");
            quote! {
                #object::validate(#value).map_err(|e| e.within(#name_text, ::std::option::Option::None))?;
            }
        }
        Kind::Array(item) => {
            let mut checks = TokenStream::new();
            if field.required {
                checks.extend(
                    quote! { crate::__generated::check_not_empty(#name, <[_]>::len(#value))?; },
                );
            }
            if let Some(max) = field.max_items {
                let max = Literal::usize_unsuffixed(max);
                checks.extend(
                    quote! { crate::__generated::check_max_items(#name, <[_]>::len(#value), #max)?; },
                );
            }
            if let Kind::Object(object) = &**item {
                let object = format_ident!("{object}");
                checks.extend(quote! {
                    for (index, item) in <[_]>::iter(#value).enumerate() {
                        #object::validate(item).map_err(|e| e.within(#name_text, ::std::option::Option::Some(index)))?;
                    }
                });
            }
            checks
        }
        Kind::DateTime | Kind::Int | Kind::Bool | Kind::Enum(_) => TokenStream::new(),
    }
}

/// A field's declaration, its checks, and (for a body) its serde attributes.
fn field_tokens(field: &Field, with_serde: bool) -> (TokenStream, TokenStream) {
    let ident = rust_field_name(field);
    let doc = field_doc(field);
    let ty = type_tokens(&field.kind, field.sensitive);
    let wire = &field.name;
    let mut attributes = TokenStream::new();
    if with_serde {
        if field.location != Location::Body {
            attributes.extend(quote! { #[serde(skip)] });
        } else if ident != wire.as_str() {
            attributes.extend(quote! { #[serde(rename = #wire)] });
        }
        if field.location == Location::Body && !field.required {
            attributes.extend(
                quote! { #[serde(default, skip_serializing_if = "::std::option::Option::is_none")] },
            );
        }
    }
    let (declaration, checks) = if field.required {
        let checks = value_checks(field, &quote!(&self.#ident));
        (
            quote! { #[doc = #doc] #attributes pub #ident: #ty, },
            checks,
        )
    } else {
        let check = value_checks(field, &quote!(value));
        let checks = if check.is_empty() {
            TokenStream::new()
        } else {
            quote! { if let ::std::option::Option::Some(value) = &self.#ident { #check } }
        };
        (
            quote! { #[doc = #doc] #attributes pub #ident: ::std::option::Option<#ty>, },
            checks,
        )
    };
    (declaration, checks)
}

fn group_tokens(group: &Group, fields: &[Field]) -> TokenStream {
    let ty = format_ident!("{}", group.name);
    let group_doc = group.description.trim();
    let members: Vec<&Field> = group
        .members
        .iter()
        .filter_map(|m| fields.iter().find(|p| &p.name == m))
        .collect();
    let variants: Vec<_> = members
        .iter()
        .map(|p| format_ident!("{}", p.name.to_upper_camel_case()))
        .collect();
    let docs = members.iter().map(|p| {
        field_doc_headed(
            &Field {
                required: true,
                ..(*p).clone()
            },
            "The one given, instead of the other (二选一)",
        )
    });
    let wire: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
    let enum_doc = format!(
        "{group_doc}\n\nExactly one of {}: an enum, so that both or neither cannot be expressed.",
        wire.iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    quote! {
        #[doc = #enum_doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum #ty {
            #( #[doc = #docs] #[serde(rename = #wire)] #variants(::std::string::String), )*
        }
    }
}

fn object_tokens(object: &RequestObject) -> TokenStream {
    let name = format_ident!("{}", object.name);
    let doc = object.description.trim();
    let mut declarations = Vec::new();
    let mut checks = Vec::new();
    for field in &object.fields {
        let (declaration, check) = field_tokens(field, true);
        declarations.push(declaration);
        checks.push(check);
    }
    let setters: Vec<BuilderField> = object.fields.iter().map(BuilderField::of).collect();
    let builder = builder_tokens(&name, &setters, "object");
    let validate_doc = format!(
        "Checks every field of this `{}` against the spec's rules; the error names the field. \
         The request holding it calls this from its own `validate`, which names the path down to it.",
        object.name
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#declarations)*
        }

        impl #name {
            #[doc = #validate_doc]
            pub fn validate(&self) -> ::std::result::Result<(), crate::InvalidParameter> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }
        }

        #builder
    }
}

/// A field as its builder sets it.
struct BuilderField {
    ident: proc_macro2::Ident,
    ty: TokenStream,
    wire: String,
    required: bool,
    /// Whether the setter takes `impl Into<T>` (strings, enums, lists) rather than `T`.
    into: bool,
}

impl BuilderField {
    fn of(field: &Field) -> Self {
        Self {
            ident: rust_field_name(field),
            ty: type_tokens(&field.kind, field.sensitive),
            wire: field.name.clone(),
            required: field.required,
            into: !matches!(field.kind, Kind::Int | Kind::Bool | Kind::DateTime),
        }
    }
}

/// `T::builder()` and `TBuilder`: one setter per field, named after it, so that two ids cannot
/// trade places without the reader seeing it, and adding an optional field breaks no caller.
/// `build` names a required field that was not set, then checks the value (`validate`).
fn builder_tokens(
    target: &proc_macro2::Ident,
    fields: &[BuilderField],
    check: &str,
) -> TokenStream {
    let builder = format_ident!("{target}Builder");
    let check = format_ident!("{check}");
    let fields = fields.iter().map(|f| {
        let (ident, wire) = (&f.ident, &f.wire);
        let ty = &f.ty;
        let need = format_ident!("{}", if f.required { "required" } else { "optional" });
        let take = format_ident!("{}", if f.into { "into" } else { "value" });
        quote! { #ident(#ty, #wire, #need, #take) }
    });
    quote! {
        crate::__generated::request_builder!(#target, #builder, #check, #(#fields),*);
    }
}

/// An operation's items (request type, builder, `Request` impl, constant) and its method on the
/// family's handle.
fn operation_tokens(
    op: &Operation,
    family: &Family,
    errors: &[TokenStream],
) -> (TokenStream, TokenStream) {
    let prefix = op.id.to_upper_camel_case();
    let request = format_ident!("{prefix}Request");
    let method_name = format_ident!("{}", op.method_name);
    let constant = format_ident!("{}", op.id.to_shouty_snake_case());
    let response = match &op.response {
        Some(name) => {
            let name = format_ident!("{name}");
            quote!(#name)
        }
        None => quote!(()),
    };
    let (summary, path, id, method) = (&op.summary, &op.path, &op.id, &op.method);
    let method_ident = format_ident!("{method}");
    let description = op.description.trim();
    let with_serde = op.body.is_some();

    // Struct fields, `new` arguments, validation and writers, in the spec's order; a group takes
    // the place of its first member.
    let mut fields = Vec::new();
    let mut setters = Vec::new();
    let mut checks = Vec::new();
    let mut query_writes = Vec::new();
    for field in &op.fields {
        if let Some(group) = op.groups.iter().find(|g| g.members.contains(&field.name)) {
            if group.members.first() != Some(&field.name) {
                continue;
            }
            let ident = format_ident!("{}", group.field);
            let ty = format_ident!("{}", group.name);
            let group_doc = group.description.trim();
            let serde = match (with_serde, field.location) {
                (false, _) => TokenStream::new(),
                (true, Location::Body) => quote! { #[serde(flatten)] },
                (true, _) => quote! { #[serde(skip)] },
            };
            fields.push(quote! { #[doc = #group_doc] #serde pub #ident: #ty, });
            setters.push(BuilderField {
                ident: ident.clone(),
                ty: quote!(#ty),
                wire: group.members.join("` or `"),
                required: true,
                into: false,
            });
            let members: Vec<&Field> = group
                .members
                .iter()
                .filter_map(|m| op.fields.iter().find(|p| &p.name == m))
                .collect();
            let variants: Vec<_> = members
                .iter()
                .map(|p| format_ident!("{}", p.name.to_upper_camel_case()))
                .collect();
            let member_checks = members.iter().map(|p| {
                value_checks(
                    &Field {
                        required: true,
                        ..(*p).clone()
                    },
                    &quote!(value),
                )
            });
            checks.push(quote! {
                match &self.#ident {
                    #( #ty::#variants(value) => { #member_checks } )*
                }
            });
            if field.location == Location::Query {
                let wire = members.iter().map(|p| p.name.as_str());
                query_writes.push(quote! {
                    match &self.#ident {
                        #( #ty::#variants(value) => query.push(#wire, value), )*
                    }
                });
            }
            continue;
        }
        let ident = rust_field_name(field);
        let (declaration, check) = field_tokens(field, with_serde);
        fields.push(declaration);
        checks.push(check);
        setters.push(BuilderField::of(field));
        if field.location == Location::Query {
            let wire = &field.name;
            let text = match field.kind {
                Kind::String => quote!(value),
                Kind::Enum(_) => quote!(value.as_str()),
                _ => quote!(&value.to_string()),
            };
            query_writes.push(if field.required {
                quote! { { let value = &self.#ident; query.push(#wire, #text); } }
            } else {
                quote! { if let ::std::option::Option::Some(value) = &self.#ident { query.push(#wire, #text); } }
            });
        }
    }

    // The path: its literal pieces, and each `{name}` as one percent-encoded segment.
    let mut path_writes = Vec::new();
    let mut rest = path.as_str();
    while let Some((before, after)) = rest.split_once('{') {
        let (name, tail) = after.split_once('}').unwrap_or((after, ""));
        if !before.is_empty() {
            path_writes.push(quote! { path.push_str(#before); });
        }
        let field = op.fields.iter().find(|f| f.name == name);
        let ident = match field {
            Some(field) => rust_field_name(field),
            None => format_ident!("{}", super::polish::field_name(name, None)),
        };
        let is_string = field.is_some_and(|f| f.kind == Kind::String);
        path_writes.push(if is_string {
            quote! { crate::__generated::push_segment(path, &self.#ident); }
        } else {
            quote! { crate::__generated::push_segment(path, &self.#ident.to_string()); }
        });
        rest = tail;
    }
    if !rest.is_empty() {
        path_writes.push(quote! { path.push_str(#rest); });
    }
    let query_write = if query_writes.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            fn write_query(&self, query: &mut crate::QueryString) {
                #(#query_writes)*
            }
        }
    };
    let body_write = if with_serde {
        quote! {
            fn to_body(&self) -> ::std::result::Result<::std::string::String, ::serde_json::Error> {
                ::serde_json::to_string(self)
            }
        }
    } else {
        TokenStream::new()
    };
    let serde_derives = if with_serde {
        quote! { ::serde::Serialize, ::serde::Deserialize, }
    } else {
        TokenStream::new()
    };

    let sensitive = &op.sensitive;
    let example_answer = match &op.example_answer {
        Some(example) => quote!(::std::option::Option::Some(#example)),
        None => quote!(::std::option::Option::None),
    };
    let idempotent = op.idempotent;
    let business_number = match &op.business_number {
        Some(name) => quote!(::std::option::Option::Some(#name)),
        None => quote!(::std::option::Option::None),
    };
    let request_doc = format!(
        "The parameters of {summary} (`{method} {path}`): see [`{}::{method_name}`].",
        family.handle
    );
    let builder = builder_tokens(&request, &setters, "request");
    let const_doc = format!("The metadata of {summary}: `{method} {path}`, operation `{id}`.");
    let retried = if method == "GET" || idempotent {
        "Retried on a failure that may pass (see [`RetryPolicy`](crate::RetryPolicy)), every attempt \
         with the same body, signed afresh."
    } else {
        "Not idempotent: retried only when the request certainly did not reach WeChat Pay (the \
         connection could not be made)."
    };
    let decodes = match &op.response {
        Some(name) => format!("decodes it into [`{name}`]"),
        None => "returns its status and headers (the answer has no body)".to_owned(),
    };
    let encrypts = if op.sensitive.is_empty() {
        ""
    } else {
        " Its sensitive fields are encrypted first, with the WeChat Pay public key (or the newest \
         valid platform certificate), which `Wechatpay-Serial` names."
    };
    let method_doc = format!(
        "{summary}: `{method} {path}`.\n\n{description}\n\n\
         Validates `request`, signs it, sends it, verifies WeChat Pay's signature on the answer and \
         {decodes}.{encrypts} {retried}\n\n\
         # Errors\n\n[`Error::InvalidRequest`](crate::Error::InvalidRequest) when a field breaks a \
         rule of the spec (nothing is sent then); otherwise see [`Error`](crate::Error)."
    );
    let items = quote! {
        #[doc = #request_doc]
        #[derive(Clone, Debug, PartialEq, Eq, #serde_derives)]
        pub struct #request {
            #(#fields)*
        }

        #builder

        impl crate::Request for #request {
            type Response = #response;

            const OPERATION: &'static crate::Operation = &#constant;

            fn validate(&self) -> ::std::result::Result<(), crate::InvalidParameter> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }

            fn write_path(&self, path: &mut ::std::string::String) {
                #(#path_writes)*
            }

            #query_write

            #body_write
        }

        #[doc = #const_doc]
        pub const #constant: crate::Operation = crate::Operation {
            id: #id,
            summary: #summary,
            method: ::http::Method::#method_ident,
            path: #path,
            query_encoding: crate::QueryEncoding::FormRfc3986,
            errors: &[#(#errors),*],
            idempotent: #idempotent,
            business_number: #business_number,
            sensitive_fields: &[#(#sensitive),*],
            example_answer: #example_answer,
        };
    };
    let method = quote! {
        #[doc = #method_doc]
        pub async fn #method_name(
            &self,
            request: &#request,
        ) -> ::std::result::Result<crate::Response<#response>, crate::Error> {
            self.client.execute(request).await
        }
    };
    (items, method)
}

#[cfg(test)]
mod tests {
    use super::parse_charset;

    #[test]
    fn charset_patterns_parse_into_ranges() {
        let (class, ranges) = parse_charset(r"^[0-9A-Za-z_\-|*@]+$").unwrap();
        assert_eq!(class, r"0-9A-Za-z_\-|*@");
        assert_eq!(
            ranges,
            vec![
                ('0', '9'),
                ('A', 'Z'),
                ('a', 'z'),
                ('_', '_'),
                ('-', '-'),
                ('|', '|'),
                ('*', '*'),
                ('@', '@')
            ]
        );
    }

    #[test]
    fn other_patterns_are_refused() {
        for pattern in [
            "[a-z]+", "^[a-z]*$", "^[]+$", r"^[\d]+$", "^[z-a]+$", "^[a[b]+$",
        ] {
            assert_eq!(parse_charset(pattern), None, "{pattern}");
        }
    }
}
