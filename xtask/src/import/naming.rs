//! The names a page gets without an overlay entry: its operation id and its components' names,
//! derived from the method and the path by the rule `schema/README.md` describes.

use heck::ToUpperCamelCase;

/// Words that name an action when a path segment starts with one (`receivers/add`,
/// `finish-order`); otherwise the method names it.
const VERBS: [&str; 16] = [
    "add", "apply", "bind", "cancel", "close", "create", "delete", "download", "finish", "modify",
    "query", "remove", "unbind", "unfreeze", "update", "upload",
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
/// - When a `{parameter}` comes just before it, it is a part of one item: the segment before the
///   parameter, in the singular, comes first and the last segment stays as it is
///   (`…/orders/{transaction_id}/amounts` → `order amounts`).
/// - When the last segment starts with a verb of [`VERBS`], that is the verb (`finish-order` →
///   `finish order`); a segment that is only a verb acts on the segment before it
///   (`receivers/add` → `add receiver`). Otherwise the method gives it: GET `query`, POST
///   `create`, PUT and PATCH `update`, DELETE `delete`.
pub fn operation_id(method: &str, path: &str) -> String {
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
        return method_verb(method).to_owned();
    };
    let mut words: Vec<String> = split_words(segments.get(last).copied().unwrap_or_default());
    let verb = match words.first() {
        Some(first) if VERBS.contains(&first.as_str()) => words.remove(0),
        _ => method_verb(method).to_owned(),
    };
    let before = last.checked_sub(1).and_then(|i| segments.get(i).copied());
    if words.is_empty() {
        // `receivers/add`: the verb acts on the segment before it.
        if let Some(resource) = literal_before(last).and_then(|i| segments.get(i)) {
            words = split_words(resource);
            singular_last(&mut words);
        }
    } else if before.is_some_and(is_parameter) {
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
    let mut id = verb;
    for word in words {
        id.push_str(&word.to_upper_camel_case());
    }
    id
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
            ("delete", "/v3/shops/{shop_id}", "deleteShop"),
            ("get", "/", "query"),
        ];
        for (method, path, id) in cases {
            assert_eq!(operation_id(method, path), id, "{method} {path}");
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
