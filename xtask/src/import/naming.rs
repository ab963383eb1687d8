//! The names a page gets without an overlay entry: its operation id and its components' names,
//! derived from the method and the path by the rule `schema/README.md` describes.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that name an action when a path segment starts with one (`receivers/add`,
/// `finish-order`); otherwise the method names it.
const VERBS: [&str; 17] = [
    "add", "apply", "bind", "cancel", "close", "create", "delete", "download", "finish", "modify",
    "query", "remove", "return", "unbind", "unfreeze", "update", "upload",
];

/// The verbs of [`VERBS`] that read: the only ones a GET takes from its path. On a GET, a segment
/// that starts with another verb names a thing (`return-advance`: the advance's return).
const READ_VERBS: [&str; 2] = ["download", "query"];

/// Rust's keywords, strict and reserved (2024 edition), which a method cannot be named.
const KEYWORDS: [&str; 52] = [
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield", "Self",
];

/// The verb a method stands for when the path names none.
fn method_verb(method: &str) -> &'static str {
    match method {
        "get" => "query",
        "put" | "patch" => "update",
        "delete" => "delete",
        _ => "create",
    }
}

/// The operation id of `method` (lower case) on `path` (a template, `/v3/…/{name}/…`):
/// a verb and the resource, in lowerCamelCase.
///
/// - The resource is the last literal segment, in the singular (`…/orders` → `order`).
/// - When the path ends with a parameter and the literal before it is that parameter's key (the
///   parameter's name, or its last words: `id/{refund_id}`, `out-refund-no/{out_refund_no}`), the
///   item is looked up by it: the segment before the key is the resource, followed by `by` and
///   the key (`refunds/id/{refund_id}` → `refund by id`).
/// - When the last segment starts with a verb of [`VERBS`] (on a GET, of [`READ_VERBS`]), that is
///   the verb and the rest of the segment the resource (`finish-order` → `finish order`); a
///   segment that is only a verb acts on the segment before it (`receivers/add` → `add
///   receiver`). Otherwise the method gives it: GET `query`, POST `create`, PUT and PATCH
///   `update`, DELETE `delete`.
/// - When a `{parameter}` comes just before a last segment that is not a verb, it is a part of
///   one item: the segment before the parameter, in the singular, comes first and the last
///   segment stays as it is (`…/orders/{transaction_id}/amounts` → `order amounts`).
pub fn operation_id(method: &str, path: &str) -> String {
    let (verb, words) = operation_words(method, path);
    let mut id = verb;
    for word in words {
        id.push_str(&word.to_upper_camel_case());
    }
    id
}

/// The verb and the resource's words of [`operation_id`].
fn operation_words(method: &str, path: &str) -> (String, Vec<String>) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_parameter = |s: &str| s.starts_with('{');
    let literal_before = |end: usize| {
        segments
            .get(..end)
            .unwrap_or_default()
            .iter()
            .rposition(|s| !is_parameter(s))
    };
    let Some(last) = literal_before(segments.len()) else {
        return (method_verb(method).to_owned(), Vec::new());
    };
    // `refunds/id/{refund_id}`: a refund, looked up by its id.
    if let Some(parameter) = segments
        .get(last + 1)
        .and_then(|s| s.strip_prefix('{'))
        .and_then(|s| s.strip_suffix('}'))
        && last + 2 == segments.len()
        && let Some(item) = literal_before(last).and_then(|i| segments.get(i))
    {
        let key = split_words(segments.get(last).copied().unwrap_or_default());
        let parameter = split_words(parameter);
        if parameter.ends_with(&key) {
            let mut words = split_words(item);
            singular_last(&mut words);
            words.push("by".to_owned());
            words.extend(key);
            return (method_verb(method).to_owned(), words);
        }
    }
    let mut words: Vec<String> = split_words(segments.get(last).copied().unwrap_or_default());
    let verbs: &[&str] = if method == "get" { &READ_VERBS } else { &VERBS };
    let (verb, led_by_verb) = match words.first() {
        Some(first) if verbs.contains(&first.as_str()) => (words.remove(0), true),
        _ => (method_verb(method).to_owned(), false),
    };
    let before = last.checked_sub(1).and_then(|i| segments.get(i).copied());
    if words.is_empty() {
        // `receivers/add`: the verb acts on the segment before it.
        if let Some(resource) = literal_before(last).and_then(|i| segments.get(i)) {
            words = split_words(resource);
            singular_last(&mut words);
        }
    } else if !led_by_verb && before.is_some_and(is_parameter) {
        // `orders/{transaction_id}/amounts`: the amounts of one order.
        if let Some(item) = literal_before(last.saturating_sub(1)).and_then(|i| segments.get(i)) {
            let mut item_words = split_words(item);
            singular_last(&mut item_words);
            item_words.append(&mut words);
            words = item_words;
        }
    } else {
        singular_last(&mut words);
    }
    (verb, words)
}

/// The family of an endpoint: the first segment of its path after the version (`v3`) and the
/// `ecommerce` prefix of the platform's endpoints (`/v3/ecommerce/refunds/apply` → `refunds`,
/// `/v3/bill/tradebill` → `bill`).
pub fn path_family(path: &str) -> Option<String> {
    let mut segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .skip_while(|s| *s == "v3")
        .skip_while(|s| *s == "ecommerce");
    segments
        .next()
        .filter(|s| !s.starts_with('{'))
        .map(str::to_owned)
}

/// The family of a notification page: the first word of its file name after an `ecommerce`
/// prefix (`docs/ecommerce-refunds-notification.md` → `refunds`), as its endpoints' paths name it.
pub fn page_family(label: &str) -> Option<String> {
    let stem = label.rsplit('/').next().unwrap_or(label);
    let stem = stem.strip_suffix(".md").unwrap_or(stem);
    stem.split('-')
        .filter(|w| !w.is_empty())
        .find(|w| *w != "ecommerce")
        .map(str::to_owned)
}

/// The name of an operation's method on its family's handle: the operation id in snake_case,
/// less the family's noun (the family segment in the singular) right after the verb
/// (`applyRefund` in `refunds` → `apply`, `queryRefundById` → `query_by_id`); the whole id when
/// that would leave a Rust keyword (`returnSubsidy` → `return_subsidy`).
pub fn method_name(operation_id: &str, family: &str) -> String {
    let words: Vec<String> = operation_id
        .to_snake_case()
        .split('_')
        .map(str::to_owned)
        .collect();
    let noun = split_words(&singular(family));
    let whole = words.join("_");
    let Some((verb, rest)) = words.split_first() else {
        return whole;
    };
    let Some(rest) = rest.strip_prefix(noun.as_slice()) else {
        return whole;
    };
    let short = std::iter::once(verb)
        .chain(rest)
        .cloned()
        .collect::<Vec<_>>()
        .join("_");
    if KEYWORDS.contains(&short.as_str()) {
        whole
    } else {
        short
    }
}

/// The name of the component holding the object (or the array's objects) of `field` in the
/// component `parent`: the parent's name (less a `Request` suffix) and the field's, in the
/// singular (`CreateOrderRequest.receivers` → `CreateOrderReceiver`,
/// `CreateOrderResponse.receivers` → `CreateOrderResponseReceiver`).
pub fn nested_component(parent: &str, field: &str) -> String {
    let parent = parent.strip_suffix("Request").unwrap_or(parent);
    let mut words = split_words(field);
    singular_last(&mut words);
    format!("{parent}{}", words.join("_").to_upper_camel_case())
}

/// The name of an enum component made for a field no overlay entry claims: the field's name in
/// UpperCamelCase (`relation_type` → `RelationType`).
pub fn enum_component(field: &str) -> String {
    field.to_upper_camel_case()
}

fn split_words(segment: &str) -> Vec<String> {
    segment
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn singular_last(words: &mut [String]) {
    if let Some(last) = words.last_mut() {
        *last = singular(last);
    }
}

/// An English plural made singular, for the regular forms paths use.
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for ending in ["sses", "xes", "ches", "shes"] {
        if word.ends_with(ending) {
            return word.get(..word.len() - 2).unwrap_or(word).to_owned();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_owned();
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_follow_the_method_and_the_path() {
        let cases = [
            ("get", "/v3/ecommerce/profitsharing/orders", "queryOrder"),
            ("post", "/v3/ecommerce/profitsharing/orders", "createOrder"),
            (
                "post",
                "/v3/ecommerce/profitsharing/finish-order",
                "finishOrder",
            ),
            (
                "get",
                "/v3/ecommerce/profitsharing/orders/{transaction_id}/amounts",
                "queryOrderAmounts",
            ),
            (
                "post",
                "/v3/ecommerce/profitsharing/receivers/add",
                "addReceiver",
            ),
            (
                "post",
                "/v3/ecommerce/profitsharing/receivers/delete",
                "deleteReceiver",
            ),
            (
                "get",
                "/v3/ecommerce/profitsharing/returnorders",
                "queryReturnorder",
            ),
            (
                "get",
                "/v3/refund/domestic/refunds/{out_refund_no}",
                "queryRefund",
            ),
            ("put", "/v3/merchant/media/addresses", "updateAddress"),
            ("post", "/v3/ecommerce/refunds/apply", "applyRefund"),
            (
                "get",
                "/v3/ecommerce/refunds/id/{refund_id}",
                "queryRefundById",
            ),
            (
                "get",
                "/v3/ecommerce/refunds/out-refund-no/{out_refund_no}",
                "queryRefundByOutRefundNo",
            ),
            (
                "post",
                "/v3/ecommerce/refunds/{refund_id}/return-advance",
                "returnAdvance",
            ),
            (
                "get",
                "/v3/ecommerce/refunds/{refund_id}/return-advance",
                "queryRefundReturnAdvance",
            ),
            (
                "post",
                "/v3/ecommerce/refunds/{refund_id}/apply-abnormal-refund",
                "applyAbnormalRefund",
            ),
            ("post", "/v3/ecommerce/subsidies/return", "returnSubsidy"),
            ("post", "/v3/ecommerce/subsidies/create", "createSubsidy"),
            ("delete", "/v3/shops/{shop_id}", "deleteShop"),
            ("get", "/", "query"),
        ];
        for (method, path, id) in cases {
            assert_eq!(operation_id(method, path), id, "{method} {path}");
        }
    }

    #[test]
    fn families_come_from_the_path_or_the_page_name() {
        assert_eq!(
            path_family("/v3/ecommerce/profitsharing/orders").as_deref(),
            Some("profitsharing")
        );
        assert_eq!(path_family("/v3/bill/tradebill").as_deref(), Some("bill"));
        assert_eq!(
            path_family("/v3/refund/domestic/refunds/{out_refund_no}").as_deref(),
            Some("refund")
        );
        assert_eq!(path_family("/v3/{x}"), None);
        assert_eq!(
            page_family("docs/ecommerce-refunds-notification.md").as_deref(),
            Some("refunds")
        );
    }

    #[test]
    fn methods_drop_the_family_noun_after_the_verb() {
        for (id, family, method) in [
            ("applyRefund", "refunds", "apply"),
            ("queryRefundById", "refunds", "query_by_id"),
            (
                "queryRefundReturnAdvance",
                "refunds",
                "query_return_advance",
            ),
            ("applyAbnormalRefund", "refunds", "apply_abnormal_refund"),
            ("createSubsidy", "subsidies", "create"),
            ("returnSubsidy", "subsidies", "return_subsidy"),
            ("tryWidget", "widgets", "try_widget"),
            ("createOrder", "profitsharing", "create_order"),
            ("queryOrderAmounts", "profitsharing", "query_order_amounts"),
        ] {
            assert_eq!(method_name(id, family), method, "{id} in {family}");
        }
    }

    #[test]
    fn nested_components_are_named_after_parent_and_field() {
        assert_eq!(
            nested_component("CreateOrderRequest", "receivers"),
            "CreateOrderReceiver"
        );
        assert_eq!(
            nested_component("CreateOrderResponse", "funds_abnormal_receivers"),
            "CreateOrderResponseFundsAbnormalReceiver"
        );
        assert_eq!(
            nested_component("CreateRefundRequest", "amount"),
            "CreateRefundAmount"
        );
    }

    #[test]
    fn plurals_become_singular() {
        for (plural, one) in [
            ("orders", "order"),
            ("entries", "entry"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("status", "status"),
            ("amount", "amount"),
        ] {
            assert_eq!(singular(plural), one);
        }
    }
}
