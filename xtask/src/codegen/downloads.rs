//! The spec's `x-file-downloads` (a file another page points to, e.g. 下载账单) → a
//! `crate::FileDownload` constant per download: what the handwritten download runs by (the URL
//! parameter and its longest length, the documented error codes); and the file's
//! `x-file-layouts` → a row type per column table, read by column name (`crate::BillRow`).

use heck::ToShoutySnakeCase;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::Error;
use super::layout::{Family, Home, tag_of};
use super::operations::{documented_error, known_error_codes, read_error_codes};
use super::spec::{Spec, check_ident, pointer_key};

/// The tokens of every file download in the spec, by the module they go to (their family's).
pub fn generate(spec: &Spec, families: &[Family]) -> Result<Vec<(Home, TokenStream)>, Error> {
    let mut out = Vec::new();
    let Some(downloads) = spec.raw.get("x-file-downloads") else {
        return Ok(out);
    };
    let downloads = downloads
        .as_object()
        .ok_or_else(|| Error::spec("#/x-file-downloads", "a map of file downloads by id"))?;
    let known = known_error_codes(spec);
    for (id, item) in downloads {
        let pointer = format!("#/x-file-downloads/{}/get", pointer_key(id));
        let get = item
            .get("get")
            .ok_or_else(|| Error::spec(&pointer, "a file download is a `get`"))?;
        let text = |key: &str| -> Result<String, Error> {
            get.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::spec(format!("{pointer}/{key}"), "a string"))
        };
        let operation_id = text("operationId")?;
        if operation_id != *id {
            return Err(Error::spec(
                format!("{pointer}/operationId"),
                format!("the download's key, {id}"),
            ));
        }
        check_ident(&operation_id, &pointer, "the operationId")?;
        let tag = tag_of(get, families, &pointer)?;
        let (summary, description, page) =
            (text("summary")?, text("description")?, text("x-doc-page")?);
        let parameter = get.get("x-url-parameter").ok_or_else(|| {
            Error::spec(
                format!("{pointer}/x-url-parameter"),
                "the parameter that is the URL",
            )
        })?;
        let url_parameter = parameter
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::spec(format!("{pointer}/x-url-parameter/name"), "a string"))?;
        let max_url_length = match parameter.get("maxLength").and_then(Value::as_u64) {
            Some(max) => {
                let max = Literal::u64_unsuffixed(max);
                quote!(::std::option::Option::Some(#max))
            }
            None => quote!(::std::option::Option::None),
        };
        let responses = get
            .get("responses")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::spec(format!("{pointer}/responses"), "the answers by status"))?;
        let mut errors = Vec::new();
        for (status, response) in responses {
            let Ok(code) = status.parse::<u16>() else {
                continue;
            };
            if code < 400 {
                continue;
            }
            let at = format!("{pointer}/responses/{status}");
            for error in read_error_codes(code, response.get("x-error-codes"), &at)? {
                if !known.contains(&error.code.as_str()) {
                    return Err(Error::spec(
                        "#/components/schemas/ErrorCode/enum",
                        format!(
                            "{id} documents the error code {}, which is not a value of the \
                             ErrorCode enum",
                            error.code
                        ),
                    ));
                }
                errors.push(documented_error(&error));
            }
        }
        if let Some(layouts) = get.get("x-file-layouts") {
            let at = format!("{pointer}/x-file-layouts");
            for tokens in file_layouts(layouts, &page, &at)? {
                out.push((Some(tag.clone()), tokens));
            }
        }
        let constant = format_ident!("{}", operation_id.to_shouty_snake_case());
        let doc = format!(
            "{summary} (`{operation_id}`): {}\n\nA `GET` of the URL another call answered \
             (`{url_parameter}`), signed; its answer is the file, not signed. From `{page}`.",
            description.trim()
        );
        out.push((
            Some(tag),
            quote! {
                #[doc = #doc]
                pub const #constant: crate::FileDownload = crate::FileDownload {
                    id: #operation_id,
                    summary: #summary,
                    url_parameter: #url_parameter,
                    max_url_length: #max_url_length,
                    errors: &[#(#errors),*],
                };
            },
        ));
    }
    Ok(out)
}

/// A column of a layout, as the spec gives it.
struct Column<'a> {
    name: &'a str,
    field: syn::Ident,
    kind: &'a str,
    optional: bool,
    none: Vec<&'a str>,
    description: Option<&'a str>,
    /// `type: enum`: its name, and its values.
    enumeration: Option<(syn::Ident, Vec<EnumValue<'a>>)>,
}

/// A value of an enum column: as the file writes it, its variant, its description.
type EnumValue<'a> = (&'a str, syn::Ident, &'a str);

/// The row types of a download's `x-file-layouts`, and the enums their columns name.
fn file_layouts(layouts: &Value, page: &str, at: &str) -> Result<Vec<TokenStream>, Error> {
    let layouts = layouts
        .as_object()
        .ok_or_else(|| Error::spec(at, "a map of row types by name"))?;
    let mut out = Vec::new();
    for (name, layout) in layouts {
        let at = format!("{at}/{}", pointer_key(name));
        check_ident(name, &at, "a row type's name")?;
        let text = |value: &Value, key: &str, at: &str| -> Result<String, Error> {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::spec(format!("{at}/{key}"), "a string"))
        };
        let description = text(layout, "description", &at)?;
        let table = text(layout, "x-table", &at)?;
        let columns = layout
            .get("x-columns")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::spec(format!("{at}/x-columns"), "a list of columns"))?;
        let columns = columns
            .iter()
            .enumerate()
            .map(|(index, column)| read_column(column, &format!("{at}/x-columns/{index}")))
            .collect::<Result<Vec<_>, Error>>()?;
        let ident = format_ident!("{name}");
        let doc = format!(
            "{}\n\nRead by column name, as the header row gives them (the table \"{table}\" of \
             `{page}`); a column it does not know is kept in `extra`.",
            description.trim()
        );
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let mut fields = Vec::new();
        let mut reads = Vec::new();
        for (index, column) in columns.iter().enumerate() {
            let field = &column.field;
            let at_index = Literal::usize_unsuffixed(index);
            let (ty, read) = column_type(column, &at_index);
            let doc = column_doc(column);
            fields.push(quote! {
                #[doc = #doc]
                pub #field: #ty,
            });
            reads.push(quote!(#field: #read,));
            if let Some((enum_ident, values)) = &column.enumeration {
                out.push(enum_tokens(enum_ident, values, column.name, name));
            }
        }
        out.push(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq, Eq)]
            #[non_exhaustive]
            pub struct #ident {
                #(#fields)*
                /// Columns this crate does not know, by name: kept, not fatal.
                pub extra: ::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
            }
            impl crate::BillRow for #ident {
                const COLUMNS: &'static [&'static str] = &[#(#names),*];
                fn from_columns(
                    c: crate::Columns<'_>,
                ) -> ::std::result::Result<Self, crate::BillError> {
                    ::std::result::Result::Ok(Self {
                        #(#reads)*
                        extra: c.extra(),
                    })
                }
            }
        });
    }
    Ok(out)
}

fn read_column<'a>(column: &'a Value, at: &str) -> Result<Column<'a>, Error> {
    let text = |key: &str| -> Result<&'a str, Error> {
        column
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::spec(format!("{at}/{key}"), "a string"))
    };
    let field = text("field")?;
    check_ident(field, at, "a column's field")?;
    let none = match column.get("none") {
        None => Vec::new(),
        Some(values) => values
            .as_array()
            .and_then(|values| values.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or_else(|| Error::spec(format!("{at}/none"), "a list of strings"))?,
    };
    let enumeration = match column.get("enum") {
        None => None,
        Some(enumeration) => {
            let enum_at = format!("{at}/enum");
            let name = enumeration
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::spec(format!("{enum_at}/name"), "a string"))?;
            check_ident(name, &enum_at, "an enum's name")?;
            let values = enumeration
                .get("values")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::spec(format!("{enum_at}/values"), "a list"))?
                .iter()
                .map(|value| {
                    let part = |key: &str| {
                        value.get(key).and_then(Value::as_str).ok_or_else(|| {
                            Error::spec(format!("{enum_at}/values"), format!("a {key} per value"))
                        })
                    };
                    let variant = part("name")?;
                    check_ident(variant, &enum_at, "a variant's name")?;
                    Ok((
                        part("value")?,
                        format_ident!("{variant}"),
                        part("description")?,
                    ))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Some((format_ident!("{name}"), values))
        }
    };
    let kind = text("type")?;
    if !crate::import::COLUMN_TYPES.contains(&kind) || (kind == "enum") != enumeration.is_some() {
        return Err(Error::spec(
            format!("{at}/type"),
            "text, time, fen, millifen, count, or enum with an `enum`",
        ));
    }
    Ok(Column {
        name: text("name")?,
        field: format_ident!("{field}"),
        kind,
        optional: column.get("optional").and_then(Value::as_bool) == Some(true),
        none,
        description: column.get("description").and_then(Value::as_str),
        enumeration,
    })
}

/// A column's Rust type, and the expression that reads it from `c` (`crate::Columns`).
fn column_type(column: &Column<'_>, index: &Literal) -> (TokenStream, TokenStream) {
    let time = quote!(::chrono::DateTime<::chrono::FixedOffset>);
    let string = quote!(::std::string::String);
    let none = &column.none;
    let (ty, read) = match (column.kind, column.optional) {
        ("time", false) => (time, quote!(c.cell::<crate::bill_file::Time>(#index)?)),
        ("time", true) => (
            time,
            quote!(c.optional_cell::<crate::bill_file::Time>(#index)?),
        ),
        ("fen", false) => (
            quote!(i64),
            quote!(c.cell::<crate::bill_file::Fen>(#index)?),
        ),
        ("fen", true) => (
            quote!(i64),
            quote!(c.optional_cell::<crate::bill_file::Fen>(#index)?),
        ),
        ("millifen", false) => (
            quote!(i64),
            quote!(c.cell::<crate::bill_file::Millifen>(#index)?),
        ),
        ("millifen", true) => (
            quote!(i64),
            quote!(c.optional_cell::<crate::bill_file::Millifen>(#index)?),
        ),
        ("count", false) => (
            quote!(u64),
            quote!(c.cell::<crate::bill_file::Count>(#index)?),
        ),
        ("count", true) => (
            quote!(u64),
            quote!(c.optional_cell::<crate::bill_file::Count>(#index)?),
        ),
        ("enum", optional) => {
            let ty = column
                .enumeration
                .as_ref()
                .map(|(ident, _)| quote!(#ident))
                .unwrap_or_default();
            let read = if optional {
                quote!(c.optional(#index, &[#(#none),*]).map(#ty::from_bill))
            } else {
                quote!(#ty::from_bill(c.value(#index)?))
            };
            (ty, read)
        }
        (_, false) => (string, quote!(c.text(#index)?)),
        (_, true) => (string, quote!(c.optional_text(#index, &[#(#none),*]))),
    };
    if column.optional {
        (quote!(::std::option::Option<#ty>), read)
    } else {
        (ty, read)
    }
}

/// A column's doc comment: its name, what it holds, its unit.
fn column_doc(column: &Column<'_>) -> String {
    let mut doc = match column.description {
        Some(description) => format!("{}: {}", column.name, description.trim()),
        None => format!("{}.", column.name),
    };
    let unit = match column.kind {
        "time" => Some("In Beijing time, with its offset."),
        "fen" => Some("In fen (分), from the yuan the bill writes."),
        "millifen" => {
            Some("In thousandths of a fen, from the five decimals of a yuan the bill writes.")
        }
        _ => None,
    };
    if let Some(unit) = unit {
        doc.push_str("\n\n");
        doc.push_str(unit);
    }
    if column.optional {
        doc.push_str("\n\nNone when the bill has no such column or leaves it empty");
        if !column.none.is_empty() {
            doc.push_str(&format!(" (or writes {})", column.none.join(" or ")));
        }
        doc.push('.');
    }
    doc
}

/// The enum of a column's values: one variant per value, and `Other` for the rest.
fn enum_tokens(
    ident: &syn::Ident,
    values: &[EnumValue<'_>],
    column: &str,
    row: &str,
) -> TokenStream {
    let doc = format!("The values of the column {column} of [`{row}`].");
    let variants = values.iter().map(|(value, variant, description)| {
        let doc = format!("{value}: {description}");
        quote! {
            #[doc = #doc]
            #variant,
        }
    });
    let arms = values
        .iter()
        .map(|(value, variant, _)| quote!(#value => Self::#variant,));
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum #ident {
            #(#variants)*
            /// Another value, kept as it came.
            Other(::std::string::String),
        }
        impl #ident {
            /// The value a bill writes.
            fn from_bill(value: &str) -> Self {
                match value {
                    #(#arms)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    }
}
