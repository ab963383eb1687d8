//! Writing the spec as YAML a reviewer can read in a diff.
//!
//! `serde_norway` writes correct YAML, but every description on one line (a one-word change to a
//! page shows as a changed 300-character line) and dates and ids unquoted (`2015-05-20T13:29:35+08:00`
//! is a timestamp to YAML 1.1 readers). This writer folds long text at 100 columns (`>-`), quotes
//! every string that some YAML reader could take for something else, and puts short lists of
//! words on one line. What it writes is read back with `serde_norway` and compared with the input
//! before it is returned, so a mistake here is an error, never a different spec.

use serde_json::{Map, Value};

/// The column long strings are folded at.
const WIDTH: usize = 100;

/// The document `value` (an object) as YAML.
pub fn to_string(value: &Map<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    write_map(&mut out, value, 0);
    let back: Value = serde_norway::from_str(&out).map_err(|e| format!("unreadable YAML: {e}"))?;
    if back != Value::Object(value.clone()) {
        return Err("the YAML reads back as a different document".to_owned());
    }
    Ok(out)
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (key, value) in map {
        let key = scalar_string(key, false);
        push_indent(out, indent);
        out.push_str(&key);
        out.push(':');
        write_value(out, value, indent, indent + key.chars().count() + 2);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first entry goes on the line of the dash.
                let mut inner = String::new();
                write_map(&mut inner, map, indent + 2);
                push_indent(out, indent);
                out.push_str("- ");
                out.push_str(inner.get(indent + 2..).unwrap_or_default());
            }
            _ => {
                push_indent(out, indent);
                out.push('-');
                write_value(out, item, indent, indent + 2);
            }
        }
    }
}

/// Writes what follows `key:` or `-`; `column` is where the value would start on that line.
fn write_value(out: &mut String, value: &Value, indent: usize, column: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => match flow(items) {
            Some(line) if column + line.chars().count() <= WIDTH => {
                out.push(' ');
                out.push_str(&line);
                out.push('\n');
            }
            _ => {
                out.push('\n');
                write_seq(out, items, indent + 2);
            }
        },
        Value::String(text) if column + text.chars().count() > WIDTH && foldable(text) => {
            out.push_str(" >-\n");
            for line in fold(text, WIDTH.saturating_sub(indent + 2).max(40)) {
                push_indent(out, indent + 2);
                out.push_str(&line);
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A list of plain words as `[a, b]`, if every item is one.
fn flow(items: &[Value]) -> Option<String> {
    let words: Option<Vec<String>> = items
        .iter()
        .map(|item| match item {
            Value::String(s) if is_plain(s, true) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    Some(format!("[{}]", words?.join(", ")))
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s, false),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain scalar when that is unambiguous, else double-quoted (JSON's escapes are
/// YAML's too).
fn scalar_string(text: &str, in_flow: bool) -> String {
    if is_plain(text, in_flow) {
        text.to_owned()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

/// Whether `text` reads back as the same string when written plain, by any YAML 1.1 or 1.2
/// reader: it starts with a letter, `/`, `$` or `_` (so it is no number, date or indicator; `&`,
/// `*`, `!`, `|`, `>`, `'`, `%`, `@` and `` ` `` mean something only there), holds no `:`, `#`,
/// bracket, brace, `"` or `\\`, and is no boolean or null word.
fn is_plain(text: &str, in_flow: bool) -> bool {
    const WORDS: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    let special = |c: char| {
        matches!(c, ':' | '#' | '{' | '}' | '[' | ']' | '"' | '\\')
            || (in_flow && c == ',')
            || c.is_control()
    };
    (first.is_alphabetic() || matches!(first, '/' | '$' | '_'))
        && !text.chars().any(special)
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !WORDS.contains(&text.to_ascii_lowercase().as_str())
}

/// Whether `text` can be written as a folded block scalar and read back unchanged.
fn foldable(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !text.chars().any(char::is_control)
}

/// Splits `text` at single spaces into lines of at most `width` characters (a longer word stays
/// whole). Folding joins them back with one space each.
fn fold(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tricky_strings_read_back_unchanged_and_stay_strings_for_yaml_1_1() {
        let long = "word ".repeat(60);
        let document = json!({
            "dates and ids": ["2015-05-20T13:29:35.120+08:00", "2020-04-01", "1900000109", "0x1F"],
            "words": ["yes", "No", "on", "null", "~", "true", ""],
            "indicators": ["#/components/schemas/X", "a: b", "- x", "*x", "&x", "!x", "a #b", "`x`"],
            "spaces": [" lead", "trail ", "two  spaces", long.trim(), long],
            "text": "二级商户号. 分账出资的电商平台二级商户, 填写微信支付分配的商户号。",
            "200": {"nested": [{"a": 1, "b": [1, 2]}, {"c": {}}, [], "x"]},
            "multi": "line one\nline two",
            "quote": "say \"hi\" and 'bye' \\ done",
        });
        let Value::Object(map) = document.clone() else {
            unreachable!()
        };
        let yaml = to_string(&map).unwrap();
        let back: Value = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, document, "{yaml}");
        // Strings a YAML 1.1 reader would take for a date, a number or a boolean are quoted.
        for quoted in [
            "\"2015-05-20T13:29:35.120+08:00\"",
            "\"2020-04-01\"",
            "\"1900000109\"",
            "\"yes\"",
            "\"200\":",
        ] {
            assert!(yaml.contains(quoted), "{quoted} in\n{yaml}");
        }
        assert!(
            yaml.lines()
                .filter(|l| !l.contains('"'))
                .all(|l| l.chars().count() <= WIDTH),
            "{yaml}"
        );
        assert!(yaml.contains(">-\n"), "long text is folded:\n{yaml}");
    }
}
