//! The pages' fields as the overlay refers to them, and their text as the spec quotes it.

use std::path::Path;

use serde_json::Value;

use super::Error;
use super::schema_json::example_value;
use crate::docs::Field;

/// A field of an object on a page: a row of a 返回参数 table, or a key of an answer example.
#[derive(Clone)]
pub struct PageField<'a> {
    pub name: String,
    pub page: &'a Path,
    pub line: usize,
    /// The table row, when the field has one.
    pub row: Option<&'a Field>,
    /// The example value.
    pub example: Option<Value>,
    /// The fields of an object (or of an array's objects) that the table lists below it, as
    /// `+ name` rows.
    pub children: Vec<PageField<'a>>,
}

/// The rows of a table as a tree: each field with the `+` rows below it as its children.
pub fn tree<'a>(rows: &'a [Field], page: &'a Path) -> Vec<PageField<'a>> {
    fn level<'a>(
        rows: &mut std::iter::Peekable<std::slice::Iter<'a, Field>>,
        depth: usize,
        page: &'a Path,
    ) -> Vec<PageField<'a>> {
        let mut fields = Vec::new();
        while let Some(row) = rows.next_if(|row| row.depth == depth) {
            let children = level(rows, depth + 1, page);
            fields.push(PageField {
                name: row.name.clone(),
                page,
                line: row.line,
                row: Some(row),
                example: row.example.as_ref().map(|e| example_value(row.kind, e)),
                children,
            });
        }
        fields
    }
    // The parser refuses a row nested deeper than one level below the row above it, so every
    // row is reached.
    level(&mut rows.iter().peekable(), 0, page)
}

impl PageField<'_> {
    pub fn chinese_name(&self) -> &str {
        self.row.map_or("", |row| row.chinese_name.as_str())
    }

    pub fn text(&self) -> String {
        self.row.map(prose).unwrap_or_default()
    }

    pub fn enum_values(&self) -> &[(String, String)] {
        self.row.map_or(&[], |row| row.enum_values.as_slice())
    }

    pub fn error(&self, expected: impl Into<String>) -> Error {
        Error::page(self.page, self.line, expected.into())
    }
}

/// Whether a field's description says it travels encrypted (敏感信息): it mentions 敏感, 加密 or
/// 密文 (as in 只能传密文).
pub fn is_sensitive(field: &Field) -> bool {
    ["敏感", "加密", "密文"]
        .iter()
        .any(|word| field.description.contains(word))
}

/// A field's description without its `枚举值` lines, on one line.
pub fn prose(field: &Field) -> String {
    let (before, after) = field
        .description
        .split_once("枚举值:")
        .unwrap_or((field.description.as_str(), ""));
    let mut parts = vec![before.trim().trim_end_matches([',', ' ']).to_owned()];
    for line in after.lines().map(str::trim) {
        let is_value = field.enum_values.iter().any(|(value, _)| {
            line.strip_prefix(value.as_str())
                .is_some_and(|r| r.starts_with(':'))
        });
        if !is_value {
            parts.push(line.to_owned());
        }
    }
    one_line(&parts.join("\n"), " ")
}

/// Joins the lines of `text` with `separator`, dropping empty ones and collapsing spaces.
pub fn one_line(text: &str, separator: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// Fills a description template: `{name}`, `{text}` and `{description}` are replaced, the result
/// is put on one line.
pub fn fill(template: Option<&str>, name: &str, text: &str, description: &str) -> String {
    let filled = template
        .unwrap_or("{name}. {text}")
        .replace("{name}", name)
        .replace("{text}", text)
        .replace("{description}", description);
    one_line(&filled, " ")
}

/// A value's or code's description: the page's Chinese on one line, and the overlay's English, if
/// any, in parentheses after it.
pub fn gloss(text: &str, english: Option<&str>) -> String {
    let text = one_line(text, " ");
    match english {
        Some(english) => format!("{text} ({english})"),
        None => text,
    }
}

/// The shape of a table: each row's name, nesting, type and 必填, which pages sharing a component
/// must agree on.
pub fn shape(rows: &[Field]) -> Vec<(&str, usize, crate::docs::Kind, crate::docs::Required)> {
    rows.iter()
        .map(|f| (f.name.as_str(), f.depth, f.kind, f.required))
        .collect()
}
