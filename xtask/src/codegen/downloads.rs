//! The spec's `x-file-downloads` (a file another page points to, e.g. 下载账单) → a
//! `crate::FileDownload` constant per download: what the handwritten download runs by (the URL
//! parameter and its longest length, the documented error codes).

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
