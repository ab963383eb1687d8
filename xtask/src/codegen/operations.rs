//! Operations → request types, operation metadata and client methods.
//!
//! Each operation gets a `…Request` struct with one field per query parameter (an enum where the
//! spec's `x-exactly-one-of` joins parameters), a `validate` that enforces `required`, `maxLength`
//! and `pattern`, an `Operation` constant for the layer that signs and sends, and a method on
//! `Client` named after the `operationId`.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use openapiv3::{ParameterSchemaOrContent, ReferenceOr, SchemaKind, StatusCode, Type};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::Error;
use super::spec::{Spec, check_ident, pointer_key, ref_name};

struct Operation {
    id: String,
    summary: String,
    description: String,
    path: String,
    params: Vec<Param>,
    groups: Vec<Group>,
    response: String,
    errors: Vec<DocumentedError>,
}

struct Param {
    name: String,
    description: String,
    required: bool,
    max_length: Option<usize>,
    /// The character class of a `^[…]+$` pattern, and its ranges.
    charset: Option<(String, Vec<(char, char)>)>,
    example: Option<String>,
}

/// Parameters of which exactly one must be given (`x-exactly-one-of`).
struct Group {
    name: String,
    field: String,
    description: String,
    members: Vec<String>,
}

struct DocumentedError {
    status: u16,
    code: String,
    solution: String,
}

/// The request types, operation constants and client methods of every operation.
pub fn generate(spec: &Spec) -> Result<TokenStream, Error> {
    let mut out = TokenStream::new();
    for (path, item) in &spec.api.paths.paths {
        let pointer = format!("#/paths/{}", pointer_key(path));
        let ReferenceOr::Item(item) = item else {
            return Err(Error::spec(
                pointer,
                "a path item must be inline, not a $ref",
            ));
        };
        if !item.parameters.is_empty() {
            return Err(Error::spec(
                format!("{pointer}/parameters"),
                "declare parameters on the operation",
            ));
        }
        for (method, operation) in item.iter() {
            let pointer = format!("{pointer}/{method}");
            if method != "get" {
                return Err(Error::spec(
                    pointer,
                    "only GET operations are supported so far",
                ));
            }
            let operation = read_operation(path, operation, &pointer)?;
            out.extend(operation_tokens(&operation));
        }
    }
    Ok(out)
}

fn read_operation(
    path: &str,
    op: &openapiv3::Operation,
    pointer: &str,
) -> Result<Operation, Error> {
    let id = op.operation_id.clone().ok_or_else(|| {
        Error::spec(
            format!("{pointer}/operationId"),
            "an operation needs an operationId: it names the method",
        )
    })?;
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
    let summary = op.summary.clone().ok_or_else(|| {
        Error::spec(
            format!("{pointer}/summary"),
            "an operation needs a summary: the doc page's Chinese title",
        )
    })?;
    let description = op.description.clone().ok_or_else(|| {
        Error::spec(
            format!("{pointer}/description"),
            "an operation needs a description",
        )
    })?;

    let mut params = Vec::new();
    for (index, param) in op.parameters.iter().enumerate() {
        params.push(read_param(param, &format!("{pointer}/parameters/{index}"))?);
    }
    let groups = read_groups(op, &params, pointer)?;

    let mut response = None;
    let mut errors = Vec::new();
    for (status, answer) in &op.responses.responses {
        let StatusCode::Code(status) = *status else {
            return Err(Error::spec(
                format!("{pointer}/responses"),
                "status ranges (4XX) are not supported",
            ));
        };
        let at = format!("{pointer}/responses/{status}");
        let ReferenceOr::Item(answer) = answer else {
            return Err(Error::spec(at, "a response must be inline, not a $ref"));
        };
        if (200..300).contains(&status) {
            if response.is_some() {
                return Err(Error::spec(at, "only one success response is supported"));
            }
            let schema = answer
                .content
                .get("application/json")
                .and_then(|media| media.schema.as_ref());
            match schema {
                Some(ReferenceOr::Reference { reference }) => match ref_name(reference) {
                    Some(name) => response = Some(name.to_owned()),
                    None => {
                        return Err(Error::spec(
                            at,
                            format!("{reference} is not a component schema"),
                        ));
                    }
                },
                _ => {
                    return Err(Error::spec(
                        format!("{at}/content"),
                        "a success response needs application/json with a $ref to a component schema",
                    ));
                }
            }
        } else {
            errors.extend(read_error_codes(
                status,
                answer.extensions.get("x-error-codes"),
                &at,
            )?);
        }
    }
    let response = response.ok_or_else(|| {
        Error::spec(
            format!("{pointer}/responses"),
            "an operation needs a 2xx response",
        )
    })?;
    Ok(Operation {
        id,
        summary,
        description,
        path: path.to_owned(),
        params,
        groups,
        response,
        errors,
    })
}

fn read_param(param: &ReferenceOr<openapiv3::Parameter>, pointer: &str) -> Result<Param, Error> {
    let ReferenceOr::Item(param) = param else {
        return Err(Error::spec(
            pointer,
            "a parameter must be inline, not a $ref",
        ));
    };
    let openapiv3::Parameter::Query {
        parameter_data: data,
        ..
    } = param
    else {
        return Err(Error::spec(
            format!("{pointer}/in"),
            "only query parameters are supported (the pages' `path` labels travel in the query)",
        ));
    };
    check_ident(&data.name, &format!("{pointer}/name"), "the field name")?;
    check_ident(
        &data.name.to_upper_camel_case(),
        &format!("{pointer}/name"),
        "the variant name",
    )?;
    let description = data.description.clone().ok_or_else(|| {
        Error::spec(
            format!("{pointer}/description"),
            "a parameter needs a description",
        )
    })?;
    let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &data.format else {
        return Err(Error::spec(
            format!("{pointer}/schema"),
            "a parameter needs an inline schema",
        ));
    };
    let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
        return Err(Error::spec(
            format!("{pointer}/schema"),
            "only string parameters are supported so far",
        ));
    };
    if !string.enumeration.is_empty() || string.min_length.is_some() {
        return Err(Error::spec(
            format!("{pointer}/schema"),
            "enum and minLength are not supported on parameters yet",
        ));
    }
    let charset = match &string.pattern {
        None => None,
        Some(pattern) => Some(parse_charset(pattern).ok_or_else(|| {
            Error::spec(
                format!("{pointer}/schema/pattern"),
                format!("the pattern {pattern:?} is not of the supported form ^[class]+$ (ranges, characters, \\-)"),
            )
        })?),
    };
    let example = match &data.example {
        None => None,
        Some(Value::String(example)) => Some(example.clone()),
        Some(_) => {
            return Err(Error::spec(
                format!("{pointer}/example"),
                "the example of a string must be a string",
            ));
        }
    };
    Ok(Param {
        name: data.name.clone(),
        description,
        required: data.required,
        max_length: string.max_length,
        charset,
        example,
    })
}

fn read_groups(
    op: &openapiv3::Operation,
    params: &[Param],
    pointer: &str,
) -> Result<Vec<Group>, Error> {
    let at = format!("{pointer}/x-exactly-one-of");
    let Some(raw) = op.extensions.get("x-exactly-one-of") else {
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
        for member in &members {
            match params.iter().find(|p| &p.name == member) {
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
                Some(_) => {}
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

fn read_error_codes(
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

fn param_doc(param: &Param) -> String {
    let mut rules = Vec::new();
    rules.push(if param.required {
        "Required (必填)".to_owned()
    } else {
        "Optional".to_owned()
    });
    if let Some(max) = param.max_length {
        rules.push(format!("at most {max} characters"));
    }
    if let Some((class, _)) = &param.charset {
        rules.push(format!("only the characters `[{class}]`"));
    }
    let mut doc = format!(
        "`{}`: {}\n\n{}.",
        param.name,
        param.description.trim(),
        rules.join("; ")
    );
    if let Some(example) = &param.example {
        doc.push_str(&format!(" Example: `{example}`."));
    }
    doc
}

fn validate_tokens(param: &Param, value: &TokenStream) -> TokenStream {
    let name = &param.name;
    let mut checks = TokenStream::new();
    if param.required {
        checks.extend(quote! { crate::validate::check_required(#name, #value)?; });
    }
    if let Some(max) = param.max_length {
        let max = Literal::usize_unsuffixed(max);
        checks.extend(quote! { crate::validate::check_max_length(#name, #value, #max)?; });
    }
    if let Some((class, ranges)) = &param.charset {
        let arms = ranges.iter().map(|&(lo, hi)| {
            let (lo_lit, hi_lit) = (Literal::character(lo), Literal::character(hi));
            if lo == hi {
                quote!(#lo_lit)
            } else {
                quote!(#lo_lit..=#hi_lit)
            }
        });
        checks.extend(quote! {
            crate::validate::check_charset(#name, #value, #class, |c| ::std::matches!(c, #(#arms)|*))?;
        });
    }
    checks
}

fn operation_tokens(op: &Operation) -> TokenStream {
    let prefix = op.id.to_upper_camel_case();
    let request = format_ident!("{prefix}Request");
    let method_name = format_ident!("{}", op.id.to_snake_case());
    let constant = format_ident!("{}", op.id.to_shouty_snake_case());
    let response = format_ident!("{}", op.response);
    let (summary, path, id) = (&op.summary, &op.path, &op.id);
    let description = op.description.trim();

    // Struct fields, `new` arguments, validation and query writing, in the spec's parameter order;
    // a group takes the place of its first member.
    let mut fields = Vec::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut checks = Vec::new();
    let mut writes = Vec::new();
    let mut group_types = Vec::new();
    for param in &op.params {
        if let Some(group) = op.groups.iter().find(|g| g.members.contains(&param.name)) {
            if group.members.first() != Some(&param.name) {
                continue;
            }
            let field = format_ident!("{}", group.field);
            let ty = format_ident!("{}", group.name);
            let group_doc = group.description.trim();
            fields.push(quote! { #[doc = #group_doc] pub #field: #ty, });
            args.push(quote! { #field: #ty });
            inits.push(quote! { #field });
            let members: Vec<&Param> = group
                .members
                .iter()
                .filter_map(|m| op.params.iter().find(|p| &p.name == m))
                .collect();
            let variants: Vec<_> = members
                .iter()
                .map(|p| format_ident!("{}", p.name.to_upper_camel_case()))
                .collect();
            let docs = members.iter().map(|p| {
                param_doc(&Param {
                    required: true,
                    ..clone_param(p)
                })
            });
            let wire: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
            let value = quote!(value);
            let member_checks = members.iter().map(|p| {
                validate_tokens(
                    &Param {
                        required: true,
                        ..clone_param(p)
                    },
                    &value,
                )
            });
            checks.push(quote! {
                match &self.#field {
                    #( #ty::#variants(value) => { #member_checks } )*
                }
            });
            writes.push(quote! {
                match &self.#field {
                    #( #ty::#variants(value) => query.push(#wire, value), )*
                }
            });
            let enum_doc = format!(
                "{group_doc}\n\nExactly one of {}: an enum, so that both or neither cannot be expressed.",
                wire.iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            );
            group_types.push(quote! {
                #[doc = #enum_doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                pub enum #ty {
                    #( #[doc = #docs] #variants(::std::string::String), )*
                }
            });
            continue;
        }
        let field = format_ident!("{}", param.name);
        let doc = param_doc(param);
        let wire = &param.name;
        if param.required {
            let value = quote!(&self.#field);
            let check = validate_tokens(param, &value);
            fields.push(quote! { #[doc = #doc] pub #field: ::std::string::String, });
            args.push(quote! { #field: impl ::std::convert::Into<::std::string::String> });
            inits.push(quote! { #field: #field.into() });
            checks.push(check);
            writes.push(quote! { query.push(#wire, &self.#field); });
        } else {
            let value = quote!(value);
            let check = validate_tokens(param, &value);
            fields.push(
                quote! { #[doc = #doc] pub #field: ::std::option::Option<::std::string::String>, },
            );
            inits.push(quote! { #field: ::std::option::Option::None });
            // An optional parameter without rules has nothing to check.
            if !check.is_empty() {
                checks.push(
                    quote! { if let ::std::option::Option::Some(value) = &self.#field { #check } },
                );
            }
            writes.push(quote! {
                if let ::std::option::Option::Some(value) = &self.#field { query.push(#wire, value); }
            });
        }
    }

    let errors = op.errors.iter().map(|e| {
        let (status, code, solution) = (Literal::u16_unsuffixed(e.status), &e.code, &e.solution);
        quote! { crate::DocumentedError { status: #status, code: #code, solution: #solution } }
    });
    let request_doc = format!(
        "The parameters of {summary} (`GET {path}`): see [`crate::Client::{method_name}`]."
    );
    let const_doc = format!("The metadata of {summary}: `GET {path}`, operation `{id}`.");
    let method_doc = format!(
        "{summary}: `GET {path}`.\n\n{description}\n\n\
         Validates `request`, signs it, sends it, verifies WeChat Pay's signature on the answer and \
         decodes it into [`{}`](super::types::{}).\n\n\
         # Errors\n\n[`Error::InvalidRequest`](crate::Error::InvalidRequest) when a parameter breaks a \
         rule of the spec (nothing is sent then); otherwise see [`Error`](crate::Error).",
        op.response, op.response
    );
    quote! {
        #(#group_types)*

        #[doc = #request_doc]
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct #request {
            #(#fields)*
        }

        impl #request {
            /// A request from its required parameters; optional ones start empty.
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits),* }
            }
        }

        impl crate::Request for #request {
            type Response = super::types::#response;

            const OPERATION: &'static crate::Operation = &#constant;

            fn validate(&self) -> ::std::result::Result<(), crate::InvalidParameter> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }

            fn write_query(&self, query: &mut crate::QueryString) {
                #(#writes)*
            }
        }

        #[doc = #const_doc]
        pub const #constant: crate::Operation = crate::Operation {
            id: #id,
            summary: #summary,
            method: ::http::Method::GET,
            path: #path,
            query_encoding: crate::QueryEncoding::FormRfc3986,
            errors: &[#(#errors),*],
        };

        impl crate::Client {
            #[doc = #method_doc]
            pub async fn #method_name(
                &self,
                request: &#request,
            ) -> ::std::result::Result<crate::Response<super::types::#response>, crate::Error> {
                self.execute(request).await
            }
        }
    }
}

fn clone_param(param: &Param) -> Param {
    Param {
        name: param.name.clone(),
        description: param.description.clone(),
        required: param.required,
        max_length: param.max_length,
        charset: param.charset.clone(),
        example: param.example.clone(),
    }
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
