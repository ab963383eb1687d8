//! The component schemas: objects from a table or an example, enums from a field's 枚举值, the
//! error codes, and what the overlay writes in full.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::naming;
use super::page_fields::{PageField, fill, gloss, one_line, prose, shape, tree};
use super::schema_json::{
    canonical, copy_extensions, merge, row_schema, scalar_schema, schema_ref,
};
use super::{Error, FieldOverlay, Importer, SchemaOverlay, only_extensions};
use crate::docs::{Kind, Required};

/// The rows of a page's table named as a `table:` source names it (`PAGE#NAME`).
pub(super) fn table_rows<'p>(
    page: &'p crate::docs::Page,
    table: &str,
) -> Option<&'p [crate::docs::Field]> {
    match table {
        "response" => Some(&page.response),
        "notification" => Some(&page.notification),
        "resource" => Some(&page.resource),
        "answer" => Some(&page.notification_answer),
        _ => None,
    }
}

impl<'a> Importer<'a> {
    /// The fields of the object component `name`, from its page.
    fn object_fields(&self, name: &str) -> Result<Option<Vec<PageField<'a>>>, Error> {
        let Some(overlay) = self.overlay.schemas.get(name) else {
            return Ok(None);
        };
        let at = format!("#/schemas/{name}");
        if let Some(source) = &overlay.table {
            let (label, table) = source.split_once('#').unwrap_or((source, ""));
            let (path, page) = self.page(label, &format!("{at}/table"))?;
            let rows = table_rows(page, table).ok_or_else(|| {
                Error::overlay(
                    format!("{at}/table"),
                    "a table source is PAGE#response (返回参数), or on a notification page \
                     PAGE#notification (通知参数), PAGE#resource (解密后的资源) or PAGE#answer (通知应答)",
                )
            })?;
            for other in &overlay.also {
                let (other_label, other_table) = other.split_once('#').unwrap_or((other, ""));
                // A page that is gone is reported by `schemas`.
                let Some(&(other_path, other_page)) = self.pages.get(other_label) else {
                    continue;
                };
                let same = table == "response"
                    && other_table == "response"
                    && shape(&other_page.response) == shape(rows);
                if !same {
                    return Err(Error::page(
                        other_path,
                        other_page.response.first().map_or(1, |f| f.line),
                        format!(
                            "a 返回参数 table like the one of {label} (schemas.{name} takes both, \
                             `also`): the same fields, nesting, types and 必填"
                        ),
                    ));
                }
            }
            return Ok(Some(tree(rows, path)));
        }
        if let Some(source) = &overlay.example {
            let (label, key) = source.split_once('#').unwrap_or((source, ""));
            let (path, page) = self.page(label, &format!("{at}/example"))?;
            let row = page.response.iter().find(|f| f.name == key && f.nested);
            let line = row.map_or(1, |f| f.line);
            let error = |expected: String| Error::page(path, line, expected);
            let Some(example) = page.response_examples.first() else {
                return Err(error(format!("a 返回示例 showing the fields of {key}")));
            };
            let object = match example.get(key) {
                Some(Value::Array(items)) => items.first().cloned(),
                other => other.cloned(),
            };
            let Some(Value::Object(object)) = object else {
                return Err(error(format!(
                    "a 返回示例 whose {key} is an object or a list of objects"
                )));
            };
            return Ok(Some(
                object
                    .into_iter()
                    .map(|(field, value)| PageField {
                        name: field,
                        page: path,
                        line,
                        row: None,
                        example: Some(value),
                        children: Vec::new(),
                    })
                    .collect(),
            ));
        }
        Ok(None)
    }

    pub(super) fn schemas(&mut self) -> Result<(), Error> {
        let overlay = self.overlay;
        // Which component claims which field ("Component.field" → name).
        let mut claims: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, entry) in &overlay.schemas {
            if let Some(field) = &entry.field
                && let Some(other) = claims.insert(field.as_str(), name.as_str())
            {
                return Err(Error::overlay(
                    format!("#/schemas/{name}/field"),
                    format!("{field} is claimed by {other} too"),
                ));
            }
        }
        for (name, entry) in &overlay.schemas {
            let at = format!("#/schemas/{name}");
            only_extensions(&entry.extensions, &at)?;
            let sources = [
                entry.table.is_some(),
                entry.example.is_some(),
                entry.field.is_some() && entry.schema.is_none(),
                entry.schema.is_some(),
            ];
            if sources.iter().filter(|s| **s).count() != 1 {
                return Err(Error::overlay(
                    at,
                    "exactly one of table, example, field or schema (schema may claim a field too)",
                ));
            }
            // Keys that mean nothing for this kind of entry would be dropped without a word.
            let misplaced = if entry.schema.is_some() {
                [
                    ("description", entry.description.is_some()),
                    ("properties", !entry.properties.is_empty()),
                    ("add", !entry.add.is_empty()),
                    ("english", !entry.english.is_empty()),
                    ("x-…", !entry.extensions.is_empty()),
                ]
                .into_iter()
                .find(|(_, present)| *present)
            } else if entry.field.is_some() {
                [("properties", !entry.properties.is_empty())]
                    .into_iter()
                    .find(|(_, present)| *present)
            } else {
                [("english", !entry.english.is_empty())]
                    .into_iter()
                    .find(|(_, present)| *present)
            };
            for (index, other) in entry.also.iter().enumerate() {
                let label = other
                    .split_once('#')
                    .map_or(other.as_str(), |(label, _)| label);
                if !self.pages.contains_key(label) {
                    self.stale.push(format!(
                        "{at}/also/{index}: no page {label} in schema/docs/"
                    ));
                }
            }
            let misplaced = misplaced.or_else(|| {
                (entry.table.is_none() && !entry.also.is_empty()).then_some(("also", true))
            });
            if let Some((key, _)) = misplaced {
                return Err(Error::overlay(
                    format!("{at}/{key}"),
                    "means nothing for this kind of entry (a `schema` entry is written in full; \
                     `english` is for enums, `properties` for objects)",
                ));
            }
            if let Some(schema) = &entry.schema {
                if let Some(field) = &entry.field
                    && self.claimed_field(field, &at)?.is_none()
                {
                    self.stale
                        .push(format!("{at}/field: {field} is not on the pages"));
                }
                self.components
                    .insert(name.clone(), Value::Object(schema.clone()));
            } else if let Some(field) = &entry.field {
                match self.claimed_field(field, &at)? {
                    Some(found) => {
                        let schema = self.enum_schema(name, entry, &found, &at)?;
                        self.components.insert(name.clone(), schema);
                    }
                    None => self.stale.push(format!(
                        "{at}/field: {field} is not on the pages (the component is left out)"
                    )),
                }
            } else {
                let fields = self.object_fields(name)?.unwrap_or_default();
                let description = entry.description.as_deref().ok_or_else(|| {
                    Error::overlay(
                        &at,
                        "a description: the pages give an object none (it becomes the type's doc \
                         comment)",
                    )
                })?;
                let schema = self.object_schema(name, entry, fields, description, &claims, &at)?;
                self.components.insert(name.clone(), schema);
            }
        }
        let errors = self.error_code_schema()?;
        self.components
            .insert(overlay.errors.component.clone(), errors);
        Ok(())
    }

    /// The page field `Component.field` names, if the pages still have it.
    fn claimed_field(&self, claim: &str, at: &str) -> Result<Option<PageField<'a>>, Error> {
        if let Some((label, rest)) = claim.split_once('#') {
            return self.page_field(label, rest, at);
        }
        let (component, field) = claim.split_once('.').ok_or_else(|| {
            Error::overlay(format!("{at}/field"), "a field is named as Component.field")
        })?;
        let fields = self.object_fields(component)?.ok_or_else(|| {
            Error::overlay(
                format!("{at}/field"),
                format!("{component} is not a component made from a table or an example"),
            )
        })?;
        Ok(fields.into_iter().find(|f| f.name == field))
    }

    /// The field `TABLE.NAME` (`PARENT.NAME` for a `+` row) of the page `label`, where TABLE is
    /// `request` (请求参数) or `response` (返回参数): an enum the page's own table has, claimed where
    /// no component is made from the table. The enum component it makes is the one every field
    /// with its values then refers to.
    fn page_field(
        &self,
        label: &str,
        rest: &str,
        at: &str,
    ) -> Result<Option<PageField<'a>>, Error> {
        let Some(&(path, page)) = self.pages.get(label) else {
            return Ok(None);
        };
        let (rows, key) = match rest.split_once('.') {
            Some(("request", key)) => (&page.request, key),
            Some(("response", key)) => (&page.response, key),
            _ => {
                return Err(Error::overlay(
                    format!("{at}/field"),
                    "a page's field is named as docs/PAGE.md#request.NAME or #response.NAME",
                ));
            }
        };
        let mut fields = tree(rows, path);
        let mut names = key.split('.').peekable();
        while let Some(name) = names.next() {
            let Some(found) = fields.into_iter().find(|f| f.name == name) else {
                return Ok(None);
            };
            if names.peek().is_none() {
                return Ok(Some(found));
            }
            fields = found.children;
        }
        Ok(None)
    }

    /// An object component made of `fields`, adjusted by the overlay's `entry`; the `+` rows
    /// below a field become components of their own.
    pub(super) fn object_schema(
        &mut self,
        name: &str,
        entry: &SchemaOverlay,
        fields: Vec<PageField<'a>>,
        description: &str,
        claims: &BTreeMap<&str, &str>,
        at: &str,
    ) -> Result<Value, Error> {
        if let Some(source) = &entry.example {
            let (label, key) = source.split_once('#').unwrap_or((source, ""));
            let on_page = self
                .pages
                .get(label)
                .is_some_and(|(_, page)| page.response.iter().any(|f| f.name == key && f.nested));
            if !on_page {
                self.stale.push(format!(
                    "{at}/example: no `+` field {key} in the 返回参数 table of {label}"
                ));
            }
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &fields {
            // `FIELD.NAME` entries adjust the `+` rows below FIELD, in the component they make
            // (an entry for a row that is not there is reported here, once).
            let nested = SchemaOverlay {
                properties: entry
                    .properties
                    .iter()
                    .filter_map(|(key, overlay)| {
                        let rest = key.strip_prefix(field.name.as_str())?.strip_prefix('.')?;
                        has_field(&field.children, rest).then(|| (rest.to_owned(), overlay.clone()))
                    })
                    .collect(),
                ..SchemaOverlay::default()
            };
            let overlay = entry.properties.get(&field.name);
            let default = FieldOverlay::default();
            let field_overlay = overlay.unwrap_or(&default);
            let field_at = format!("{at}/properties/{}", field.name);
            only_extensions(&field_overlay.extensions, &field_at)?;
            let page_required = field.row.is_some_and(|r| r.required == Required::Yes);
            if field_overlay.required.unwrap_or(page_required) {
                required.push(json!(field.name));
            }
            let claim = format!("{name}.{}", field.name);
            let claimed = claims.get(claim.as_str());
            // Rows below a field are adjusted here only when they make a component here.
            let makes_component = field.row.is_some() && !field.children.is_empty();
            if !nested.properties.is_empty() && (claimed.is_some() || !makes_component) {
                let component = claimed
                    .copied()
                    .unwrap_or("the component that describes it");
                return Err(Error::overlay(
                    field_at,
                    format!(
                        "{} rows below {} are described by {component}: adjust them there",
                        nested.properties.len(),
                        field.name
                    ),
                ));
            }
            let schema = if let Some(component) = claimed {
                if field_overlay.description.is_some()
                    || field_overlay.schema.is_some()
                    || !field_overlay.extensions.is_empty()
                {
                    return Err(Error::overlay(
                        field_at,
                        format!(
                            "{component} claims this field: describe it there (a $ref has no siblings)"
                        ),
                    ));
                }
                schema_ref(component)
            } else {
                self.property_schema(name, field, field_overlay, &nested)?
            };
            properties.insert(field.name.clone(), schema);
        }
        for key in entry.properties.keys() {
            if !has_field(&fields, key) {
                self.stale
                    .push(format!("{at}/properties/{key}: no field {key} on the page"));
            }
        }
        for (key, schema) in &entry.add {
            if properties.contains_key(key) {
                self.stale.push(format!(
                    "{at}/add/{key}: {key} is on the page now (the page's field is kept)"
                ));
            } else {
                properties.insert(key.clone(), schema.clone());
            }
        }
        let mut schema = Map::new();
        schema.insert("type".to_owned(), json!("object"));
        schema.insert("description".to_owned(), json!(one_line(description, " ")));
        copy_extensions(&mut schema, &entry.extensions);
        if !required.is_empty() {
            schema.insert("required".to_owned(), Value::Array(required));
        }
        schema.insert("properties".to_owned(), Value::Object(properties));
        Ok(Value::Object(schema))
    }

    /// The schema of a field no component claims; `nested` adjusts the `+` rows below it.
    pub(super) fn property_schema(
        &mut self,
        parent: &str,
        field: &PageField<'a>,
        overlay: &FieldOverlay,
        nested: &SchemaOverlay,
    ) -> Result<Value, Error> {
        let description = match (&overlay.description, field.row) {
            (None, None) => format!(
                "`{}`: shown in the page's answer example, not described there.",
                field.name
            ),
            _ => fill(
                overlay.description.as_deref(),
                field.chinese_name(),
                &field.text(),
                "",
            ),
        };
        if let Some(row) = field.row
            && !field.children.is_empty()
        {
            // An object, or an array of objects, whose fields are the `+` rows below it.
            let component = naming::nested_component(parent, &field.name);
            let text = fill(
                overlay.description.as_deref(),
                &row.chinese_name,
                &prose(row),
                "",
            );
            let schema = self.object_schema(
                &component,
                nested,
                field.children.clone(),
                &text,
                &BTreeMap::new(),
                &format!("#/components/schemas/{component}"),
            )?;
            self.add_component(&component, schema, field.page, field.line)?;
            return super::operations::nested_property(field, &component, &text, overlay);
        }
        if !field.enum_values().is_empty() {
            return self.enum_property(parent, field);
        }
        let mut schema = match field.row {
            Some(row) => row_schema(row).ok_or_else(|| {
                field.error(format!(
                    "{} typed {:?}: an object or a list needs a component in schema/overlay.yaml \
                     (`field: {parent}.{}`), the page does not say what it holds",
                    field.name, row.kind, field.name
                ))
            })?,
            None => match &field.example {
                Some(Value::String(_)) => scalar_schema(Kind::String, None).unwrap_or_default(),
                Some(Value::Number(n)) if n.is_i64() => {
                    scalar_schema(Kind::Int, None).unwrap_or_default()
                }
                Some(Value::Bool(_)) => {
                    let mut m = Map::new();
                    m.insert("type".to_owned(), json!("boolean"));
                    m
                }
                other => {
                    return Err(field.error(format!(
                        "an example value of {} that is a string, an integer or a boolean, not \
                         {other:?} (or a component in schema/overlay.yaml claiming {parent}.{})",
                        field.name, field.name
                    )));
                }
            },
        };
        merge(&mut schema, overlay.schema.as_ref());
        schema.insert("description".to_owned(), json!(description));
        copy_extensions(&mut schema, &overlay.extensions);
        if let Some(example) = &field.example {
            schema.insert("example".to_owned(), example.clone());
        }
        Ok(Value::Object(canonical(schema)))
    }

    /// The `$ref` of a field with 枚举值 that no overlay entry names: an enum component that has
    /// every value already, or one named after the field (after `parent` too when that name is
    /// taken). Fields of a body and parameters of a URL alike.
    pub(super) fn enum_property(
        &mut self,
        parent: &str,
        field: &PageField<'a>,
    ) -> Result<Value, Error> {
        if let Some(existing) = self.enum_holding(field.enum_values()) {
            return Ok(schema_ref(&existing));
        }
        let mut component = naming::enum_component(&field.name);
        if self.overlay.schemas.contains_key(&component)
            || self.components.contains_key(&component)
            || self.auto_components.contains_key(&component)
            || component == self.overlay.errors.component
        {
            component = format!("{parent}{component}");
        }
        let schema = self.enum_schema(&component, &SchemaOverlay::default(), field, "")?;
        self.add_component(&component, schema, field.page, field.line)?;
        Ok(schema_ref(&component))
    }

    /// The enum component (the overlay's, then the importer's) for a field with `values`: the
    /// first that has exactly these values, else the first that has every one of them. Exact
    /// first, so that a field claimed with few values (`ALL` of a bill's accounts, 所有账户) is not
    /// taken by a larger enum that happens to hold them (`ALL` of a trade bill's orders).
    fn enum_holding(&self, values: &[(String, String)]) -> Option<String> {
        let candidates = || {
            self.components
                .iter()
                .chain(self.auto_components.iter())
                .filter(|(name, _)| **name != self.overlay.errors.component)
                .filter_map(|(name, schema)| {
                    let listed = schema.get("enum").and_then(Value::as_array)?;
                    values
                        .iter()
                        .all(|(value, _)| listed.iter().any(|v| v.as_str() == Some(value)))
                        .then_some((name, listed.len()))
                })
        };
        candidates()
            .find(|(_, len)| *len == values.len())
            .or_else(|| candidates().next())
            .map(|(name, _)| name.clone())
    }

    fn enum_schema(
        &mut self,
        name: &str,
        entry: &SchemaOverlay,
        field: &PageField<'_>,
        at: &str,
    ) -> Result<Value, Error> {
        let mut values = Vec::new();
        let mut descriptions = Map::new();
        for (value, text) in field.enum_values() {
            let text = gloss(text, entry.english.get(value).map(String::as_str));
            values.push(json!(value));
            descriptions.insert(value.clone(), json!(text));
        }
        for value in entry.english.keys() {
            if !descriptions.contains_key(value) {
                self.stale.push(format!(
                    "{at}/english/{value}: no value {value} among the 枚举值 of {}",
                    field.name
                ));
            }
        }
        for (value, added) in &entry.add {
            if descriptions.contains_key(value) {
                self.stale.push(format!(
                    "{at}/add/{value}: {value} is among the page's 枚举值 now (the page's text is kept)"
                ));
                continue;
            }
            let text = match added {
                Value::String(text) => Some(gloss(text, None)),
                Value::Array(parts) => match parts.as_slice() {
                    [Value::String(text), Value::String(english)] => {
                        Some(gloss(text, Some(english)))
                    }
                    [Value::String(text)] => Some(gloss(text, None)),
                    _ => None,
                },
                _ => None,
            }
            .ok_or_else(|| {
                Error::overlay(
                    format!("{at}/add/{value}"),
                    "an added value is [中文描述, English] or 中文描述",
                )
            })?;
            values.push(json!(value));
            descriptions.insert(value.clone(), json!(text));
        }
        if values.is_empty() {
            return Err(field.error(format!(
                "枚举值 for {} (the overlay's {name} adds none either)",
                field.name
            )));
        }
        let mut schema = Map::new();
        schema.insert("type".to_owned(), json!("string"));
        schema.insert(
            "description".to_owned(),
            json!(fill(
                entry.description.as_deref(),
                field.chinese_name(),
                &field.text(),
                ""
            )),
        );
        schema.insert("enum".to_owned(), Value::Array(values));
        schema.insert(
            "x-enum-descriptions".to_owned(),
            Value::Object(descriptions),
        );
        copy_extensions(&mut schema, &entry.extensions);
        if let Some(example) = &field.example {
            schema.insert("example".to_owned(), example.clone());
        }
        Ok(Value::Object(schema))
    }

    /// The enum of every error code: the pages' tables in page order, then the overlay's. A code
    /// the pages describe differently (`INVALID_REQUEST` is 不符合业务规则 on most, 账单日期不合法
    /// on a bill's) takes the text most pages give it, the first page's on a tie, so that a
    /// page's own reading does not become every page's.
    fn error_code_schema(&mut self) -> Result<Value, Error> {
        let errors = &self.overlay.errors;
        let mut counts: IndexMap<&str, IndexMap<&str, usize>> = IndexMap::new();
        for (_, page) in self.pages.values() {
            for row in &page.errors {
                *counts
                    .entry(&row.code)
                    .or_default()
                    .entry(&row.description)
                    .or_default() += 1;
            }
        }
        for row in &errors.add {
            counts
                .entry(&row.code)
                .or_default()
                .entry(&row.description)
                .or_insert(1);
        }
        let descriptions: IndexMap<&str, &str> = counts
            .iter()
            .filter_map(|(code, texts)| {
                // The largest count, the earliest text among equals (`max_by_key` keeps the last).
                let best = texts.values().copied().max()?;
                let text = texts.iter().find(|(_, n)| **n == best)?.0;
                Some((*code, *text))
            })
            .collect();
        for code in errors.english.keys() {
            if !descriptions.contains_key(code.as_str()) {
                self.stale.push(format!(
                    "#/errors/english/{code}: no code {code} in the pages' 错误码 tables or errors.add"
                ));
            }
        }
        let values: Vec<&str> = descriptions.keys().copied().collect();
        let texts: Map<String, Value> = descriptions
            .iter()
            .map(|(code, text)| {
                let text = gloss(text, errors.english.get(*code).map(String::as_str));
                ((*code).to_owned(), json!(text))
            })
            .collect();
        let mut schema = Map::new();
        schema.insert("type".to_owned(), json!("string"));
        schema.insert(
            "description".to_owned(),
            json!(one_line(&errors.description, " ")),
        );
        schema.insert("enum".to_owned(), json!(values));
        schema.insert("x-enum-descriptions".to_owned(), Value::Object(texts));
        copy_extensions(&mut schema, &errors.extensions);
        if let Some(first) = values.first() {
            schema.insert("example".to_owned(), json!(first));
        }
        Ok(Value::Object(schema))
    }
}

/// Whether `key` names one of `fields`, or with `PARENT.NAME` a `+` row below one (at any depth).
pub(super) fn has_field(fields: &[PageField<'_>], key: &str) -> bool {
    fields
        .iter()
        .any(|field| match key.strip_prefix(field.name.as_str()) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix('.')
                .is_some_and(|rest| has_field(&field.children, rest)),
            None => false,
        })
}
