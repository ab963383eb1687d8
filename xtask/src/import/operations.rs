//! An operation from a page: its path, parameters, answer and error answers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::page_fields::{fill, one_line, prose};
use super::schema_json::{copy_extensions, example_value, merge, scalar_schema, schema_ref};
use super::{Error, FieldOverlay, Importer, OperationOverlay, only_extensions};
use crate::docs::{self, Field, Page, PageError, Required};

impl<'a> Importer<'a> {
    pub(super) fn operation(
        &mut self,
        op: &'a OperationOverlay,
        at: &str,
    ) -> Result<(String, String, Value), Error> {
        only_extensions(&op.extensions, at)?;
        if let Some(relocation) = &op.path_parameters_in {
            only_extensions(&relocation.extensions, &format!("{at}/path-parameters-in"))?;
        }
        let (page_path, page) = self.page(&op.page, &format!("{at}/page"))?;
        let page_error = |line: usize, expected: String| {
            Error::Page(PageError {
                page: page_path.to_path_buf(),
                line,
                expected,
            })
        };
        let path = page
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest.get(i..).unwrap_or_default()))
            .filter(|p| p.len() > 1)
            .ok_or_else(|| {
                page_error(
                    page.url_line,
                    format!("a 请求 URL of https://HOST/PATH, not {:?}", page.url),
                )
            })?
            .to_owned();
        let method = page.method.to_ascii_lowercase();

        let mut operation = Map::new();
        operation.insert("operationId".to_owned(), json!(op.operation_id));
        let summary = page.title.strip_suffix("API").unwrap_or(&page.title).trim();
        operation.insert("summary".to_owned(), json!(summary));
        operation.insert(
            "description".to_owned(),
            json!(fill(
                op.description.as_deref().or(Some("{description}")),
                "",
                "",
                &one_line(&page.description, " ")
            )),
        );
        operation.insert("x-doc-page".to_owned(), json!(op.page));
        copy_extensions(&mut operation, &op.extensions);

        // 二选一: the page's joined fields must be the overlay's groups.
        let on_page: BTreeSet<&str> = page
            .request
            .iter()
            .filter(|f| f.required == Required::OneOfTwo)
            .map(|f| f.name.as_str())
            .collect();
        let in_overlay: BTreeSet<&str> = op
            .exactly_one_of
            .iter()
            .flat_map(|group| group.parameters.iter().map(String::as_str))
            .collect();
        if on_page != in_overlay {
            let line = page
                .request
                .iter()
                .find(|f| f.required == Required::OneOfTwo)
                .or(page.request.first())
                .map_or(1, |f| f.line);
            return Err(page_error(
                line,
                format!(
                    "二选一 joining the fields {in_overlay:?} that {at}/x-exactly-one-of names; \
                     the page joins {on_page:?} (change the overlay's groups to match)"
                ),
            ));
        }
        if !op.exactly_one_of.is_empty() {
            operation.insert(
                "x-exactly-one-of".to_owned(),
                serde_json::to_value(&op.exactly_one_of)
                    .map_err(|e| Error::overlay(format!("{at}/x-exactly-one-of"), e.to_string()))?,
            );
        }

        let mut parameters = Vec::new();
        for field in &page.request {
            let overlay = op.parameters.get(&field.name);
            parameters.push(self.parameter(op, field, overlay, page_path, at)?);
        }
        for name in op.parameters.keys() {
            if !page.request.iter().any(|f| f.name == *name) {
                self.stale.push(format!(
                    "{at}/parameters/{name}: no parameter {name} in the 请求参数 table of {}",
                    op.page
                ));
            }
        }
        operation.insert("parameters".to_owned(), Value::Array(parameters));

        let example = page.response_examples.first().cloned();
        let mut success = Map::new();
        success.insert("schema".to_owned(), schema_ref(&op.response.schema));
        if let Some(example) = example {
            success.insert("example".to_owned(), example);
        }
        let mut responses = Map::new();
        responses.insert(
            "200".to_owned(),
            json!({
                "description": op.response.description,
                "content": { "application/json": success },
            }),
        );
        for (status, response) in self.error_responses(&op.page, page)? {
            responses.insert(status.to_string(), response);
        }
        operation.insert("responses".to_owned(), Value::Object(responses));
        Ok((path, method, Value::Object(operation)))
    }

    fn parameter(
        &self,
        op: &OperationOverlay,
        field: &Field,
        overlay: Option<&FieldOverlay>,
        page: &Path,
        at: &str,
    ) -> Result<Value, Error> {
        let at = format!("{at}/parameters/{}", field.name);
        let default = FieldOverlay::default();
        let overlay = overlay.unwrap_or(&default);
        only_extensions(&overlay.extensions, &at)?;
        let page_location = field.location.clone().unwrap_or_else(|| "query".to_owned());
        let relocated = op
            .path_parameters_in
            .as_ref()
            .filter(|r| page_location == "path" && r.location != "path");
        let mut departures = Vec::new();
        if let Some(Value::String(note)) =
            relocated.and_then(|r| r.extensions.get("x-departs-from-docs"))
        {
            departures.push(note.clone());
        }
        if field.required == Required::OneOfTwo {
            departures.push(
                "Its 必填 cell is part of the page's 二选一 (one of two): see x-exactly-one-of."
                    .to_owned(),
            );
        }
        if let Some(Value::String(note)) = overlay.extensions.get("x-departs-from-docs") {
            departures.push(note.clone());
        }
        let required = overlay.required.unwrap_or(field.required == Required::Yes);

        let mut parameter = Map::new();
        parameter.insert("name".to_owned(), json!(field.name));
        parameter.insert(
            "in".to_owned(),
            json!(relocated.map_or(page_location.as_str(), |r| r.location.as_str())),
        );
        parameter.insert("required".to_owned(), json!(required));
        parameter.insert(
            "description".to_owned(),
            json!(fill(
                overlay.description.as_deref(),
                &field.chinese_name,
                &prose(field),
                ""
            )),
        );
        // The overlay's own note, if any, is replaced by all the notes together.
        copy_extensions(&mut parameter, &overlay.extensions);
        if !departures.is_empty() {
            parameter.insert(
                "x-departs-from-docs".to_owned(),
                json!(departures.join(" ")),
            );
        }
        if relocated.is_some() {
            parameter.insert("x-doc-location".to_owned(), json!(page_location));
        }
        let mut schema = scalar_schema(field.kind, field.max_length).ok_or_else(|| {
            Error::Page(PageError {
                page: page.to_path_buf(),
                line: field.line,
                expected: "a request parameter of type string, string(N) or int".to_owned(),
            })
        })?;
        merge(&mut schema, overlay.schema.as_ref());
        parameter.insert("schema".to_owned(), Value::Object(schema));
        if let Some(example) = &field.example {
            parameter.insert("example".to_owned(), example_value(field.kind, example));
        }
        Ok(Value::Object(parameter))
    }

    /// The error responses of a page, by status: its 错误码 rows and the overlay's added codes.
    fn error_responses(&mut self, label: &str, page: &Page) -> Result<BTreeMap<u16, Value>, Error> {
        let errors = &self.overlay.errors;
        let mut by_status: BTreeMap<u16, Vec<(&docs::ErrorRow, bool)>> = BTreeMap::new();
        for row in &page.errors {
            by_status.entry(row.status).or_default().push((row, false));
        }
        for (index, row) in errors.add.iter().enumerate() {
            let codes = by_status.entry(row.status).or_default();
            if codes.iter().any(|(r, _)| r.code == row.code) {
                self.stale.push(format!(
                    "#/errors/add/{index}: {} {} is now in the 错误码 table of {label}",
                    row.status, row.code
                ));
            } else {
                codes.push((row, true));
            }
        }
        let mut responses = BTreeMap::new();
        for (status, rows) in by_status {
            let mut response = Map::new();
            let status_overlay = errors.statuses.get(&status);
            let description = match status_overlay {
                Some(overlay) => overlay.description.clone(),
                None => {
                    let mut texts: Vec<&str> =
                        rows.iter().map(|(r, _)| r.description.as_str()).collect();
                    texts.dedup();
                    format!("{}。", texts.join("; "))
                }
            };
            response.insert("description".to_owned(), json!(description));
            let added: Vec<&str> = rows
                .iter()
                .filter(|(_, added)| *added)
                .map(|(r, _)| r.code.as_str())
                .collect();
            if !added.is_empty() {
                response.insert(
                    "x-departs-from-docs".to_owned(),
                    json!(format!(
                        "Not in the page's 错误码 table: {}, common to every API v3 endpoint \
                         (PROTOCOL.md section 4).",
                        added.join(", ")
                    )),
                );
            }
            if let Some(overlay) = status_overlay {
                copy_extensions(&mut response, &overlay.extensions);
            }
            let codes: Vec<Value> = rows
                .iter()
                .map(|(row, _)| {
                    json!({
                        "code": row.code,
                        "description": one_line(&row.description, " "),
                        "solution": one_line(&row.solution, "; "),
                    })
                })
                .collect();
            response.insert("x-error-codes".to_owned(), Value::Array(codes));
            response.insert(
                "content".to_owned(),
                json!({ "application/json": { "schema": schema_ref(&errors.body) } }),
            );
            responses.insert(status, Value::Object(response));
        }
        Ok(responses)
    }
}
