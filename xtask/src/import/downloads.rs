//! File downloads (下载账单): a page whose 请求 URL is a `{parameter}`, the URL another page
//! answered, and whose answer is a file rather than JSON, as an entry of the spec's
//! `x-file-downloads` (schema/README.md, "File downloads").

use std::path::Path;

use serde_json::{Map, Value, json};

use super::operations::operation_head;
use super::overlay::ColumnOverlay;
use super::page_fields::{one_line, prose};
use super::webhooks::webhook_id;
use super::{Error, Importer, OperationOverlay, only_extensions};
use crate::docs::{FileTable, Page};

/// The column types a layout's column can have (schema/README.md, "File layouts").
pub(crate) const COLUMN_TYPES: [&str; 6] = ["text", "time", "fen", "millifen", "count", "enum"];

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
            let page_error = |line: usize, expected: String| Error::page(path, line, expected);
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
            let layouts = file_layouts(path, page, op, &at)?;
            if !layouts.is_empty() {
                operation.insert("x-file-layouts".to_owned(), Value::Object(layouts));
            }
            downloads.insert(id, json!({ "get": operation }));
        }
        Ok(downloads)
    }
}

/// The page's column tables (文件格式) as the spec's `x-file-layouts`, one row type per table, by
/// the names and types the overlay's `layouts` give: every table and every column is named, and a
/// column the tables do not list says why it is there.
fn file_layouts(
    path: &Path,
    page: &Page,
    op: &OperationOverlay,
    at: &str,
) -> Result<Map<String, Value>, Error> {
    let mut claimed: Vec<Option<&str>> = vec![None; page.file_tables.len()];
    let mut layouts = Map::new();
    for (name, layout) in &op.layouts {
        let at = format!("{at}/layouts/{name}");
        let matching: Vec<usize> = page
            .file_tables
            .iter()
            .enumerate()
            .filter(|(_, table)| table.title.starts_with(&layout.table))
            .map(|(index, _)| index)
            .collect();
        let [index] = matching.as_slice() else {
            return Err(Error::overlay(
                format!("{at}/table"),
                format!(
                    "{} of the page's 文件格式 tables have a title starting with {:?}: name \
                     exactly one (their titles: {:?})",
                    matching.len(),
                    layout.table,
                    page.file_tables
                        .iter()
                        .map(|t| &t.title)
                        .collect::<Vec<_>>()
                ),
            ));
        };
        let (Some(table), Some(slot)) = (page.file_tables.get(*index), claimed.get_mut(*index))
        else {
            continue;
        };
        if let Some(other) = slot.replace(name) {
            return Err(Error::overlay(
                format!("{at}/table"),
                format!("the table {:?} is already the layout {other}", table.title),
            ));
        }
        layouts.insert(name.clone(), layout_of(path, table, layout, &at)?);
    }
    if let Some((table, _)) = page
        .file_tables
        .iter()
        .zip(&claimed)
        .find(|(_, claimed)| claimed.is_none())
    {
        return Err(Error::page(
            path,
            table.line,
            format!(
                "a layout in the overlay (operations.PAGE.layouts) for the table {:?}: its \
                 columns have only Chinese names",
                table.title
            ),
        ));
    }
    Ok(layouts)
}

/// One table's row type.
fn layout_of(
    path: &Path,
    table: &FileTable,
    layout: &super::overlay::LayoutOverlay,
    at: &str,
) -> Result<Value, Error> {
    if let Some(missing) = table
        .columns
        .iter()
        .find(|column| !layout.columns.contains_key(*column))
    {
        return Err(Error::page(
            path,
            table.line,
            format!(
                "the column {missing} of the table {:?} named in the overlay ({at}/columns)",
                table.title
            ),
        ));
    }
    let mut fields: Vec<&str> = Vec::new();
    let mut columns = Vec::new();
    // The page's columns in its order, then the overlay's others in its order.
    let order = table.columns.iter().map(String::as_str).chain(
        layout
            .columns
            .keys()
            .map(String::as_str)
            .filter(|name| !table.columns.iter().any(|c| c == name)),
    );
    for name in order {
        let Some(column) = layout.columns.get(name) else {
            continue;
        };
        let at = format!("{at}/columns/{name}");
        let on_page = table.columns.iter().any(|c| c == name);
        if !on_page && column.departs_from_docs.is_none() {
            return Err(Error::overlay(
                at,
                format!(
                    "the table {:?} has no such column: say where it comes from with \
                     x-departs-from-docs",
                    table.title
                ),
            ));
        }
        if fields.contains(&column.field.as_str()) || column.field == "extra" {
            return Err(Error::overlay(
                format!("{at}/field"),
                format!(
                    "{} is another column's field, or `extra` (the columns no field takes)",
                    column.field
                ),
            ));
        }
        fields.push(&column.field);
        columns.push(column_of(name, column, &at)?);
    }
    let mut value = Map::new();
    value.insert("description".to_owned(), json!(layout.description));
    value.insert("x-table".to_owned(), json!(table.title));
    value.insert("x-columns".to_owned(), Value::Array(columns));
    Ok(Value::Object(value))
}

/// One column: its name on the page, its field and type.
fn column_of(name: &str, column: &ColumnOverlay, at: &str) -> Result<Value, Error> {
    let snake = !column.field.is_empty()
        && column
            .field
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && column
            .field
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase());
    if !snake {
        return Err(Error::overlay(
            format!("{at}/field"),
            "a field name in snake_case, starting with a letter",
        ));
    }
    if !COLUMN_TYPES.contains(&column.kind.as_str()) {
        return Err(Error::overlay(
            format!("{at}/type"),
            format!("one of {COLUMN_TYPES:?}"),
        ));
    }
    let text_or_enum = ["text", "enum"].contains(&column.kind.as_str());
    let none_allowed = column.optional && text_or_enum;
    if !column.none.is_empty() && !none_allowed {
        return Err(Error::overlay(
            format!("{at}/none"),
            "values that mean none go with `optional: true` on a text or enum column",
        ));
    }
    let is_enum = column.kind == "enum";
    if is_enum != column.enum_name.is_some() || is_enum == column.values.is_empty() {
        return Err(Error::overlay(
            at,
            "`enum` (its name) and `values` go with `type: enum`, and only with it",
        ));
    }
    let mut value = Map::new();
    value.insert("name".to_owned(), json!(name));
    value.insert("field".to_owned(), json!(column.field));
    value.insert("type".to_owned(), json!(column.kind));
    if column.optional {
        value.insert("optional".to_owned(), json!(true));
    }
    if !column.none.is_empty() {
        value.insert("none".to_owned(), json!(column.none));
    }
    if let Some(description) = &column.description {
        value.insert("description".to_owned(), json!(description));
    }
    if let Some(enum_name) = &column.enum_name {
        let values: Vec<Value> = column
            .values
            .iter()
            .map(|(value, (name, description))| {
                json!({ "value": value, "name": name, "description": description })
            })
            .collect();
        value.insert(
            "enum".to_owned(),
            json!({ "name": enum_name, "values": values }),
        );
    }
    if let Some(why) = &column.departs_from_docs {
        value.insert("x-departs-from-docs".to_owned(), json!(why));
    }
    Ok(Value::Object(value))
}
