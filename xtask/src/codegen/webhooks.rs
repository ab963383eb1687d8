//! The spec's `x-webhooks` (notifications WeChat Pay POSTs to the merchant) → a
//! `crate::NotificationKind` constant per notification, and the `crate::DecryptedResource` impl
//! that ties its decrypted resource type to it. The envelope, the resource and the failure answer
//! are component schemas, generated with the other types.

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::Error;
use super::layout::{Family, Home, tag_of};
use super::spec::{Spec, check_ident, pointer_key, ref_name};

/// One notification, as the generated code needs it.
struct Webhook {
    id: String,
    /// The family's tag.
    tag: String,
    summary: String,
    description: String,
    page: String,
    original_type: String,
    event_types: Vec<String>,
    retry_intervals: Vec<u64>,
    resource: String,
}

/// The component a `{schema: {$ref}}` object names, checked to exist.
fn component(spec: &Spec, object: Option<&Value>, pointer: &str) -> Result<String, Error> {
    let name = object
        .and_then(|o| o.pointer("/schema/$ref"))
        .and_then(Value::as_str)
        .and_then(ref_name)
        .filter(|name| spec.schema(name).is_some())
        .ok_or_else(|| Error::spec(pointer, "a schema $ref to a component"))?;
    Ok(name.to_owned())
}

fn read(spec: &Spec, families: &[Family], id: &str, item: &Value) -> Result<Webhook, Error> {
    let pointer = format!("#/x-webhooks/{}", pointer_key(id));
    let _shape: openapiv3::PathItem =
        serde_path_to_error::deserialize(item).map_err(|error| Error::Shape {
            pointer: format!("{pointer}/{}", error.path().to_string().replace('.', "/")),
            message: error.inner().to_string(),
        })?;
    let post = item
        .get("post")
        .ok_or_else(|| Error::spec(&pointer, "a notification is a `post` (WeChat Pay POSTs it)"))?;
    let pointer = format!("{pointer}/post");
    let text = |key: &str| -> Result<String, Error> {
        post.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::spec(format!("{pointer}/{key}"), "a string"))
    };
    let strings = |key: &str| -> Result<Vec<String>, Error> {
        post.get(key)
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| Error::spec(format!("{pointer}/{key}"), "a list of strings"))
    };
    let operation_id = text("operationId")?;
    if operation_id != id {
        return Err(Error::spec(
            format!("{pointer}/operationId"),
            format!("the webhook's key, {id}"),
        ));
    }
    check_ident(&operation_id, &pointer, "the operationId")?;
    let retry_intervals = post
        .get("x-retry-intervals")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().map(Value::as_u64).collect::<Option<Vec<_>>>())
        .filter(|list| !list.is_empty())
        .ok_or_else(|| {
            Error::spec(
                format!("{pointer}/x-retry-intervals"),
                "a non-empty list of seconds",
            )
        })?;
    Ok(Webhook {
        id: operation_id,
        tag: tag_of(post, families, &pointer)?,
        summary: text("summary")?,
        description: text("description")?,
        page: text("x-doc-page")?,
        original_type: text("x-original-type")?,
        event_types: strings("x-event-types")?,
        retry_intervals,
        resource: component(
            spec,
            post.get("x-decrypted-resource"),
            &format!("{pointer}/x-decrypted-resource"),
        )?,
    })
}

/// The tokens of every notification in the spec, by the module they go to (their family's).
pub fn generate(spec: &Spec, families: &[Family]) -> Result<Vec<(Home, TokenStream)>, Error> {
    let mut out = Vec::new();
    let Some(webhooks) = spec.raw.get("x-webhooks") else {
        return Ok(out);
    };
    let webhooks = webhooks
        .as_object()
        .ok_or_else(|| Error::spec("#/x-webhooks", "a map of notifications by id"))?;
    for (id, item) in webhooks {
        let hook = read(spec, families, id, item)?;
        let constant = format_ident!("{}", hook.id.to_shouty_snake_case());
        let resource = format_ident!("{}", hook.resource);
        let (id, summary, original_type) = (&hook.id, &hook.summary, &hook.original_type);
        let events = &hook.event_types;
        let intervals = hook
            .retry_intervals
            .iter()
            .map(|s| proc_macro2::Literal::u64_unsuffixed(*s));
        let doc = format!(
            "{summary} ({}): {}\n\nDecoded by [`crate::Client::decode_notification`] into \
             [`{resource}`]. From `{}`.",
            hook.id,
            hook.description.trim(),
            hook.page
        );
        let impl_doc = format!("The decrypted resource of {summary} (`{id}`).");
        out.push((
            Some(hook.tag.clone()),
            quote! {
                #[doc = #doc]
                pub const #constant: crate::NotificationKind = crate::NotificationKind {
                    id: #id,
                    summary: #summary,
                    original_type: #original_type,
                    event_types: &[#(#events),*],
                    retry_intervals: &[#(::std::time::Duration::from_secs(#intervals)),*],
                };
                #[doc = #impl_doc]
                impl crate::DecryptedResource for #resource {
                    const KIND: &'static crate::NotificationKind = &#constant;
                }
            },
        ));
    }
    Ok(out)
}
