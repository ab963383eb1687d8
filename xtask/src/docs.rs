//! Reading WeChat Pay's doc pages (`schema/docs/*.md`): the first step of `cargo xtask
//! import-docs`. `cargo xtask parse-docs [PAGE]` prints what is read, as JSON.
//!
//! The pages' format, as they really are: YAML front matter; an 接口说明 block whose lines end in
//! `\` continuations; 请求参数 and 返回参数 tables of four columns (变量, 类型, 必填, 参数名/描述/示例值)
//! where each field takes two rows, the second holding the example; types like `string(32)`, `int`,
//! `array`; 必填 cells of 是/否, with 二选一 (one of two) written down three rows as 二, 选, 一; a
//! description that starts with the Chinese name in backticks, then `path`/`query` markers, then
//! prose, with enum values after `枚举值:` as `<br>`-separated `VALUE: 描述` lines; nested objects
//! introduced by a `+` name; request and answer examples; and the 错误码 table. A notification
//! page (WeChat Pay → the merchant) has instead 通知参数 (the envelope), 解密后的资源 (what its
//! `resource` decrypts to) and 通知应答 (the merchant's failure answer) tables, in the same format,
//! with 通知示例 and 解密示例 examples.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Why a page could not be read: the page, the line (1-based) and what was expected there.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {expected}", page.display())]
pub struct PageError {
    pub page: PathBuf,
    pub line: usize,
    pub expected: String,
}

/// What a page says.
#[derive(Debug, Default, Serialize)]
pub struct Page {
    pub title: String,
    pub date: String,
    pub description: String,
    pub url: String,
    /// The line of the 请求 URL.
    #[serde(skip)]
    pub url_line: usize,
    pub method: String,
    pub request: Vec<Field>,
    pub response: Vec<Field>,
    pub request_example: Option<String>,
    /// The JSON body of the request example (the ```json block under 请求示例), checked to be JSON.
    pub request_body_example: Option<serde_json::Value>,
    /// The JSON answer examples (each checked to be JSON).
    pub response_examples: Vec<serde_json::Value>,
    pub errors: Vec<ErrorRow>,
    /// A notification page's 通知参数: the envelope WeChat Pay POSTs.
    pub notification: Vec<Field>,
    /// A notification page's 解密后的资源: what the envelope's `resource` decrypts to.
    pub resource: Vec<Field>,
    /// A notification page's 通知应答: the body of the merchant's answer when it failed.
    pub notification_answer: Vec<Field>,
    /// The JSON under 通知示例.
    pub notification_example: Option<serde_json::Value>,
    /// The JSON under 解密示例.
    pub resource_example: Option<serde_json::Value>,
    /// The JSON under 应答示例 (the merchant's failure answer).
    pub notification_answer_example: Option<serde_json::Value>,
    /// The prose of the 通知应答 section (what counts as received, the retry schedule), its lines
    /// joined by newlines.
    pub notification_answer_text: String,
    /// The column tables of the file a download page answers (under a heading with 文件格式):
    /// `序号 | 列名`, each titled by the line before it.
    pub file_tables: Vec<FileTable>,
}

/// A column table of a downloaded file (账单文件格式): the columns of one kind of row, in order.
#[derive(Debug, Serialize)]
pub struct FileTable {
    /// The line before the table, without its final colon: what the rows are
    /// ("资金账单的明细列").
    pub title: String,
    /// The title's line.
    pub line: usize,
    /// The 列名 column, in the 序号 order.
    pub columns: Vec<String>,
}

impl Page {
    /// Whether the page describes a notification (回调通知) rather than an endpoint.
    pub fn is_notification(&self) -> bool {
        !self.notification.is_empty()
    }

    /// Whether the page is a file download: its 请求 URL is a `{parameter}` (a URL another page
    /// answered) rather than an endpoint.
    pub fn is_file_download(&self) -> bool {
        self.url.starts_with('{') && self.url.ends_with('}')
    }
}

/// A field of a parameter table.
#[derive(Debug, Serialize)]
pub struct Field {
    pub name: String,
    pub line: usize,
    /// How deep the field is nested: 0 for a top-level field, 1 for `+ name` (a field of the
    /// object or array above it), 2 for `++ name`.
    pub depth: usize,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub max_length: Option<usize>,
    pub required: Required,
    /// The `+` of `+分账接收方列表`: an object whose fields the table may not list.
    pub nested: bool,
    pub chinese_name: String,
    /// `path` or `query`, as the page labels it.
    pub location: Option<String>,
    pub description: String,
    pub enum_values: Vec<(String, String)>,
    pub example: Option<String>,
}

/// A field's type as the page writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    String,
    Int,
    Boolean,
    Array,
    Object,
}

/// The 必填 column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Required {
    Yes,
    No,
    /// One of the fields joined by 二选一.
    OneOfTwo,
}

/// A row of the 错误码 table (or of the overlay's added codes).
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRow {
    pub status: u16,
    pub code: String,
    pub description: String,
    pub solution: String,
}

/// Reads every page under `dir` (the `.md` files other than README.md), in name order.
pub fn pages(dir: &Path) -> Result<Vec<(PathBuf, Page)>, PageError> {
    let unreadable = |e: std::io::Error| PageError {
        page: dir.to_path_buf(),
        line: 0,
        expected: format!("a readable folder: {e}"),
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| read_page(&path).map(|page| (path, page)))
        .collect()
}

/// Reads one page.
pub fn read_page(path: &Path) -> Result<Page, PageError> {
    let text = std::fs::read_to_string(path).map_err(|e| PageError {
        page: path.to_path_buf(),
        line: 0,
        expected: format!("a readable UTF-8 file: {e}"),
    })?;
    parse_page(path, &text)
}

/// Markdown escapes undone, HTML breaks as newlines, full-width colons as ASCII ones.
fn clean(text: &str) -> String {
    text.replace("<br>", "\n")
        .replace("\\*", "*")
        .replace("\\_", "_")
        .replace("\\|", "|")
        .replace('：', ":")
        .trim()
        .to_owned()
}

/// Parses a page's text; `path` names it in errors.
pub fn parse_page(path: &Path, text: &str) -> Result<Page, PageError> {
    let error = |line: usize, expected: &str| PageError {
        page: path.to_path_buf(),
        line,
        expected: expected.to_owned(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut page = Page::default();

    // Front matter.
    if lines.first() != Some(&"---") {
        return Err(error(1, "front matter starting with ---"));
    }
    let end = lines
        .iter()
        .skip(1)
        .position(|l| *l == "---")
        .map(|i| i + 1)
        .ok_or_else(|| error(1, "front matter closed by ---"))?;
    let mut index = 1;
    while index < end {
        let line = lines.get(index).copied().unwrap_or_default();
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim().trim_matches('\'').to_owned();
            match key {
                "title" => page.title = value,
                "date" => page.date = value,
                "description" => {
                    let mut folded = Vec::new();
                    while let Some(next) = lines.get(index + 1).filter(|l| l.starts_with("  ")) {
                        folded.push(next.trim());
                        index += 1;
                    }
                    page.description = if value == ">" {
                        folded.join(" ")
                    } else {
                        value
                    };
                }
                _ => {}
            }
        }
        index += 1;
    }
    for (value, what) in [(&page.title, "title"), (&page.date, "date")] {
        if value.is_empty() {
            return Err(error(1, &format!("a `{what}` in the front matter")));
        }
    }

    let mut section = "";
    // In a 文件格式 section: the last line of prose, the title of the table that follows it.
    let mut title: Option<(usize, &str)> = None;
    // The 文件格式 heading's level, while in its section.
    let mut file_format_level: Option<usize> = None;
    let mut index = end + 1;
    while let Some(line) = lines.get(index).copied() {
        let number = index + 1;
        let trimmed = line.trim();
        let level = trimmed.bytes().take_while(|b| *b == b'#').count();
        if level > 0 && file_format_level.is_some_and(|outer| level > outer) {
            // A heading inside the 文件格式 section (a table per bill, say) stays in it.
            title = None;
        } else if let Some(heading) = trimmed.strip_prefix('#') {
            file_format_level = None;
            section = match heading.trim_start_matches('#').trim() {
                h if h.starts_with("请求参数") => "request",
                h if h.starts_with("返回参数") => "response",
                h if h.starts_with("错误码") => "errors",
                h if h.starts_with("通知参数") => "notification",
                h if h.starts_with("解密后的资源") => "resource",
                h if h.starts_with("通知应答") => "notification_answer",
                h if h.starts_with("通知示例") => "notification_example",
                h if h.starts_with("解密示例") => "resource_example",
                h if h.starts_with("应答示例") => "notification_answer_example",
                h if h.starts_with("请求示例") => "request_example",
                h if h.starts_with("返回示例") || h.contains("示例") => "response_example",
                h if h.contains("文件格式") => {
                    file_format_level = Some(level);
                    "file_format"
                }
                _ => "",
            };
            title = None;
        } else if let Some(rest) = trimmed.strip_prefix("**请求 URL**:") {
            page.url = rest.trim().trim_end_matches('\\').trim().to_owned();
            page.url_line = number;
        } else if let Some(rest) = trimmed.strip_prefix("**请求方式**:") {
            page.method = rest.trim().trim_end_matches('\\').trim().to_owned();
        } else if section == "request_example" && trimmed.starts_with("`URL`") {
            page.request_example = Some(trimmed.trim_start_matches("`URL`").trim().to_owned());
        } else if trimmed == "```json" {
            let close = lines
                .iter()
                .skip(index + 1)
                .position(|l| l.trim() == "```")
                .ok_or_else(|| error(number, "a ``` closing the json block"))?;
            let block: Vec<&str> = lines
                .get(index + 1..index + 1 + close)
                .unwrap_or_default()
                .to_vec();
            let example = serde_json::from_str(&block.join("\n")).map_err(|e| {
                error(
                    number + e.line(),
                    &format!("a JSON example between ```json and ```: {e}"),
                )
            })?;
            // One example under each of these headings; any number of answer examples.
            let single = match section {
                "request_example" => Some((&mut page.request_body_example, "请求示例")),
                "notification_example" => Some((&mut page.notification_example, "通知示例")),
                "resource_example" => Some((&mut page.resource_example, "解密示例")),
                "notification_answer_example" => {
                    Some((&mut page.notification_answer_example, "应答示例"))
                }
                _ => None,
            };
            match single {
                Some((slot, _)) if slot.is_none() => *slot = Some(example),
                Some((_, heading)) => {
                    return Err(error(number, &format!("one JSON example under {heading}")));
                }
                None => page.response_examples.push(example),
            }
            index += close + 1;
        } else if section == "notification_answer"
            && !trimmed.is_empty()
            && !trimmed.starts_with('|')
        {
            if !page.notification_answer_text.is_empty() {
                page.notification_answer_text.push('\n');
            }
            page.notification_answer_text
                .push_str(trimmed.trim_end_matches('\\').trim_end());
        } else if section == "file_format" && trimmed.contains('|') {
            let start = index;
            while lines.get(index + 1).is_some_and(|l| l.contains('|')) {
                index += 1;
            }
            let rows: Vec<(usize, Vec<String>)> = (start..=index)
                .filter_map(|i| lines.get(i).map(|l| (i + 1, cells(l))))
                .collect();
            page.file_tables
                .push(file_table(title.take(), number, &rows, &error)?);
        } else if section == "file_format" && !trimmed.is_empty() {
            title = Some((number, trimmed));
        } else if trimmed.replace(' ', "").starts_with("序号|列名") {
            return Err(error(
                number,
                "a 序号 | 列名 table (a file's columns) only under a heading with 文件格式",
            ));
        } else if trimmed.starts_with('|') {
            let start = index;
            while lines
                .get(index + 1)
                .is_some_and(|l| l.trim().starts_with('|'))
            {
                index += 1;
            }
            let rows: Vec<(usize, Vec<String>)> = (start..=index)
                .filter_map(|i| lines.get(i).map(|l| (i + 1, cells(l))))
                .collect();
            match section {
                "request" => page.request = fields(&rows, &error)?,
                "response" => page.response = fields(&rows, &error)?,
                "errors" => page.errors = error_rows(&rows, &error)?,
                "notification" => page.notification = fields(&rows, &error)?,
                "resource" => page.resource = fields(&rows, &error)?,
                "notification_answer" => page.notification_answer = fields(&rows, &error)?,
                _ => {
                    return Err(error(
                        number,
                        "a table only under 请求参数, 返回参数, 错误码, 通知参数, 解密后的资源 or 通知应答",
                    ));
                }
            }
        }
        index += 1;
    }
    if page.url.is_empty() || page.method.is_empty() {
        return Err(error(
            end + 1,
            "**请求 URL**: and **请求方式**: in the 接口说明 block",
        ));
    }
    Ok(page)
}

/// A `序号 | 列名` table of a file's columns, titled by the prose line before it.
fn file_table(
    title: Option<(usize, &str)>,
    number: usize,
    rows: &[(usize, Vec<String>)],
    error: &dyn Fn(usize, &str) -> PageError,
) -> Result<FileTable, PageError> {
    let (line, title) = title.ok_or_else(|| {
        error(
            number,
            "a line saying what the table's columns are before a 文件格式 table",
        )
    })?;
    let title = title
        .trim_end_matches('\\')
        .trim_end()
        .trim_end_matches([':', '：'])
        .trim_end()
        .to_owned();
    let mut rows = rows.iter();
    match rows.next() {
        Some((_, header))
            if header.first().map(String::as_str) == Some("序号")
                && header.get(1).map(String::as_str) == Some("列名") => {}
        _ => return Err(error(number, "a 文件格式 table headed 序号 | 列名")),
    }
    let separator = |cells: &[String]| {
        cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'))
    };
    let mut columns = Vec::new();
    for (index, (line, cells)) in rows.enumerate() {
        if index == 0 && separator(cells) {
            continue;
        }
        let expected = (columns.len() + 1).to_string();
        match (cells.first(), cells.get(1)) {
            (Some(n), Some(name)) if *n == expected && !name.is_empty() => {
                columns.push(name.clone());
            }
            _ => {
                return Err(error(
                    *line,
                    &format!("the row {expected} | 列名 of a 文件格式 table"),
                ));
            }
        }
    }
    if columns.is_empty() {
        return Err(error(number, "a 文件格式 table with at least one column"));
    }
    Ok(FileTable {
        title,
        line,
        columns,
    })
}

/// The cells of a table row, trimmed, without the outer pipes; `\|` is a pipe inside a cell.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        match (c, escaped) {
            ('|', false) => cells.push(String::new()),
            _ => {
                if let Some(cell) = cells.last_mut() {
                    cell.push(c);
                }
            }
        }
        escaped = c == '\\' && !escaped;
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

fn fields(
    rows: &[(usize, Vec<String>)],
    error: &dyn Fn(usize, &str) -> PageError,
) -> Result<Vec<Field>, PageError> {
    let mut fields: Vec<Field> = Vec::new();
    for (number, row) in rows.iter().skip(2) {
        let [name, kind, required, text] = row.as_slice() else {
            return Err(error(
                *number,
                "a row of four cells: 变量 | 类型 | 必填 | 参数名/描述/示例值",
            ));
        };
        if name.is_empty() {
            // The example row of the field above (its 必填 cell may hold the 选 of 二选一).
            let Some(field) = fields.last_mut() else {
                return Err(error(*number, "a field row before its example row"));
            };
            if !matches!(required.as_str(), "" | "选") || !kind.is_empty() {
                return Err(error(
                    *number,
                    "an example row: empty 变量 and 类型, 必填 empty or 选",
                ));
            }
            field.example = Some(clean(text));
            continue;
        }
        let depth = name.chars().take_while(|c| *c == '+').count();
        let name = name.trim_start_matches('+').trim().to_owned();
        let parent_depth = fields.last().map_or(0, |f: &Field| {
            f.depth + usize::from(matches!(f.kind, Kind::Array | Kind::Object))
        });
        if depth > parent_depth || name.is_empty() {
            return Err(error(
                *number,
                "a field name with at most one `+` more than the array or object field above it",
            ));
        }
        let (kind, max_length) = parse_kind(kind).ok_or_else(|| {
            error(
                *number,
                &format!(
                    "a type of string, string(N), int, boolean, object or array, not {kind:?}"
                ),
            )
        })?;
        let required = match required.as_str() {
            "是" => Required::Yes,
            "否" => Required::No,
            "二" | "一" => Required::OneOfTwo,
            other => {
                return Err(error(
                    *number,
                    &format!("必填 of 是, 否, or 二/选/一 for one of two, not {other:?}"),
                ));
            }
        };
        let text = clean(text);
        let mut rest = text.as_str();
        let chinese_name = take_backticked(&mut rest).ok_or_else(|| {
            error(
                *number,
                "a description starting with the `中文名` in backticks",
            )
        })?;
        let (nested, chinese_name) = match chinese_name.strip_prefix('+') {
            Some(name) => (true, name.to_owned()),
            None => (false, chinese_name),
        };
        let mut location = None;
        let mut probe = rest.trim_start_matches([',', ' ']);
        if let Some(marker) = take_backticked(&mut probe).filter(|m| m == "path" || m == "query") {
            location = Some(marker);
            rest = probe;
        }
        let description = rest.trim_start_matches([',', ' ']).trim().to_owned();
        let enum_values = enum_values(&description);
        fields.push(Field {
            name,
            line: *number,
            depth,
            kind,
            max_length,
            required,
            nested,
            chinese_name,
            location,
            description,
            enum_values,
            example: None,
        });
    }
    Ok(fields)
}

/// `string(32)` → string, 32; `int` → int; `array` → array.
fn parse_kind(text: &str) -> Option<(Kind, Option<usize>)> {
    match text {
        "string" => Some((Kind::String, None)),
        "int" | "int64" | "integer" => Some((Kind::Int, None)),
        "boolean" | "bool" => Some((Kind::Boolean, None)),
        "array" => Some((Kind::Array, None)),
        "object" => Some((Kind::Object, None)),
        _ => {
            let length = text
                .strip_prefix("string(")?
                .strip_suffix(')')?
                .parse()
                .ok()?;
            Some((Kind::String, Some(length)))
        }
    }
}

/// Takes a leading `` `text` `` off `rest`.
fn take_backticked(rest: &mut &str) -> Option<String> {
    let inner = rest.trim_start().strip_prefix('`')?;
    let (value, after) = inner.split_once('`')?;
    *rest = after;
    Some(value.to_owned())
}

/// The `VALUE: 描述` lines after `枚举值:` (a value is ASCII capitals, digits, `_` and `.`, as in
/// `PROFITSHARING.SUCCESS`).
fn enum_values(description: &str) -> Vec<(String, String)> {
    let Some((_, after)) = description.split_once("枚举值:") else {
        return Vec::new();
    };
    after
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map_while(|line| {
            let (value, text) = line.split_once(':')?;
            let value = value.trim();
            let is_value = !value.is_empty()
                && value.bytes().all(|b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                });
            is_value.then(|| (value.to_owned(), text.trim().to_owned()))
        })
        .collect()
}

fn error_rows(
    rows: &[(usize, Vec<String>)],
    error: &dyn Fn(usize, &str) -> PageError,
) -> Result<Vec<ErrorRow>, PageError> {
    rows.iter()
        .skip(2)
        .map(|(number, row)| {
            let [status, code, description, solution] = row.as_slice() else {
                return Err(error(
                    *number,
                    "a row of four cells: 状态码 | 错误码 | 描述 | 解决方案",
                ));
            };
            let status = status
                .parse()
                .map_err(|_| error(*number, &format!("an HTTP status, not {status:?}")))?;
            Ok(ErrorRow {
                status,
                code: code.clone(),
                description: clean(description),
                solution: clean(solution),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::repo_root;

    fn committed(name: &str) -> (PathBuf, String) {
        let path = repo_root().join("schema/docs").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    }

    #[test]
    fn the_notification_page_reads_as_it_is() {
        let path = repo_root().join("schema/docs/ecommerce-profitsharing-notification.md");
        let page = read_page(&path).unwrap();
        assert!(page.is_notification());
        assert_eq!(
            (page.title.as_str(), page.method.as_str()),
            ("分账动账通知API", "POST")
        );
        let names = |fields: &[Field]| -> Vec<(String, usize)> {
            fields.iter().map(|f| (f.name.clone(), f.depth)).collect()
        };
        let expected = |list: &[(&str, usize)]| -> Vec<(String, usize)> {
            list.iter().map(|(n, d)| ((*n).to_owned(), *d)).collect()
        };
        assert_eq!(
            names(&page.notification),
            expected(&[
                ("id", 0),
                ("create_time", 0),
                ("event_type", 0),
                ("summary", 0),
                ("resource_type", 0),
                ("resource", 0),
                ("algorithm", 1),
                ("ciphertext", 1),
                ("associated_data", 1),
                ("original_type", 1),
                ("nonce", 1),
            ])
        );
        assert_eq!(
            names(&page.resource),
            expected(&[
                ("sp_mchid", 0),
                ("sub_mchid", 0),
                ("transaction_id", 0),
                ("order_id", 0),
                ("out_order_no", 0),
                ("receiver", 0),
                ("type", 1),
                ("account", 1),
                ("amount", 1),
                ("description", 1),
                ("success_time", 0),
            ])
        );
        assert_eq!(
            names(&page.notification_answer),
            expected(&[("code", 0), ("message", 0)])
        );
        let event_type = &page.notification[2];
        assert_eq!(
            event_type.enum_values,
            [
                ("PROFITSHARING.SUCCESS".to_owned(), "分账".to_owned()),
                ("PROFITSHARING.RETURN".to_owned(), "分账回退".to_owned())
            ]
        );
        let associated_data = &page.notification[8];
        assert_eq!(associated_data.required, Required::No);
        assert_eq!(associated_data.max_length, Some(16));
        assert_eq!(
            page.notification_example.as_ref().unwrap()["resource"]["original_type"],
            "profitsharing"
        );
        assert_eq!(
            page.resource_example.as_ref().unwrap()["receiver"]["amount"],
            888
        );
        assert_eq!(
            page.notification_answer_example,
            Some(serde_json::json!({"code": "FAIL", "message": "失败"}))
        );
        assert!(page.request.is_empty() && page.response.is_empty());
        assert!(page.response_examples.is_empty());
        let answer = &page.notification_answer_text;
        assert!(
            answer.starts_with("接收成功: HTTP 应答状态码返回 200 或 204"),
            "{answer}"
        );
        assert!(
            answer.contains("15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h"),
            "{answer}"
        );
        assert!(!answer.contains('|') && !answer.contains('\\'), "{answer}");
    }

    #[test]
    fn the_orders_page_reads_as_it_is() {
        let (path, text) = committed("ecommerce-profitsharing-orders-query.md");
        let page = parse_page(&path, &text).unwrap();
        assert_eq!(
            (
                page.title.as_str(),
                page.date.as_str(),
                page.method.as_str()
            ),
            ("查询分账结果API", "2020-04-01", "GET")
        );
        assert_eq!(
            page.url,
            "https://api.mch.weixin.qq.com/v3/ecommerce/profitsharing/orders"
        );
        assert!(page.description.starts_with("发起分账请求后"));
        let names: Vec<&str> = page.request.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["sub_mchid", "transaction_id", "out_order_no"]);
        let sub_mchid = &page.request[0];
        assert_eq!(
            (sub_mchid.kind, sub_mchid.max_length, sub_mchid.required),
            (Kind::String, Some(32), Required::Yes)
        );
        assert_eq!(
            (
                sub_mchid.chinese_name.as_str(),
                sub_mchid.location.as_deref()
            ),
            ("二级商户号", Some("path"))
        );
        assert_eq!(sub_mchid.example.as_deref(), Some("1900000109"));
        let status = page.response.iter().find(|f| f.name == "status").unwrap();
        assert_eq!(
            status.enum_values,
            [
                ("ACCEPTED", "受理成功"),
                ("PROCESSING", "处理中"),
                ("FINISHED", "分账成功"),
                ("CLOSED", "处理失败, 已关单")
            ]
            .map(|(v, d)| (v.to_owned(), d.to_owned()))
        );
        let receivers = page
            .response
            .iter()
            .find(|f| f.name == "receivers")
            .unwrap();
        assert!(receivers.nested && receivers.example.is_none() && receivers.kind == Kind::Array);
        assert_eq!(receivers.chinese_name, "分账接收方列表");
        let finish_amount = page
            .response
            .iter()
            .find(|f| f.name == "finish_amount")
            .unwrap();
        assert_eq!(
            (finish_amount.kind, finish_amount.required),
            (Kind::Int, Required::No)
        );
        assert_eq!(page.response_examples.len(), 1);
        assert!(
            page.request_example
                .as_deref()
                .unwrap()
                .ends_with("out_order_no=P20150806125346")
        );
        let codes: Vec<(u16, &str)> = page
            .errors
            .iter()
            .map(|e| (e.status, e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (500, "SYSTEM_ERROR"),
                (400, "PARAM_ERROR"),
                (400, "INVALID_REQUEST"),
                (429, "FREQUENCY_LIMITED"),
                (403, "NO_AUTH")
            ]
        );
    }

    #[test]
    fn the_returnorders_page_reads_one_of_two_and_escapes() {
        let (path, text) = committed("ecommerce-profitsharing-returnorders-query.md");
        let page = parse_page(&path, &text).unwrap();
        let required: Vec<(&str, Required)> = page
            .request
            .iter()
            .map(|f| (f.name.as_str(), f.required))
            .collect();
        assert_eq!(
            required,
            [
                ("sub_mchid", Required::Yes),
                ("order_id", Required::OneOfTwo),
                ("out_order_no", Required::OneOfTwo),
                ("out_return_no", Required::Yes)
            ]
        );
        // The example row of order_id carries the 选 of 二选一 and still gives the example.
        assert_eq!(
            page.request[1].example.as_deref(),
            Some("3008450740201411110007820472")
        );
        let result = page.response.iter().find(|f| f.name == "result").unwrap();
        let values: Vec<&str> = result.enum_values.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(
            values,
            ["PROCESSING", "SUCCESS", "FAIL"],
            "the 注意 line after the values is prose"
        );
        let out_return_no = page
            .response
            .iter()
            .find(|f| f.name == "out_return_no")
            .unwrap();
        assert!(
            out_return_no.description.contains("大小写字母*-*@"),
            "{}",
            out_return_no.description
        );
    }

    #[test]
    fn malformed_pages_name_the_page_the_line_and_what_was_expected() {
        let (path, text) = committed("ecommerce-profitsharing-orders-query.md");
        let cases = [
            (
                "| sub_mchid      | string(32) | 是   |",
                "| sub_mchid      | string(32) |",
                "a row of four cells",
            ),
            (
                "| transaction_id | string(32) |",
                "| transaction_id | string(x)  |",
                "a type of string, string(N), int, boolean, object or array",
            ),
            (
                "| out_order_no   | string(64) | 是   |",
                "| out_order_no   | string(64) | 可   |",
                "必填 of 是, 否",
            ),
            (
                "| 500    | SYSTEM_ERROR  ",
                "| five   | SYSTEM_ERROR  ",
                "an HTTP status",
            ),
            ("**请求方式**: GET\\", "", "**请求 URL**: and **请求方式**:"),
        ];
        for (from, to, expected) in cases {
            assert!(text.contains(from), "{from}");
            let line = text.lines().position(|l| l.starts_with(from)).unwrap() + 1;
            let error = parse_page(&path, &text.replacen(from, to, 1)).unwrap_err();
            assert!(error.expected.contains(expected), "{from}: {error}");
            assert_eq!(error.page, path);
            if !to.is_empty() {
                assert_eq!(error.line, line, "{from}: {error}");
            }
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{}:", path.display()))
            );
        }
    }
}
