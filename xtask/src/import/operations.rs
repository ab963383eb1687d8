//! An operation from a page: its path, parameters, request body, answer and error answers.
//!
//! The page's legend is the rule for where a field of its 请求参数 table goes: a field marked
//! `path` is a path segment where the URL has `{name}`, and otherwise a query-string parameter; a
//! field marked `query` (or unmarked) is a field of the JSON body, except on a method without a
//! body (GET, DELETE), where it is a query-string parameter too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::{Map, Value, json};

use super::naming;
use super::overlay::{OneOfTwo, ResponseOverlay};
use super::page_fields::{PageField, fill, is_sensitive, one_line, prose, tree};
use super::schema_json::{copy_extensions, example_value, merge, row_schema, schema_ref};
use super::schemas::has_field;
use super::{Error, FieldOverlay, Importer, OperationOverlay, only_extensions};
use crate::docs::{self, Field, Page, Required};

/// Where a field of the 请求参数 table travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Body,
}

/// The property of a field whose `+` rows became the component `component`: an array of it or
/// a reference to it, by the field's type.
pub(super) fn nested_property(
    field: &PageField<'_>,
    component: &str,
    description: &str,
    overlay: &FieldOverlay,
) -> Result<Value, Error> {
    match field.row.map(|row| row.kind) {
        Some(docs::Kind::Array) => {
            let mut property = Map::new();
            property.insert("type".to_owned(), json!("array"));
            property.insert("description".to_owned(), json!(description));
            property.insert("items".to_owned(), schema_ref(component));
            merge(&mut property, overlay.schema.as_ref());
            copy_extensions(&mut property, &overlay.extensions);
            Ok(Value::Object(super::schema_json::canonical(property)))
        }
        Some(docs::Kind::Object) => Ok(schema_ref(component)),
        other => Err(field.error(format!(
            "`+` rows only below an object or array field, not below a {other:?}"
        ))),
    }
}

/// A page's title without its `API` suffix: the operation's summary.
pub(super) fn summary(page: &Page) -> &str {
    page.title.strip_suffix("API").unwrap_or(&page.title).trim()
}

/// What every operation, endpoint or notification, starts with: its id, summary, description
/// (the overlay's template over the page's front matter) and page.
pub(super) fn operation_head(
    id: &str,
    family: &Family,
    label: &str,
    page: &Page,
    op: &OperationOverlay,
) -> Map<String, Value> {
    let mut operation = Map::new();
    operation.insert("operationId".to_owned(), json!(id));
    operation.insert("tags".to_owned(), json!([family.tag]));
    operation.insert("summary".to_owned(), json!(summary(page)));
    operation.insert(
        "description".to_owned(),
        json!(fill(
            op.description.as_deref().or(Some("{description}")),
            "",
            "",
            &one_line(&page.description, " ")
        )),
    );
    operation.insert("x-doc-page".to_owned(), json!(label));
    operation
}

/// Two operations of a family whose short methods are one name (`queryRefundAdvance` and
/// `queryAdvance` in `refunds`) keep their whole ids as methods, so that both can be called.
pub(super) fn short_names_of_their_own(paths: &mut Map<String, Value>) {
    let mut taken: BTreeMap<(String, String), usize> = BTreeMap::new();
    let key = |op: &Value| {
        (
            op.pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            op.get("x-method")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        )
    };
    for op in paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|m| m.values())
    {
        *taken.entry(key(op)).or_default() += 1;
    }
    for op in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|m| m.values_mut())
    {
        if taken.get(&key(op)).copied().unwrap_or_default() > 1
            && let Some(id) = op.get("operationId").and_then(Value::as_str)
        {
            let whole = id.to_snake_case();
            if let Some(object) = op.as_object_mut() {
                object.insert("x-method".to_owned(), json!(whole));
            }
        }
    }
}

/// A family of operations: the path segment that names it and the tag its operations carry.
pub(super) struct Family {
    pub segment: String,
    pub tag: String,
}

/// Whether a method carries a body.
fn has_body(method: &str) -> bool {
    !matches!(method, "get" | "delete" | "head")
}

impl<'a> Importer<'a> {
    /// The family of `segment`, as the overlay names it; noted for the spec's `tags`.
    /// The family of a page that has no path (a notification, a file download): from its name
    /// (`docs/bill-download.md` → `bill`), else an error at its 请求 URL line.
    pub(super) fn family_of_page(
        &mut self,
        label: &str,
        path: &Path,
        page: &Page,
    ) -> Result<Family, Error> {
        let segment = naming::page_family(label).ok_or_else(|| {
            Error::page(
                path,
                page.url_line,
                format!("a page name with a family word, not {label}"),
            )
        })?;
        Ok(self.family(&segment))
    }

    pub(super) fn family(&mut self, segment: &str) -> Family {
        let tag = self
            .overlay
            .families
            .get(segment)
            .and_then(|f| f.name.clone())
            .unwrap_or_else(|| segment.to_snake_case());
        self.families.insert(segment.to_owned(), tag.clone());
        Family {
            segment: segment.to_owned(),
            tag,
        }
    }

    /// The operations of every page, as the spec's `paths`.
    pub(super) fn operations(&mut self) -> Result<Map<String, Value>, Error> {
        let overlay = self.overlay;
        for label in overlay.operations.keys() {
            if !self.pages.contains_key(label.as_str()) {
                self.stale.push(format!(
                    "#/operations/{}: no page {label} in schema/docs/",
                    label.replace('/', "~1")
                ));
            }
        }
        let mut paths = Map::new();
        let mut ids: BTreeMap<String, &str> = BTreeMap::new();
        let pages: Vec<(&'a str, &'a Path, &'a Page)> = self
            .pages
            .iter()
            .map(|(label, (path, page))| (*label, *path, *page))
            .collect();
        static NO_OVERLAY: std::sync::LazyLock<OperationOverlay> =
            std::sync::LazyLock::new(OperationOverlay::default);
        for (label, page_path, page) in pages {
            if page.is_notification() || page.is_file_download() {
                // A notification is WeChat Pay's request, a file download a URL another page
                // answered: neither is an endpoint (see `webhooks`, `file_downloads`).
                continue;
            }
            let op = overlay.operations.get(label).unwrap_or(&NO_OVERLAY);
            let at = format!("#/operations/{}", label.replace('/', "~1"));
            let (path, method, operation) = self.operation(label, page_path, page, op, &at)?;
            if let Some(id) = operation.get("operationId").and_then(Value::as_str)
                && let Some(other) = ids.insert(id.to_owned(), label)
            {
                return Err(Error::overlay(
                    format!("{at}/operationId"),
                    format!("{label} and {other} both have the operation id {id}: name one here"),
                ));
            }
            let entry = paths.entry(path.clone()).or_insert_with(|| json!({}));
            if let Value::Object(methods) = entry
                && methods.insert(method.clone(), operation).is_some()
            {
                return Err(Error::page(
                    page_path,
                    page.url_line,
                    format!(
                        "one page per endpoint; another page is {} {path} too",
                        method.to_ascii_uppercase()
                    ),
                ));
            }
        }
        short_names_of_their_own(&mut paths);
        for (index, row) in overlay.errors.add.iter().enumerate() {
            let mut endpoints = self
                .pages
                .values()
                .filter(|(_, page)| !page.is_notification() && !page.is_file_download());
            let on_every_page = endpoints.all(|(_, page)| {
                page.errors
                    .iter()
                    .any(|r| r.status == row.status && r.code == row.code)
            });
            if on_every_page {
                self.stale.push(format!(
                    "#/errors/add/{index}: {} {} is in the 错误码 table of every page now",
                    row.status, row.code
                ));
            }
        }
        Ok(paths)
    }

    fn operation(
        &mut self,
        label: &str,
        page_path: &'a Path,
        page: &'a Page,
        op: &'a OperationOverlay,
        at: &str,
    ) -> Result<(String, String, Value), Error> {
        only_extensions(&op.extensions, at)?;
        if !op.layouts.is_empty() {
            return Err(Error::overlay(
                format!("{at}/layouts"),
                "layouts are the column tables of a file download page's file; this page is an \
                 endpoint",
            ));
        }
        let page_error = |line: usize, expected: String| Error::page(page_path, line, expected);
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
        let id = op
            .operation_id
            .clone()
            .unwrap_or_else(|| naming::operation_id(&method, &path));
        let prefix = id.to_upper_camel_case();
        let family = naming::path_family(&path)
            .map(|segment| self.family(&segment))
            .ok_or_else(|| {
                page_error(
                    page.url_line,
                    format!("a path with a family segment after /v3/, not {path}"),
                )
            })?;

        let summary = summary(page);
        let mut operation = operation_head(&id, &family, label, page, op);
        // Its method on the family's handle (a notification, which is not called, has none).
        operation.insert(
            "x-method".to_owned(),
            json!(naming::method_name(&id, &family.segment)),
        );
        let idempotent_on_page = page.description.contains("幂等")
            || page.request.iter().any(|f| f.description.contains("幂等"));
        if idempotent_on_page {
            operation.insert("x-idempotent".to_owned(), json!(true));
        }
        copy_extensions(&mut operation, &op.extensions);
        if idempotent_on_page && op.extensions.contains_key("x-idempotent") {
            self.stale.push(format!(
                "{at}/x-idempotent: the page says 幂等 itself now (the page's word is kept)"
            ));
            operation.insert("x-idempotent".to_owned(), json!(true));
        }

        // Where each top-level field goes.
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let fields = tree(&page.request, page_path);
        let location = |field: &PageField<'_>| {
            let marked_path = field
                .row
                .and_then(|r| r.location.as_deref())
                .is_some_and(|l| l == "path");
            match (marked_path, template.contains(field.name.as_str())) {
                (_, true) => Location::Path,
                (true, false) => Location::Query,
                (false, false) if has_body(&method) => Location::Body,
                (false, false) => Location::Query,
            }
        };
        for name in &template {
            if !fields.iter().any(|f| f.name == *name) {
                return Err(page_error(
                    page.url_line,
                    format!("a field {name} in the 请求参数 table, for the {{{name}}} in the URL"),
                ));
            }
        }
        for name in op.request.keys() {
            if !has_field(&fields, name) {
                self.stale.push(format!(
                    "{at}/request/{name}: no field {name} in the 请求参数 table of {label}"
                ));
            }
        }

        // 二选一: each field marked 二 and the field after it marked 一.
        let groups = self.groups(page, op, &prefix, &page_error, at)?;
        if !groups.is_empty() {
            operation.insert(
                "x-exactly-one-of".to_owned(),
                serde_json::to_value(&groups)
                    .map_err(|e| Error::overlay(format!("{at}/x-exactly-one-of"), e.to_string()))?,
            );
        }

        let mut parameters = Vec::new();
        let mut body = Vec::new();
        for field in fields {
            match location(&field) {
                Location::Body => body.push(field),
                place => {
                    let overlay = op.request.get(&field.name);
                    parameters
                        .push(self.parameter(&field, place, overlay, page_path, &prefix, at)?);
                }
            }
        }
        operation.insert("parameters".to_owned(), Value::Array(parameters));
        if !body.is_empty() {
            let name = format!("{prefix}Request");
            let description = format!(
                "The JSON body of {summary} (`{} {path}`).",
                method.to_ascii_uppercase()
            );
            let overlays = |field: &str| op.request.get(field);
            let schema = self.body_schema(
                &name,
                &description,
                &body,
                &overlays,
                &format!("{at}/request"),
            )?;
            self.add_component(&name, schema, page_path, page.url_line)?;
            let mut media = Map::new();
            media.insert("schema".to_owned(), schema_ref(&name));
            if let Some(example) = &page.request_body_example {
                media.insert("example".to_owned(), example.clone());
            }
            operation.insert(
                "requestBody".to_owned(),
                json!({ "required": true, "content": { "application/json": media } }),
            );
        } else if let Some(example) = &page.request_body_example {
            return Err(page_error(
                page.url_line,
                format!(
                    "no JSON request example: no field of this {} goes in a body ({example})",
                    method.to_ascii_uppercase()
                ),
            ));
        }

        let mut responses = Map::new();
        let response_description = op
            .response
            .as_ref()
            .and_then(|r| r.description.clone())
            .unwrap_or_else(|| format!("The answer of {summary}."));
        if page.response.is_empty() {
            responses.insert(
                "204".to_owned(),
                json!({ "description": format!("{response_description} No body.") }),
            );
        } else {
            let component = self.response_component(
                label,
                &prefix,
                summary,
                (page_path, page),
                op.response.as_ref(),
                at,
            )?;
            let mut success = Map::new();
            success.insert("schema".to_owned(), schema_ref(&component));
            if let Some(example) = page.response_examples.first() {
                success.insert("example".to_owned(), example.clone());
            }
            responses.insert(
                "200".to_owned(),
                json!({
                    "description": response_description,
                    "content": { "application/json": success },
                }),
            );
        }
        for (status, response) in self.error_responses(page)? {
            responses.insert(status.to_string(), response);
        }
        operation.insert("responses".to_owned(), Value::Object(responses));
        Ok((path, method, Value::Object(operation)))
    }

    /// The page's 二选一 groups, named by the overlay or by their members.
    fn groups(
        &mut self,
        page: &Page,
        op: &OperationOverlay,
        prefix: &str,
        page_error: &dyn Fn(usize, String) -> Error,
        at: &str,
    ) -> Result<Vec<OneOfTwo>, Error> {
        let mut on_page: Vec<(String, String)> = Vec::new();
        let mut open: Option<&Field> = None;
        for field in page.request.iter().filter(|f| f.depth == 0) {
            match (field.required, open) {
                (Required::OneOfTwo, None) => open = Some(field),
                (Required::OneOfTwo, Some(first)) => {
                    on_page.push((first.name.clone(), field.name.clone()));
                    open = None;
                }
                (_, Some(first)) => {
                    return Err(page_error(
                        first.line,
                        "二选一 written down the 必填 cells of two fields in a row (二, 选, 一)"
                            .to_owned(),
                    ));
                }
                _ => {}
            }
        }
        if let Some(first) = open {
            return Err(page_error(
                first.line,
                "二选一 written down the 必填 cells of two fields in a row (二, 选, 一)".to_owned(),
            ));
        }
        let mut groups = Vec::new();
        for (first, second) in on_page {
            let members = vec![first.clone(), second.clone()];
            let named = op
                .exactly_one_of
                .iter()
                .find(|g| g.parameters == members)
                .cloned();
            groups.push(named.unwrap_or_else(|| {
                let (first, second) = (&first, &second);
                OneOfTwo {
                    name: format!(
                        "{prefix}{}Or{}",
                        first.to_upper_camel_case(),
                        second.to_upper_camel_case()
                    ),
                    field: format!("{first}_or_{second}"),
                    description: format!("Exactly one of `{first}` and `{second}` (二选一)."),
                    parameters: members.clone(),
                }
            }));
        }
        for (index, group) in op.exactly_one_of.iter().enumerate() {
            if !groups.iter().any(|g| g.parameters == group.parameters) {
                self.stale.push(format!(
                    "{at}/x-exactly-one-of/{index}: the page joins no fields {:?} by 二选一",
                    group.parameters
                ));
            }
        }
        Ok(groups)
    }

    fn parameter(
        &mut self,
        field: &PageField<'a>,
        location: Location,
        overlay: Option<&FieldOverlay>,
        page: &Path,
        prefix: &str,
        at: &str,
    ) -> Result<Value, Error> {
        let at = format!("{at}/request/{}", field.name);
        let default = FieldOverlay::default();
        let overlay = overlay.unwrap_or(&default);
        only_extensions(&overlay.extensions, &at)?;
        let row_error = |expected: String| Error::page(page, field.line, expected);
        let Some(row) = field.row else {
            return Err(row_error("a table row".to_owned()));
        };
        let mut departures = Vec::new();
        if row.required == Required::OneOfTwo {
            departures.push(
                "Its 必填 cell is part of the page's 二选一 (one of two): see x-exactly-one-of."
                    .to_owned(),
            );
        }
        if let Some(Value::String(note)) = overlay.extensions.get("x-departs-from-docs") {
            departures.push(note.clone());
        }
        let required = match location {
            Location::Path => true,
            _ => overlay.required.unwrap_or(row.required == Required::Yes),
        };
        let mut parameter = Map::new();
        parameter.insert("name".to_owned(), json!(field.name));
        parameter.insert(
            "in".to_owned(),
            json!(if location == Location::Path {
                "path"
            } else {
                "query"
            }),
        );
        parameter.insert("required".to_owned(), json!(required));
        parameter.insert(
            "description".to_owned(),
            json!(fill(
                overlay.description.as_deref(),
                &row.chinese_name,
                &prose(row),
                ""
            )),
        );
        copy_extensions(&mut parameter, &overlay.extensions);
        if !departures.is_empty() {
            parameter.insert(
                "x-departs-from-docs".to_owned(),
                json!(departures.join(" ")),
            );
        }
        if is_sensitive(row) {
            return Err(row_error(format!(
                "a sensitive field (敏感, 加密, 密文) in the body: {} travels in the URL, where it \
                 cannot be encrypted",
                field.name
            )));
        }
        if !row.enum_values.is_empty() && overlay.schema.is_none() {
            // A parameter with 枚举值 (`tar_type`, `bill_type`) is an enum, as a body field is.
            let schema = self.enum_property(prefix, field)?;
            parameter.insert("schema".to_owned(), schema);
        } else {
            let mut schema = row_schema(row).ok_or_else(|| {
                row_error(format!(
                    "a URL parameter of type string, string(N), int or boolean: {} is {:?} (an \
                     object or array can only travel in a body; is the field marked `path` by \
                     mistake?)",
                    field.name, row.kind
                ))
            })?;
            merge(&mut schema, overlay.schema.as_ref());
            parameter.insert("schema".to_owned(), Value::Object(schema));
        }
        if let Some(example) = &row.example {
            parameter.insert("example".to_owned(), example_value(row.kind, example));
        }
        Ok(Value::Object(parameter))
    }

    /// The body's object schema, from the top-level body fields and the `+` rows below them.
    fn body_schema(
        &mut self,
        name: &str,
        description: &str,
        fields: &[PageField<'a>],
        overlays: &dyn Fn(&str) -> Option<&'a FieldOverlay>,
        at: &str,
    ) -> Result<Value, Error> {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in fields {
            let overlay = overlays(&field.name);
            let default = FieldOverlay::default();
            let field_overlay = overlay.unwrap_or(&default);
            only_extensions(&field_overlay.extensions, &format!("{at}/{}", field.name))?;
            let page_required = field.row.is_some_and(|r| r.required == Required::Yes);
            if field_overlay.required.unwrap_or(page_required) {
                required.push(json!(field.name));
            }
            let prefix = field.name.clone();
            let nested = |child: &str| overlays(&format!("{prefix}.{child}"));
            let schema = self.request_property(name, field, field_overlay, &nested, at)?;
            properties.insert(field.name.clone(), schema);
        }
        let mut schema = Map::new();
        schema.insert("type".to_owned(), json!("object"));
        schema.insert("description".to_owned(), json!(description));
        if !required.is_empty() {
            schema.insert("required".to_owned(), Value::Array(required));
        }
        schema.insert("properties".to_owned(), Value::Object(properties));
        Ok(Value::Object(schema))
    }

    /// One field of a request body: a scalar, an enum, or an object (or array of objects) made of
    /// the rows below it.
    fn request_property(
        &mut self,
        parent: &str,
        field: &PageField<'a>,
        overlay: &FieldOverlay,
        nested: &dyn Fn(&str) -> Option<&'a FieldOverlay>,
        at: &str,
    ) -> Result<Value, Error> {
        let Some(row) = field.row else {
            return Err(field.error("a table row"));
        };
        if !field.children.is_empty() {
            let component = naming::nested_component(parent, &field.name);
            let description = fill(
                overlay.description.as_deref(),
                &row.chinese_name,
                &prose(row),
                "",
            );
            let schema = self.body_schema(
                &component,
                &description,
                &field.children,
                nested,
                &format!("{at}/{}", field.name),
            )?;
            self.add_component(&component, schema, field.page, field.line)?;
            return nested_property(field, &component, &description, overlay);
        }
        if matches!(row.kind, docs::Kind::Array | docs::Kind::Object) {
            return Err(field.error(format!(
                "`+ name` rows below {} ({:?}): the page does not say what it holds",
                field.name, row.kind
            )));
        }
        let mut schema =
            self.property_schema(parent, field, overlay, &super::SchemaOverlay::default())?;
        if is_sensitive(row)
            && let Value::Object(object) = &mut schema
        {
            if object.get("type") != Some(&json!("string")) {
                return Err(field.error("a sensitive field (敏感, 加密, 密文) of type string"));
            }
            object.insert("x-sensitive".to_owned(), json!(true));
        }
        Ok(schema)
    }

    /// The component a page's answer decodes into: the overlay's entry that takes the page's
    /// 返回参数 table, or `{OperationId}Response` made of it, its fields adjusted by the
    /// operation's `response.properties`.
    fn response_component(
        &mut self,
        label: &str,
        prefix: &str,
        summary: &str,
        (page_path, page): (&'a Path, &'a Page),
        overlay: Option<&ResponseOverlay>,
        at: &str,
    ) -> Result<String, Error> {
        let source = format!("{label}#response");
        let properties = overlay.map(|r| r.properties.clone()).unwrap_or_default();
        if let Some((name, _)) = self.overlay.schemas.iter().find(|(_, entry)| {
            entry.table.as_deref() == Some(source.as_str()) || entry.also.contains(&source)
        }) {
            if !properties.is_empty() {
                return Err(Error::overlay(
                    format!("{at}/response/properties"),
                    format!(
                        "schemas.{name} takes this page's 返回参数 table: adjust its fields there"
                    ),
                ));
            }
            return Ok(name.clone());
        }
        let name = format!("{prefix}Response");
        let description = format!("The answer of {summary}.");
        let fields = tree(&page.response, page_path);
        let entry = super::SchemaOverlay {
            properties,
            ..super::SchemaOverlay::default()
        };
        let schema = self.object_schema(
            &name,
            &entry,
            fields,
            &description,
            &BTreeMap::new(),
            &format!("{at}/response"),
        )?;
        self.add_component(&name, schema, page_path, page.url_line)?;
        Ok(name)
    }

    /// Adds a component made by the importer; a name already taken is an error that says how to
    /// rename.
    pub(super) fn add_component(
        &mut self,
        name: &str,
        schema: Value,
        page: &Path,
        line: usize,
    ) -> Result<(), Error> {
        if self.components.contains_key(name)
            || self.auto_components.contains_key(name)
            || name == self.overlay.errors.component
        {
            return Err(Error::page(
                page,
                line,
                format!(
                    "a component name of its own: {name} is taken (give the operation another \
                     operationId in schema/overlay.yaml)"
                ),
            ));
        }
        self.auto_components.insert(name.to_owned(), schema);
        Ok(())
    }

    /// The error responses of a page, by status: its 错误码 rows and the overlay's added codes.
    pub(super) fn error_responses(&self, page: &Page) -> Result<BTreeMap<u16, Value>, Error> {
        let errors = &self.overlay.errors;
        let mut by_status: BTreeMap<u16, Vec<(&docs::ErrorRow, bool)>> = BTreeMap::new();
        for row in &page.errors {
            by_status.entry(row.status).or_default().push((row, false));
        }
        // A code a page lists itself keeps the page's row.
        for row in &errors.add {
            let codes = by_status.entry(row.status).or_default();
            if !codes.iter().any(|(r, _)| r.code == row.code) {
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
