//! File downloads (下载账单): a page whose 请求 URL is a `{parameter}`, the URL another page
//! answered, and whose answer is a file rather than JSON, as an entry of the spec's
//! `x-file-downloads` (schema/README.md, "File downloads").

use std::path::Path;

use serde_json::{Map, Value, json};

use super::operations::operation_head;
use super::page_fields::{one_line, prose};
use super::webhooks::webhook_id;
use super::{Error, Importer, OperationOverlay, only_extensions};
use crate::docs::{Page, PageError};

impl<'a> Importer<'a> {
    /// Every file download page as an entry of the spec's `x-file-downloads`, by id: a `get` of
    /// the URL its `x-url-parameter` names, answered by the file (`application/octet-stream`, not
    /// signed) or by the page's error codes.
    pub(super) fn file_downloads(&mut self) -> Result<Map<String, Value>, Error> {
        let pages: Vec<(&'a str, &'a Path, &'a Page)> = self
            .pages
            .iter()
            .filter(|(_, (_, page))| page.is_file_download())
            .map(|(label, (path, page))| (*label, *path, *page))
            .collect();
        static NO_OVERLAY: std::sync::LazyLock<OperationOverlay> =
            std::sync::LazyLock::new(OperationOverlay::default);
        let mut downloads = Map::new();
        for (label, path, page) in pages {
            let at = format!("#/operations/{}", label.replace('/', "~1"));
            let op = self.overlay.operations.get(label).unwrap_or(&NO_OVERLAY);
            only_extensions(&op.extensions, &at)?;
            let page_error = |line: usize, expected: String| {
                Error::Page(PageError {
                    page: path.to_path_buf(),
                    line,
                    expected,
                })
            };
            let name = page
                .url
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
                .unwrap_or_default();
            let row = page
                .request
                .iter()
                .find(|field| field.depth == 0 && field.name == name)
                .ok_or_else(|| {
                    page_error(
                        page.url_line,
                        format!(
                            "a field {name} in the 请求参数 table, for the {{{name}}} that is the \
                             请求 URL"
                        ),
                    )
                })?;
            if !page.response.is_empty() {
                return Err(page_error(
                    page.url_line,
                    "no 返回参数 table on a file download page (its answer is the file)".to_owned(),
                ));
            }
            let id = op.operation_id.clone().unwrap_or_else(|| webhook_id(label));
            let family = self.family_of_page(label, path, page)?;
            let mut operation = operation_head(&id, &family, label, page, op);
            let mut parameter = Map::new();
            parameter.insert("name".to_owned(), json!(row.name));
            parameter.insert(
                "description".to_owned(),
                json!(format!(
                    "{}. {}",
                    row.chinese_name,
                    one_line(&prose(row), " ")
                )),
            );
            if let Some(max) = row.max_length {
                parameter.insert("maxLength".to_owned(), json!(max));
            }
            if let Some(example) = &row.example {
                parameter.insert("example".to_owned(), json!(example));
            }
            operation.insert("x-url-parameter".to_owned(), Value::Object(parameter));
            let mut responses = Map::new();
            responses.insert(
                "200".to_owned(),
                json!({
                    "description": "The file's bytes, not signed: checked against the digest the \
                                    application answered.",
                    "content": {
                        "application/octet-stream": {
                            "schema": { "type": "string", "format": "binary" }
                        }
                    }
                }),
            );
            for (status, response) in self.error_responses(page)? {
                responses.insert(status.to_string(), response);
            }
            operation.insert("responses".to_owned(), Value::Object(responses));
            downloads.insert(id, json!({ "get": operation }));
        }
        Ok(downloads)
    }
}
