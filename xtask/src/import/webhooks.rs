//! Notification pages (回调通知): what WeChat Pay POSTs to the merchant, as the spec's
//! `x-webhooks` (schema/README.md, "Notifications").
//!
//! Every notification page has the same three tables: 通知参数 (the envelope, whose `resource` is
//! encrypted), 解密后的资源 (what `resource` decrypts to) and 通知应答 (the merchant's failure
//! answer). The envelope and the failure answer are one component each, shared by every page: a
//! page whose tables differ from the first one's in a field's name, nesting, type or 必填 is an
//! error naming both pages, and the envelope's `event_type` enum holds the values of every page.
//! The decrypted resource is a component per page, named after the notification.

use std::path::Path;

use heck::{ToLowerCamelCase, ToUpperCamelCase};
use serde_json::{Map, Value, json};

use super::operations::{operation_head, summary};
use super::page_fields::{one_line, shape, tree};
use super::schema_json::schema_ref;
use super::schemas::table_rows;
use super::{Error, Importer, OperationOverlay, SchemaOverlay, only_extensions};
use crate::docs::{Field, Page};

/// The envelope component's name when no overlay entry takes a 通知参数 table.
const ENVELOPE: &str = "Notification";
/// The failure answer's name when no overlay entry takes a 通知应答 table.
const FAILURE: &str = "NotificationFailure";

/// The id of a notification page without an `operationId` in the overlay: its file name in
/// lowerCamelCase (`docs/ecommerce-profitsharing-notification.md` →
/// `ecommerceProfitsharingNotification`).
pub fn webhook_id(label: &str) -> String {
    let stem = Path::new(label)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.to_lower_camel_case()
}

/// The retry schedule a 通知应答 text gives as `15s/15s/30s/3m/…/6h`, in seconds: the longest run
/// of at least two intervals joined by `/`.
pub fn retry_intervals(text: &str) -> Option<Vec<u64>> {
    let interval = |part: &str| -> Option<u64> {
        let unit = match part.chars().last()? {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        let number = part.get(..part.len() - 1)?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse::<u64>().ok()?.checked_mul(unit)
    };
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '/'))
        .filter_map(|word| {
            let parts: Option<Vec<u64>> = word.split('/').map(interval).collect();
            parts.filter(|p| p.len() >= 2)
        })
        .max_by_key(Vec::len)
}

/// A component shared by every notification page: its name and the page it was made from.
struct Shared<'a> {
    name: String,
    label: &'a str,
    rows: &'a [Field],
}

impl<'a> Importer<'a> {
    /// The overlay's component made from `table` of some notification page, if any: its name and
    /// the page.
    fn claimed_table(&self, table: &str) -> Option<(String, &'a str)> {
        let overlay = self.overlay;
        overlay.schemas.iter().find_map(|(name, entry)| {
            let (label, which) = entry.table.as_deref()?.split_once('#')?;
            let (label, _) = self.pages.get_key_value(label)?;
            (which == table).then(|| (name.clone(), *label))
        })
    }

    /// The component shared by the notification pages for `table` (`notification` or `answer`):
    /// the overlay's entry, or one made from the first page under `default`.
    fn shared_component(
        &mut self,
        table: &str,
        default: &str,
        first: (&'a str, &'a Path, &'a Page),
    ) -> Result<Shared<'a>, Error> {
        let (name, label) = match self.claimed_table(table) {
            Some(claimed) => claimed,
            None => {
                let (label, path, page) = first;
                let rows = table_rows(page, table).unwrap_or_default();
                let description = match table {
                    "notification" => {
                        "The envelope of a notification (回调通知) WeChat Pay POSTs to the \
                         merchant: its `resource` is encrypted with the APIv3 key."
                    }
                    _ => "The merchant's answer to a notification it could not take.",
                };
                let schema = self.object_schema(
                    default,
                    &SchemaOverlay::default(),
                    tree(rows, path),
                    description,
                    &Default::default(),
                    &format!("#/components/schemas/{default}"),
                )?;
                self.add_component(default, schema, path, rows.first().map_or(1, |f| f.line))?;
                (default.to_owned(), label)
            }
        };
        let (_, page) = self.page(label, "#/schemas")?;
        Ok(Shared {
            name,
            label,
            rows: table_rows(page, table).unwrap_or_default(),
        })
    }

    /// Every notification page as an entry of the spec's `x-webhooks`, by id.
    pub(super) fn webhooks(&mut self) -> Result<Map<String, Value>, Error> {
        let overlay = self.overlay;
        let pages: Vec<(&'a str, &'a Path, &'a Page)> = self
            .pages
            .iter()
            .filter(|(_, (_, page))| page.is_notification())
            .map(|(label, (path, page))| (*label, *path, *page))
            .collect();
        let Some(first) = pages.first().copied() else {
            return Ok(Map::new());
        };
        let envelope = self.shared_component("notification", ENVELOPE, first)?;
        let failure = self.shared_component("answer", FAILURE, first)?;
        static NO_OVERLAY: std::sync::LazyLock<OperationOverlay> =
            std::sync::LazyLock::new(OperationOverlay::default);
        let mut webhooks = Map::new();
        for (label, path, page) in pages {
            let at = format!("#/operations/{}", label.replace('/', "~1"));
            let op = overlay.operations.get(label).unwrap_or(&NO_OVERLAY);
            only_extensions(&op.extensions, &at)?;
            if !op.request.is_empty()
                || op.response.is_some()
                || !op.exactly_one_of.is_empty()
                || !op.layouts.is_empty()
            {
                return Err(Error::overlay(
                    at,
                    "request, response, x-exactly-one-of and layouts mean nothing for a \
                     notification page",
                ));
            }
            let page_error = |line: usize, expected: String| Error::page(path, line, expected);
            for (shared, table, heading) in [
                (&envelope, &page.notification, "通知参数"),
                (&failure, &page.notification_answer, "通知应答"),
            ] {
                if shape(table) != shape(shared.rows) {
                    return Err(page_error(
                        table.first().map_or(page.url_line, |f| f.line),
                        format!(
                            "a {heading} table like the one of {} (the component {} both pages \
                             share): the same fields, nesting, types and 必填",
                            shared.label, shared.name
                        ),
                    ));
                }
            }
            let event_types = self.add_event_types(&envelope.name, page)?;
            let summary = summary(page);

            let id = op.operation_id.clone().unwrap_or_else(|| webhook_id(label));
            let resource = match self.claimed_table("resource") {
                Some((name, claimed)) if claimed == label => name,
                _ => {
                    let name = id.to_upper_camel_case();
                    let description = format!(
                        "The decrypted `resource` of {summary} (解密后的资源): what \
                         `Client::decode_notification` returns."
                    );
                    let schema = self.object_schema(
                        &name,
                        &SchemaOverlay::default(),
                        tree(&page.resource, path),
                        &description,
                        &Default::default(),
                        &format!("#/components/schemas/{name}"),
                    )?;
                    self.add_component(&name, schema, path, page.url_line)?;
                    name
                }
            };
            let original_type = page
                .notification_example
                .as_ref()
                .and_then(|e| e.pointer("/resource/original_type"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    page_error(
                        page.url_line,
                        "a 通知示例 whose resource.original_type names the resource's type"
                            .to_owned(),
                    )
                })?;
            let on_page = retry_intervals(&page.notification_answer_text);
            let retry = match (&on_page, op.extensions.get("x-retry-intervals")) {
                (Some(intervals), None) => json!(intervals),
                (_, Some(overlay)) => overlay.clone(),
                (None, None) => {
                    return Err(page_error(
                        page.url_line,
                        "a retry schedule in the 通知应答 text (15s/15s/30s/…), or \
                         x-retry-intervals (seconds) in the overlay's entry for the page"
                            .to_owned(),
                    ));
                }
            };
            if op.extensions.contains_key("x-retry-intervals") && on_page.is_some() {
                self.stale.push(format!(
                    "{at}/x-retry-intervals: the page gives a retry schedule itself now (the \
                     overlay's is kept)"
                ));
            }

            let family = self.family_of_page(label, path, page)?;
            let mut operation = operation_head(&id, &family, label, page, op);
            operation.insert("x-original-type".to_owned(), json!(original_type));
            operation.insert("x-event-types".to_owned(), json!(event_types));
            for (key, value) in &op.extensions {
                operation.insert(key.clone(), value.clone());
            }
            operation.insert("x-retry-intervals".to_owned(), retry);
            let mut decrypted = Map::new();
            decrypted.insert("schema".to_owned(), schema_ref(&resource));
            if let Some(example) = &page.resource_example {
                decrypted.insert("example".to_owned(), example.clone());
            }
            operation.insert("x-decrypted-resource".to_owned(), Value::Object(decrypted));
            let mut body = Map::new();
            body.insert("schema".to_owned(), schema_ref(&envelope.name));
            if let Some(example) = &page.notification_example {
                body.insert("example".to_owned(), example.clone());
            }
            operation.insert(
                "requestBody".to_owned(),
                json!({ "required": true, "content": { "application/json": body } }),
            );
            operation.insert(
                "responses".to_owned(),
                self.webhook_responses(page, &failure.name),
            );
            webhooks.insert(id, json!({ "post": operation }));
        }
        Ok(webhooks)
    }

    /// Adds the page's `event_type` values to the envelope's enum (a page's values missing from
    /// the shared enum are appended) and returns them.
    fn add_event_types(&mut self, envelope: &str, page: &Page) -> Result<Vec<String>, Error> {
        let Some(row) = page.notification.iter().find(|f| f.name == "event_type") else {
            return Ok(Vec::new());
        };
        let values: Vec<String> = row.enum_values.iter().map(|(v, _)| v.clone()).collect();
        let target = self
            .components
            .get(envelope)
            .or_else(|| self.auto_components.get(envelope))
            .and_then(|s| s.pointer("/properties/event_type/$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_owned);
        let Some(target) = target else {
            return Ok(values);
        };
        let schema = match self.components.get_mut(&target) {
            Some(schema) => Some(schema),
            None => self.auto_components.get_mut(&target),
        };
        if let Some(Value::Object(schema)) = schema {
            for (value, text) in &row.enum_values {
                let listed = schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(value)));
                if listed {
                    continue;
                }
                if let Some(Value::Array(list)) = schema.get_mut("enum") {
                    list.push(json!(value));
                }
                if let Some(Value::Object(texts)) = schema.get_mut("x-enum-descriptions") {
                    texts.insert(value.clone(), json!(one_line(text, " ")));
                }
            }
        }
        Ok(values)
    }

    /// A notification's answers: 200 and 204 without a body mean received; 4XX and 5XX with the
    /// failure body mean WeChat Pay sends it again.
    fn webhook_responses(&self, page: &Page, failure: &str) -> Value {
        let line = |prefix: &str, otherwise: &str| {
            page.notification_answer_text
                .lines()
                .find(|l| l.starts_with(prefix))
                .map_or_else(|| otherwise.to_owned(), |l| one_line(l, " "))
        };
        let received = line("接收成功", "Received: status 200 or 204, no body.");
        let failed = line(
            "接收失败",
            "Not received: status 4XX or 5XX with the failure body; WeChat Pay sends it again.",
        );
        let mut failed_media = Map::new();
        failed_media.insert("schema".to_owned(), schema_ref(failure));
        if let Some(example) = &page.notification_answer_example {
            failed_media.insert("example".to_owned(), example.clone());
        }
        let failed = json!({
            "description": failed,
            "content": { "application/json": failed_media },
        });
        json!({
            "200": { "description": received },
            "204": { "description": received },
            "4XX": failed,
            "5XX": failed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedules_are_read_from_the_prose() {
        assert_eq!(
            retry_intervals("会按 15s/15s/30s/3m/10m/1h(共 1h) 的间隔重发"),
            Some(vec![15, 15, 30, 180, 600, 3600])
        );
        assert_eq!(retry_intervals("no schedule, 15s only"), None);
        assert_eq!(retry_intervals("a/b 3x/4y"), None);
    }

    #[test]
    fn ids_come_from_the_file_name() {
        assert_eq!(
            webhook_id("docs/ecommerce-profitsharing-notification.md"),
            "ecommerceProfitsharingNotification"
        );
    }
}
