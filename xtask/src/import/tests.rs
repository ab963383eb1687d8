//! The importer on the committed pages, on edited pages and on broken ones.

use std::path::PathBuf;

use super::*;
use crate::codegen::{render_text, repo_root};

const ORDERS: &str = "ecommerce-profitsharing-orders-query.md";
const RETURNS: &str = "ecommerce-profitsharing-returnorders-query.md";

fn committed(relative: &str) -> String {
    std::fs::read_to_string(repo_root().join(relative)).unwrap()
}

/// The committed pages, with `from` replaced by `to` once in the page `name` (which must hold it).
fn pages_with(name: &str, from: &str, to: &str) -> Vec<(String, PathBuf, Page)> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("schema/docs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    names.sort();
    names
        .iter()
        .map(|page| {
            let page = page.as_str();
            let path = repo_root().join("schema/docs").join(page);
            let mut text = std::fs::read_to_string(&path).unwrap();
            if page == name {
                assert!(text.contains(from), "{page} holds {from:?}");
                text = text.replacen(from, to, 1);
            }
            let parsed = docs::parse_page(&path, &text).unwrap();
            (format!("docs/{page}"), path, parsed)
        })
        .collect()
}

/// The error an edit to a page gives.
fn import_error(name: &str, from: &str, to: &str) -> Error {
    import_text(
        &committed("schema/overlay.yaml"),
        pages_with(name, from, to),
    )
    .unwrap_err()
}

/// What an edit to a page does: the import, and the generated code (every file, one after the
/// other).
struct Outcome {
    imported: Imported,
    code: String,
}

fn import_edited(name: &str, from: &str, to: &str) -> Outcome {
    let imported = import_text(
        &committed("schema/overlay.yaml"),
        pages_with(name, from, to),
    )
    .unwrap();
    let files = render_text(&imported.spec, "schema/openapi.yaml").unwrap();
    Outcome {
        code: files.into_iter().map(|(_, text)| text).collect(),
        imported,
    }
}

/// The text of the item that starts with `start` (up to the next blank-line-free `}` at column 0).
fn item<'a>(text: &'a str, start: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}"));
    let rest = &text[from..];
    let end = rest.find("\n}\n").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

#[test]
fn importing_the_committed_pages_writes_the_committed_spec_and_code() {
    let imported = import(&repo_root()).unwrap();
    assert_eq!(imported.stale, Vec::<String>::new());
    assert!(
        imported.spec == committed("schema/openapi.yaml"),
        "schema/openapi.yaml is not what the pages and the overlay give: run `cargo xtask import-docs`"
    );
    for (name, text) in render_text(&imported.spec, "schema/openapi.yaml").unwrap() {
        assert!(
            text == committed(&format!("generated/{name}")),
            "generated/{name} is stale"
        );
    }
}

#[test]
fn the_import_does_not_depend_on_the_order_the_pages_come_in() {
    // A code only one page has, first in its table: the code order would show the page order.
    let system_error = "| 500    | SYSTEM_ERROR ";
    let pages = || {
        pages_with(
            RETURNS,
            system_error,
            &format!(
                "| 404    | ORDER_NOT_EXIST   | 分账单不存在   | 请检查分账单号 |\n{system_error}"
            ),
        )
    };
    let overlay = committed("schema/overlay.yaml");
    let first = import_text(&overlay, pages()).unwrap().spec;
    let mut reversed = pages();
    reversed.reverse();
    let second = import_text(&overlay, reversed).unwrap().spec;
    assert!(second == first, "the spec changes with the pages' order");
    assert!(first.contains("ORDER_NOT_EXIST"));
}

#[test]
fn a_new_response_field_with_enum_values_becomes_a_field_and_an_enum() {
    let finish_description_example = "|                    |            |      | 分账完结                                                                                                                                         |\n";
    let outcome = import_edited(
        ORDERS,
        finish_description_example,
        &format!(
            "{finish_description_example}\
             | split_mode | string(16) | 否 | `分账模式` 本次分账的方式, 枚举值:<br>ALL: 全额分账<br>PART: 部分分账 |\n\
             |            |            |    | PART |\n"
        ),
    );
    let order = item(&outcome.code, "pub struct ProfitSharingOrder");
    assert!(
        order.contains("pub split_mode: Option<SplitMode>,"),
        "{order}"
    );
    assert!(order.contains("/// 分账模式. 本次分账的方式"), "{order}");
    let split_mode = item(&outcome.code, "pub enum SplitMode");
    assert!(
        split_mode.contains("/// `ALL`: 全额分账\n    All,"),
        "{split_mode}"
    );
    assert!(
        split_mode.contains("/// `PART`: 部分分账\n    Part,"),
        "{split_mode}"
    );
    assert!(split_mode.contains("Unknown(String)"), "{split_mode}");
    assert!(outcome.code.contains("Part = \"PART\""));
    assert_eq!(outcome.imported.stale, Vec::<String>::new());
}

#[test]
fn a_new_enum_value_becomes_a_variant() {
    let outcome = import_edited(
        ORDERS,
        "<br>CLOSED: 处理失败, 已关单",
        "<br>CLOSED: 处理失败, 已关单<br>REVOKED: 已撤销",
    );
    let status = item(&outcome.code, "pub enum OrderStatus");
    assert!(
        status.contains("/// `REVOKED`: 已撤销\n    Revoked,"),
        "{status}"
    );
    // After the page's other values, which keep the overlay's English.
    let closed = status.find("Closed,").unwrap();
    assert!(status.find("Revoked,").unwrap() > closed);
    assert!(status.contains("处理失败, 已关单 (closed, the order failed and was closed)"));
    assert!(
        outcome
            .code
            .contains("    Closed = \"CLOSED\",\n    Revoked = \"REVOKED\",\n);")
    );
}

#[test]
fn a_changed_max_length_changes_the_request_check() {
    let request_row = "| out_order_no   | string(64) |";
    let outcome = import_edited(ORDERS, request_row, "| out_order_no   | string(128) |");
    let request = item(&outcome.code, "pub struct QueryOrderRequest");
    assert!(request.contains("at most 128 characters"), "{request}");
    assert!(
        outcome
            .code
            .contains("check_max_length(\"out_order_no\", &self.out_order_no, 128)"),
        "{}",
        outcome.code
    );
    // The other operation's parameter of the same name is untouched.
    assert!(
        outcome
            .code
            .contains("check_max_length(\"out_order_no\", value, 64)")
    );
}

#[test]
fn a_new_error_code_reaches_the_enum_and_the_operation() {
    let no_auth = "| 403    | NO_AUTH           | 未开通分账权限 | 请开通商户号分账权限";
    let row = "| 404    | ORDER_CLOSED      | 分账单已关闭   | 请检查分账单号是否正确 |\n";
    let page = committed(&format!("schema/docs/{ORDERS}"));
    let line_end = page.find(no_auth).unwrap();
    let line = page[line_end..].lines().next().unwrap();
    let outcome = import_edited(ORDERS, line, &format!("{line}\n{}", row.trim_end()));
    let codes = item(&outcome.code, "pub enum ErrorCode");
    assert!(
        codes.contains("/// `ORDER_CLOSED`: 分账单已关闭\n    OrderClosed,"),
        "{codes}"
    );
    let query_order = item(&outcome.code, "pub const QUERY_ORDER:");
    let not_found = query_order
        .find("code: crate::ErrorCode::OrderClosed")
        .unwrap();
    assert!(query_order[..not_found].ends_with("status: 404,\n            "));
    assert!(query_order.contains("solution: \"请检查分账单号是否正确\""));
    // Still there, after the page's own code for the status.
    assert!(query_order.find("RESOURCE_NOT_EXISTS_404").unwrap() > not_found);
    // The other page did not gain it.
    let query_return = item(&outcome.code, "pub const QUERY_RETURN_ORDER");
    assert!(!query_return.contains("ORDER_CLOSED"));
}

#[test]
fn a_code_the_pages_describe_differently_takes_the_text_most_pages_give() {
    // INVALID_REQUEST: 不符合业务规则 on most pages, 账单日期不合法 on the bill pages, which come
    // first in page order; another text on one more page does not change it either.
    let row = "| 400    | INVALID_REQUEST   | 另一种说法     | 请检查 |\n";
    let no_auth = "| 403    | NO_AUTH           | 未开通分账权限 | 请开通商户号分账权限";
    let page = committed(&format!("schema/docs/{ORDERS}"));
    let line_end = page.find(no_auth).unwrap();
    let line = page[line_end..].lines().next().unwrap();
    let outcome = import_edited(ORDERS, line, &format!("{line}\n{}", row.trim_end()));
    let codes = item(&outcome.code, "pub enum ErrorCode");
    assert!(
        codes.contains("/// `INVALID_REQUEST`: 不符合业务规则 ("),
        "{codes}"
    );
}

#[test]
fn a_url_parameter_with_enum_values_is_an_enum_and_the_closest_enum_is_reused() {
    let outcome = import_edited(ORDERS, "", "");
    let spec: serde_json::Value = serde_norway::from_str(&outcome.imported.spec).unwrap();
    let parameter = |path: &str, name: &str| {
        spec["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]["$ref"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        parameter("/v3/bill/tradebill", "tar_type"),
        "#/components/schemas/TarType"
    );
    // {ALL} (every account) is a subset of BillType's {ALL, SUCCESS, REFUND} (orders), which comes
    // first; the enum with exactly its values is taken.
    assert_eq!(
        parameter("/v3/ecommerce/bill/fundflowbill", "account_type"),
        "#/components/schemas/SubMerchantBillAccountType"
    );
    // {BASIC, OPERATION, FEES} has no enum of its own: the first that holds them all.
    assert_eq!(
        parameter("/v3/bill/fundflowbill", "account_type"),
        "#/components/schemas/AccountType"
    );
    let code = item(
        &outcome.code,
        "impl crate::Request for ApplyTradeBillRequest",
    );
    assert!(
        code.contains("query.push(\"tar_type\", value.as_str())"),
        "{code}"
    );
}

#[test]
fn a_removed_field_leaves_the_type_and_its_overlay_entry_is_reported() {
    let page = committed(&format!("schema/docs/{ORDERS}"));
    let start = page.find("| finish_description |").unwrap();
    let rows: String = page[start..]
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    let outcome = import_edited(ORDERS, &rows, "");
    let order = item(&outcome.code, "pub struct ProfitSharingOrder");
    assert!(!order.contains("finish_description"), "{order}");
    assert!(order.contains("pub finish_amount:"), "{order}");
    assert_eq!(
        outcome.imported.stale,
        [
            "#/schemas/ProfitSharingOrder/properties/finish_description: no field \
          finish_description on the page"
        ]
    );
}

#[test]
fn overlay_entries_the_pages_no_longer_match_are_reported() {
    // A value the overlay adds that the page now lists, and an English text for a value the
    // page dropped.
    let outcome = import_edited(
        RETURNS,
        "<br>TIME_OUT_CLOSED: 超时关单",
        "<br>INVALID_REQUEST: 描述参数设置失败",
    );
    assert_eq!(
        outcome.imported.stale,
        [
            "#/schemas/ReturnFailReason/english/TIME_OUT_CLOSED: no value TIME_OUT_CLOSED among \
             the 枚举值 of fail_reason",
            "#/schemas/ReturnFailReason/add/INVALID_REQUEST: INVALID_REQUEST is among the page's \
             枚举值 now (the page's text is kept)",
        ]
    );
    let reasons = item(&outcome.code, "pub enum ReturnFailReason");
    assert!(!reasons.contains("TimeOutClosed"), "{reasons}");
    assert!(reasons.contains("/// `INVALID_REQUEST`: 描述参数设置失败\n    InvalidRequest,"));
}

#[test]
fn a_status_description_no_code_uses_is_reported() {
    let overlay = committed("schema/overlay.yaml").replacen(
        "  statuses:\n",
        "  statuses:\n    \"418\":\n      description: A teapot.\n",
        1,
    );
    let imported = import_text(&overlay, pages_with(ORDERS, "", "")).unwrap();
    assert_eq!(
        imported.stale,
        [
            "#/errors/statuses/418: no code with this status in the pages' 错误码 tables or errors.add"
        ]
    );
    assert!(!imported.spec.contains("teapot"));
}

#[test]
fn the_one_of_two_rule_must_match_the_page() {
    let error = import_error(
        RETURNS,
        "| out_order_no  | string(64) | 一   |",
        "| out_order_no  | string(64) | 否   |",
    );
    let Error::Page(error) = error else {
        panic!("{error}")
    };
    assert!(error.page.ends_with(RETURNS));
    assert!(error.expected.contains("二选一"), "{}", error.expected);
}

/// A copy of the repository's `schema/` in a fresh folder, to import from files.
fn scratch_repo(test: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("xtask-import-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("schema/docs")).unwrap();
    std::fs::copy(
        repo_root().join("schema/overlay.yaml"),
        root.join("schema/overlay.yaml"),
    )
    .unwrap();
    for page in std::fs::read_dir(repo_root().join("schema/docs")).unwrap() {
        let page = page.unwrap().path();
        if page.extension().is_some_and(|e| e == "md") {
            std::fs::copy(
                &page,
                root.join("schema/docs").join(page.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    root
}

fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

#[test]
fn malformed_pages_are_errors_naming_the_page_the_line_and_what_was_expected() {
    let root = scratch_repo("malformed");
    let page_path = root.join("schema/docs").join(RETURNS);
    let good = std::fs::read_to_string(&page_path).unwrap();
    let cases = [
        // A missing cell.
        (
            "| return_mchid  | string(32) | 是   |",
            "| return_mchid  | string(32) |",
            "a row of four cells",
        ),
        // An unknown type.
        (
            "| amount        | int        |",
            "| amount        | decimal    |",
            "a type of string",
        ),
        // A URL without a path.
        (
            "**请求 URL**: https://api.mch.weixin.qq.com/v3/ecommerce/profitsharing/returnorders",
            "**请求 URL**: https://api.mch.weixin.qq.com",
            "a 请求 URL of https://HOST/PATH",
        ),
        // An answer example that is not JSON.
        ("  \"amount\": 10,", "  \"amount\": 10,,", "a JSON example"),
        // An array whose items nothing says.
        (
            "| return_no     | string(64) |",
            "| return_no     | array      |",
            "needs a component in schema/overlay.yaml",
        ),
    ];
    for (from, to, expected) in cases {
        let line = line_of(&good, from);
        std::fs::write(&page_path, good.replacen(from, to, 1)).unwrap();
        let error = import(&root).unwrap_err();
        let Error::Page(page_error) = &error else {
            panic!("{from}: {error}")
        };
        assert_eq!(page_error.page, page_path, "{from}");
        assert_eq!(page_error.line, line, "{from}: {error}");
        assert!(page_error.expected.contains(expected), "{from}: {error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}:{line}: ", page_path.display())),
            "{error}"
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn malformed_overlays_are_errors_naming_the_entry() {
    let overlay = committed("schema/overlay.yaml");
    let cases = [
        (
            "  docs/ecommerce-profitsharing-orders-query.md:\n",
            "  docs/ecommerce-profitsharing-orders-query.md:\n    summary: x\n",
            "#/operations/docs~1ecommerce-profitsharing-orders-query.md/summary",
        ),
        (
            "  CloseReason:\n    field: ProfitSharingOrder.close_reason\n",
            "  CloseReason:\n    field: ProfitSharingOrder.close_reason\n    table: docs/x.md#response\n",
            "#/schemas/CloseReason",
        ),
        (
            "    field: ProfitSharingOrder.close_reason\n",
            "    field: Nowhere.close_reason\n",
            "#/schemas/CloseReason/field",
        ),
        (
            "  ReceiverType:\n    schema:\n",
            "  ReceiverType:\n    description: lost\n    schema:\n",
            "#/schemas/ReceiverType/description",
        ),
        (
            "  CloseReason:\n    field: ProfitSharingOrder.close_reason\n",
            "  CloseReason:\n    field: ProfitSharingOrder.close_reason\n    properties: {a: {}}\n",
            "#/schemas/CloseReason/properties",
        ),
        (
            "    operationId: queryReturnOrder\n",
            "    operationId: queryOrder\n",
            "#/operations/docs~1ecommerce-profitsharing-returnorders-query.md/operationId",
        ),
    ];
    for (from, to, at) in cases {
        assert!(overlay.contains(from), "{from}");
        let error =
            import_text(&overlay.replacen(from, to, 1), pages_with(ORDERS, "", "")).unwrap_err();
        let Error::Overlay { at: found, .. } = &error else {
            panic!("{from}: {error}")
        };
        assert_eq!(found, at, "{error}");
    }
}

#[test]
fn replacing_a_page_copies_a_readable_one_and_refuses_a_broken_one() {
    let root = scratch_repo("replace");
    let target = root.join("schema/docs").join(ORDERS);
    let original = std::fs::read_to_string(&target).unwrap();
    let download = root.join("download");
    std::fs::create_dir_all(&download).unwrap();
    let new_page = download.join(ORDERS);

    let edited = original.replacen(
        "<br>CLOSED: 处理失败, 已关单",
        "<br>CLOSED: 处理失败, 已关单<br>REVOKED: 已撤销",
        1,
    );
    std::fs::write(&new_page, &edited).unwrap();
    replace_page(&root, &new_page).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), edited);
    let imported = import(&root).unwrap();
    assert!(imported.spec.contains("REVOKED: 已撤销"));

    std::fs::write(
        &new_page,
        edited.replacen("| sub_mchid      | string(32) | 是   |", "| sub_mchid |", 1),
    )
    .unwrap();
    let error = replace_page(&root, &new_page).unwrap_err();
    assert!(matches!(error, Error::Page(_)), "{error}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        edited,
        "the good page stays"
    );

    let stranger = download.join("unknown-page.md");
    std::fs::write(&stranger, &edited).unwrap();
    let error = replace_page(&root, &stranger).unwrap_err().to_string();
    assert!(error.contains("no page named unknown-page.md"), "{error}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn two_pages_for_one_endpoint_are_an_error() {
    let error = import_error(
        RETURNS,
        "profitsharing/returnorders",
        "profitsharing/orders",
    );
    let Error::Page(error) = &error else {
        panic!("{error}")
    };
    assert!(error.page.ends_with(RETURNS), "{error}");
    assert!(
        error
            .expected
            .contains("another page is GET /v3/ecommerce/profitsharing/orders too"),
        "{error}"
    );
}

/// The pages of `xtask/tests/pages/` (endpoints outside the crate's families) with the
/// minimal overlay beside them, which names none of them.
fn other_pages() -> Imported {
    let dir = repo_root().join("xtask/tests/pages");
    let pages = docs::pages(&dir)
        .unwrap()
        .into_iter()
        .map(|(path, page)| {
            let label = format!("docs/{}", path.file_name().unwrap().to_string_lossy());
            (label, path, page)
        })
        .collect();
    import_text(&committed("xtask/tests/pages/overlay.yaml"), pages).unwrap()
}

#[test]
fn pages_of_other_endpoints_import_with_no_overlay_entry_and_generate_compiling_code() {
    let imported = other_pages();
    assert_eq!(imported.stale, Vec::<String>::new());
    let spec = &imported.spec;
    // The names come from the method and the path.
    for expected in [
        "operationId: createRefund",
        "operationId: queryRefund",
        "$ref: \"#/components/schemas/CreateRefundRequest\"",
        "CreateRefundAmount:",
        "CreateRefundGoodsDetail:",
        "CreateRefundResponseAmount:",
        "QueryRefundResponse:",
        "in: path",
    ] {
        assert!(spec.contains(expected), "{expected}");
    }
    // Their family is their path's: `refund`, with no overlay entry either.
    assert!(spec.contains("tags:\n  - name: refund\n"), "{spec}");
    // The generated code is checked in and compiled by the library's tests
    // (xtask/tests/other_pages.rs): regenerate with `XTASK_BLESS=1 cargo test -p xtask other_endpoints`.
    let dir = repo_root().join("xtask/tests/pages/expected");
    let bless = std::env::var_os("XTASK_BLESS").is_some();
    for (name, text) in render_text(spec, "xtask/tests/pages/openapi.yaml").unwrap() {
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            text,
            "{} is stale: run `XTASK_BLESS=1 cargo test -p xtask other_endpoints`",
            path.display()
        );
    }
}

const NOTIFICATION: &str = "ecommerce-profitsharing-notification.md";

/// The committed pages and a second notification page: the committed one with `from` replaced by
/// `to` (its name and title changed, so that it is another notification).
fn with_second_notification(from: &str, to: &str) -> Vec<(String, PathBuf, Page)> {
    let mut pages = pages_with(ORDERS, "", "");
    let path = repo_root().join("schema/docs").join(NOTIFICATION);
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("分账动账通知API", "另一种通知API", 1);
    assert!(text.contains(from), "the page holds {from:?}");
    let text = text.replacen(from, to, 1);
    let second = PathBuf::from("docs/z-other-notification.md");
    let page = docs::parse_page(&second, &text).unwrap();
    pages.push(("docs/z-other-notification.md".to_owned(), second, page));
    pages
}

#[test]
fn the_notification_page_imports_as_a_webhook_with_its_schedule_and_components() {
    let imported = import_text(
        &committed("schema/overlay.yaml"),
        pages_with(ORDERS, "", ""),
    )
    .unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&imported.spec).unwrap();
    let hook = &spec["x-webhooks"]["profitSharingNotification"]["post"];
    assert_eq!(hook["x-original-type"], "profitsharing");
    assert_eq!(
        hook["x-event-types"],
        json!(["PROFITSHARING.SUCCESS", "PROFITSHARING.RETURN"])
    );
    let schedule: Vec<u64> = serde_json::from_value(hook["x-retry-intervals"].clone()).unwrap();
    assert_eq!(schedule.len(), 15);
    assert_eq!(schedule.iter().sum::<u64>(), (24 * 60 + 4) * 60, "共 24h4m");
    assert_eq!(
        hook["x-decrypted-resource"]["schema"]["$ref"],
        "#/components/schemas/ProfitSharingNotification"
    );
    assert_eq!(
        hook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Notification"
    );
    assert_eq!(
        hook["responses"]["5XX"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NotificationFailure"
    );
    assert!(hook["responses"]["204"]["content"].is_null());
    let schemas = &spec["components"]["schemas"];
    // The page's `""` example is the empty string.
    assert_eq!(
        schemas["NotificationResource"]["properties"]["associated_data"]["example"],
        ""
    );
    assert_eq!(
        schemas["ProfitSharingNotification"]["properties"]["success_time"]["format"],
        "date-time"
    );
    // Not an endpoint: no path.
    assert!(
        !spec["paths"]
            .as_object()
            .unwrap()
            .keys()
            .any(|p| p.contains("notif"))
    );
}

#[test]
fn a_second_notification_page_shares_the_envelope_and_adds_its_event_types() {
    let pages = with_second_notification(
        "PROFITSHARING.RETURN: 分账回退",
        "PROFITSHARING.RETURN: 分账回退<br>PROFITSHARING.CLOSED: 分账关闭",
    );
    let imported = import_text(&committed("schema/overlay.yaml"), pages).unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&imported.spec).unwrap();
    let other = &spec["x-webhooks"]["zOtherNotification"]["post"];
    assert_eq!(
        other["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Notification"
    );
    assert_eq!(
        other["x-decrypted-resource"]["schema"]["$ref"],
        "#/components/schemas/ZOtherNotification"
    );
    assert_eq!(
        spec["components"]["schemas"]["EventType"]["enum"],
        json!([
            "PROFITSHARING.SUCCESS",
            "PROFITSHARING.RETURN",
            "REFUND.SUCCESS",
            "REFUND.ABNORMAL",
            "REFUND.CLOSED",
            "PROFITSHARING.CLOSED"
        ])
    );
    let files = render_text(&imported.spec, "schema/openapi.yaml").unwrap();
    // Its family is its page name's first word: a module of its own.
    let (_, family) = files.iter().find(|(n, _)| n == "z.rs").unwrap();
    assert!(family.contains("pub const Z_OTHER_NOTIFICATION: crate::NotificationKind"));
    assert!(family.contains("impl crate::DecryptedResource for ZOtherNotification"));
}

#[test]
fn notification_pages_whose_envelopes_differ_are_an_error_naming_both() {
    let pages = with_second_notification(
        "| summary           | string(16)      | 是   |",
        "| summary           | string(16)      | 否   |",
    );
    match import_text(&committed("schema/overlay.yaml"), pages) {
        Err(Error::Page(error)) => {
            assert!(error.page.ends_with("z-other-notification.md"), "{error}");
            assert!(error.expected.contains(NOTIFICATION), "{error}");
            assert!(error.expected.contains("Notification"), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_notification_page_without_a_retry_schedule_needs_one_in_the_overlay() {
    let pages = with_second_notification(
        "15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h",
        "一定",
    );
    match import_text(&committed("schema/overlay.yaml"), pages) {
        Err(Error::Page(error)) => {
            assert!(error.expected.contains("x-retry-intervals"), "{error}")
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("imported without a retry schedule"),
    }
}

#[test]
fn response_properties_adjust_an_answers_fields_and_the_rows_below_them() {
    const CREATE: &str = "ecommerce-profitsharing-orders-create.md";
    let overlay = committed("schema/overlay.yaml");
    let pages = || pages_with(CREATE, "", "");
    let render = |overlay: &str| {
        let imported = import_text(overlay, pages()).unwrap();
        let files = render_text(&imported.spec, "schema/openapi.yaml").unwrap();
        let code: String = files.into_iter().map(|(_, text)| text).collect();
        (imported, code)
    };

    // As committed: the nested rows `receivers.finish_time` and `receivers.detail_id` are not
    // required, nor is `receivers`.
    let (imported, types) = render(&overlay);
    assert!(imported.stale.is_empty(), "{:?}", imported.stale);
    let share = item(&types, "pub struct CreateOrderResponseReceiver");
    assert!(share.contains("pub finish_time: Option<"), "{share}");
    assert!(share.contains("pub detail_id: Option<"), "{share}");
    let answer = item(&types, "pub struct CreateOrderResponse ");
    assert!(answer.contains("#[serde(default"), "{answer}");

    // Without the entry, the page's 是 holds.
    let from = "        receivers.finish_time:\n          required: false\n";
    assert!(overlay.contains(from));
    let (_, types) = render(&overlay.replacen(
        from,
        "        receivers.finish_time:\n          required: true\n",
        1,
    ));
    let share = item(&types, "pub struct CreateOrderResponseReceiver");
    assert!(
        share.contains("pub finish_time: DateTime<FixedOffset>"),
        "{share}"
    );

    // A row the page does not have is reported, with where it is in the overlay.
    let (imported, _) = render(&overlay.replacen(
        "        receivers.detail_id:\n",
        "        receivers.no_such_row:\n          required: false\n        receivers.detail_id:\n",
        1,
    ));
    assert_eq!(
        imported.stale,
        [
            "#/operations/docs~1ecommerce-profitsharing-orders-create.md/response/properties/receivers.no_such_row: no field receivers.no_such_row on the page"
        ]
    );

    // The query page's receivers have no rows of their own (a component describes them from the
    // example): an entry for one is reported, not taken.
    let imported = import_text(
        &overlay.replacen(
            "      receivers:\n        required: false\n",
            "      receivers:\n        required: false\n      receivers.amount:\n        required: false\n",
            1,
        ),
        pages_with(ORDERS, "", ""),
    )
    .unwrap();
    assert_eq!(
        imported.stale,
        [
            "#/schemas/ProfitSharingOrder/properties/receivers.amount: no field receivers.amount on the page"
        ]
    );

    // A page whose 返回参数 table a `schemas` entry takes is adjusted there.
    let error = import_text(
        &overlay.replacen(
            "    response:\n      description: The profit-sharing order. 分账结果。\n",
            "    response:\n      description: The profit-sharing order. 分账结果。\n      properties:\n        status:\n          required: false\n",
            1,
        ),
        pages(),
    )
    .unwrap_err();
    let Error::Overlay { at, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(
        at,
        "#/operations/docs~1ecommerce-profitsharing-orders-query.md/response/properties"
    );
}

#[test]
fn every_operation_carries_its_family_tag_and_its_method_on_the_handle() {
    let imported = import_text(
        &committed("schema/overlay.yaml"),
        pages_with(ORDERS, "", ""),
    )
    .unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&imported.spec).unwrap();
    let tags: Vec<&str> = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["profit_sharing", "refunds", "subsidies", "fund", "bills"]
    );
    assert_eq!(spec["tags"][0]["x-path-segment"], "profitsharing");
    let operation = |path: &str, method: &str| spec["paths"][path][method].clone();
    let apply = operation("/v3/ecommerce/refunds/apply", "post");
    assert_eq!(apply["operationId"], "applyRefund");
    assert_eq!(apply["tags"], json!(["refunds"]));
    assert_eq!(apply["x-method"], "apply");
    let by_number = operation("/v3/ecommerce/refunds/out-refund-no/{out_refund_no}", "get");
    assert_eq!(by_number["operationId"], "queryRefundByOutRefundNo");
    assert_eq!(by_number["x-method"], "query_by_out_refund_no");
    let split = operation("/v3/ecommerce/profitsharing/orders", "post");
    assert_eq!(split["tags"], json!(["profit_sharing"]));
    assert_eq!(split["x-method"], "create_order");
    let give_back = operation("/v3/ecommerce/subsidies/return", "post");
    assert_eq!(give_back["x-method"], "return_subsidy");
    // A notification's family comes from its page's name; it has no method.
    let refunded = &spec["x-webhooks"]["refundNotification"]["post"];
    assert_eq!(refunded["tags"], json!(["refunds"]));
    assert!(refunded.get("x-method").is_none());
}

#[test]
fn a_family_entry_no_page_belongs_to_is_reported_and_two_families_cannot_share_a_name() {
    let overlay = committed("schema/overlay.yaml").replacen(
        "families:\n",
        "families:\n  widgets:\n    description: Widgets.\n",
        1,
    );
    let imported = import_text(&overlay, pages_with(ORDERS, "", "")).unwrap();
    assert_eq!(
        imported.stale,
        ["#/families/widgets: no page has an endpoint or a name in this family"]
    );
    let overlay = committed("schema/overlay.yaml").replacen(
        "  subsidies:\n    description:",
        "  subsidies:\n    name: refunds\n    description:",
        1,
    );
    let error = import_text(&overlay, pages_with(ORDERS, "", "")).unwrap_err();
    let Error::Overlay { at, message } = &error else {
        panic!("{error}")
    };
    assert!(at.starts_with("#/families/"), "{at}");
    assert!(
        message.contains("two families are named refunds"),
        "{message}"
    );
}

#[test]
fn an_enum_claimed_on_a_pages_own_table_names_every_field_with_its_values() {
    let imported = import_text(
        &committed("schema/overlay.yaml"),
        pages_with(ORDERS, "", ""),
    )
    .unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&imported.spec).unwrap();
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["RefundStatus"]["enum"],
        json!(["SUCCESS", "CLOSED", "PROCESSING", "ABNORMAL"])
    );
    // The notification's refund_status has the same values: it refers to the claimed enum.
    assert_eq!(
        schemas["RefundNotification"]["properties"]["refund_status"]["$ref"],
        "#/components/schemas/RefundStatus"
    );
    // A claim on a field the page no longer has is reported, and the enum left out.
    let imported = import_text(
        &committed("schema/overlay.yaml").replacen("#response.status\n", "#response.state\n", 1),
        pages_with(ORDERS, "", ""),
    )
    .unwrap();
    assert!(
        imported
            .stale
            .iter()
            .any(|s| s.starts_with("#/schemas/RefundStatus/field:")),
        "{:?}",
        imported.stale
    );
}

#[test]
fn pages_with_the_same_answer_table_share_one_component_and_a_different_one_is_an_error() {
    let imported = import_text(
        &committed("schema/overlay.yaml"),
        pages_with(ORDERS, "", ""),
    )
    .unwrap();
    let spec: serde_json::Value = serde_norway::from_str(&imported.spec).unwrap();
    for path in [
        "/v3/ecommerce/refunds/id/{refund_id}",
        "/v3/ecommerce/refunds/out-refund-no/{out_refund_no}",
    ] {
        assert_eq!(
            spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/Refund",
            "{path}"
        );
    }
    assert!(
        spec["components"]["schemas"]
            .get("QueryRefundByOutRefundNoResponse")
            .is_none()
    );

    let error = import_error(
        "ecommerce-refunds-apply-abnormal-refund.md",
        "| channel               | string(16) | 否   |",
        "| channel               | string(16) | 是   |",
    );
    let Error::Page(error) = error else {
        panic!("{error}")
    };
    assert!(
        error
            .page
            .ends_with("ecommerce-refunds-apply-abnormal-refund.md")
    );
    assert!(
        error.expected.contains("schemas.Refund takes both"),
        "{}",
        error.expected
    );
}

#[test]
fn two_operations_whose_short_methods_collide_keep_their_whole_ids() {
    let mut paths: Map<String, Value> = serde_json::from_value(json!({
        "/v3/ecommerce/refunds/advance": {
            "get": {"operationId": "queryRefundAdvance", "tags": ["refunds"], "x-method": "query_advance"}
        },
        "/v3/ecommerce/refunds/{refund_id}/advance": {
            "get": {"operationId": "queryAdvance", "tags": ["refunds"], "x-method": "query_advance"},
            "post": {"operationId": "applyRefund", "tags": ["refunds"], "x-method": "apply"}
        },
        "/v3/ecommerce/subsidies/advance": {
            "get": {"operationId": "querySubsidyAdvance", "tags": ["subsidies"], "x-method": "query_advance"}
        }
    }))
    .unwrap();
    super::operations::short_names_of_their_own(&mut paths);
    let method = |path: &str, verb: &str| paths[path][verb]["x-method"].clone();
    assert_eq!(
        method("/v3/ecommerce/refunds/advance", "get"),
        "query_refund_advance"
    );
    assert_eq!(
        method("/v3/ecommerce/refunds/{refund_id}/advance", "get"),
        "query_advance"
    );
    // Another family's same short name, and an operation without a twin, are left alone.
    assert_eq!(
        method("/v3/ecommerce/subsidies/advance", "get"),
        "query_advance"
    );
    assert_eq!(
        method("/v3/ecommerce/refunds/{refund_id}/advance", "post"),
        "apply"
    );
}

const DOWNLOAD: &str = "bill-download.md";

#[test]
fn a_page_whose_url_is_a_parameter_is_a_file_download_with_its_family_and_codes() {
    let outcome = import_edited(ORDERS, "", "");
    let spec: serde_json::Value = serde_norway::from_str(&outcome.imported.spec).unwrap();
    let download = &spec["x-file-downloads"]["downloadBill"]["get"];
    assert_eq!(download["tags"][0], "bills");
    assert_eq!(download["x-url-parameter"]["name"], "download_url");
    assert_eq!(download["x-url-parameter"]["maxLength"], 2048);
    assert_eq!(
        download["responses"]["200"]["content"]["application/octet-stream"]["schema"]["format"],
        "binary"
    );
    assert_eq!(
        download["responses"]["403"]["x-error-codes"][0]["code"],
        "NO_AUTH"
    );
    // Not an endpoint: no path was made of it.
    assert!(
        spec["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|path| path.starts_with("/v3/"))
    );
    let constant = item(
        &outcome.code,
        "pub const DOWNLOAD_BILL: crate::FileDownload",
    );
    assert!(
        constant.contains("url_parameter: \"download_url\""),
        "{constant}"
    );
    assert!(
        constant.contains("max_url_length: Option::Some(2048)"),
        "{constant}"
    );
    assert!(
        constant.contains("请确认下载账单的商户与申请账单时的商户是同一个"),
        "{constant}"
    );
}

#[test]
fn a_file_download_needs_its_url_parameter_in_the_table() {
    let error = import_error(
        DOWNLOAD,
        "**请求 URL**: {download_url}",
        "**请求 URL**: {file_url}",
    );
    let Error::Page(error) = error else {
        panic!("{error}")
    };
    assert!(error.page.ends_with(DOWNLOAD));
    assert!(
        error.expected.contains("a field file_url"),
        "{}",
        error.expected
    );
}

#[test]
fn a_download_pages_column_tables_are_row_types_read_by_column_name() {
    let outcome = import_edited(DOWNLOAD, "", "");
    let spec: serde_json::Value = serde_norway::from_str(&outcome.imported.spec).unwrap();
    let layouts = &spec["x-file-downloads"]["downloadBill"]["get"]["x-file-layouts"];
    let names: Vec<&String> = layouts.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "TradeBillRow",
            "TradeBillSummary",
            "FundFlowBillRow",
            "FundFlowBillSummary"
        ]
    );
    // The page's 27 columns in its order, then the two its prose adds, each saying so.
    let columns = layouts["TradeBillRow"]["x-columns"].as_array().unwrap();
    assert_eq!(columns.len(), 29);
    assert_eq!(columns[0]["name"], "交易时间");
    assert_eq!(columns[26]["name"], "费率备注");
    assert!(columns[27]["x-departs-from-docs"].is_string());
    assert!(columns[0].get("x-departs-from-docs").is_none());
    let row = item(&outcome.code, "pub struct FundFlowBillRow");
    assert!(row.contains("pub amount: i64,"), "{row}");
    assert!(
        row.contains("pub booked_at: DateTime<FixedOffset>,"),
        "{row}"
    );
    assert!(row.contains("pub direction: FlowDirection,"), "{row}");
    let read = item(&outcome.code, "impl crate::BillRow for FundFlowBillRow");
    assert!(read.contains("\"收支金额(元)\""), "{read}");
    assert!(
        read.contains("amount: c.cell::<crate::bill_file::Fen>(6)?"),
        "{read}"
    );
    let read = item(&outcome.code, "impl crate::BillRow for TradeBillRow");
    assert!(
        read.contains("refund_id: c.optional_text(14, &[\"0\"])"),
        "{read}"
    );
    let direction = item(&outcome.code, "impl FlowDirection");
    assert!(
        direction.contains("\"支出\" => Self::Expense"),
        "{direction}"
    );

    // A column added to a table needs its name and type before the spec can be written.
    let error = import_error(
        DOWNLOAD,
        "11   | 业务凭证号         |",
        "11   | 业务凭证号         |\n12   | 二级商户号 |",
    );
    let Error::Page(error) = error else {
        panic!("{error}")
    };
    assert!(
        error.expected.contains("the column 二级商户号"),
        "{}",
        error.expected
    );
    // A new table needs a layout.
    let error = import_error(
        DOWNLOAD,
        "申请二级商户资金账单所得文件",
        "退款账单的明细列:\n\n序号 | 列名 |\n---- | ---- |\n1    | 退款时间 |\n\n申请二级商户资金账单所得文件",
    );
    let Error::Page(error) = error else {
        panic!("{error}")
    };
    assert!(
        error.expected.contains("退款账单的明细列"),
        "{}",
        error.expected
    );
    // A table whose numbers skip is a page error at the row.
    let path = repo_root().join("schema/docs").join(DOWNLOAD);
    let text = committed("schema/docs/bill-download.md");
    let skipped = text.replacen("2    | 收入笔数       |", "3    | 收入笔数       |", 1);
    let error = docs::parse_page(&path, &skipped).unwrap_err();
    assert!(error.expected.contains("the row 2"), "{}", error.expected);
    assert_eq!(error.line, line_of(&skipped, "3    | 收入笔数"));
    // A table under a sub-heading of the section is still a file's table (and needs a layout);
    // one outside it is an error, not prose.
    let nested = text.replacen(
        "资金账单的汇总列:",
        "#### 资金账单的汇总\n\n资金账单的汇总列:",
        1,
    );
    let page = docs::parse_page(&path, &nested).unwrap();
    assert_eq!(page.file_tables.len(), 4);
    assert_eq!(page.file_tables[3].title, "资金账单的汇总列");
    let outside = text.replacen(
        "## 错误码",
        "## 错误码\n\n多余的列:\n\n序号 | 列名 |\n---- | ---- |\n1 | 某列 |\n",
        1,
    );
    let error = docs::parse_page(&path, &outside).unwrap_err();
    assert!(
        error
            .expected
            .contains("only under a heading with 文件格式"),
        "{}",
        error.expected
    );
    // A row of empty cells is not the separator.
    let empty = text.replacen(
        "2    | 收入笔数       |",
        "     |          |\n2    | 收入笔数       |",
        1,
    );
    let error = docs::parse_page(&path, &empty).unwrap_err();
    assert!(error.expected.contains("the row 2"), "{}", error.expected);
}

#[test]
fn a_layout_must_match_one_table_and_name_every_column_once() {
    let overlay = committed("schema/overlay.yaml");
    let pages = || pages_with(DOWNLOAD, "", "");
    let cases = [
        (
            "table: 资金账单的汇总列",
            "table: 资金账单的",
            "have a title starting with",
        ),
        (
            "x-departs-from-docs: Not in the table; the page's prose says a REFUND bill has it after 代金券金额.\n          退款成功时间:",
            "\n          退款成功时间:",
            "say where it comes from",
        ),
        (
            "field: income_count, type: count",
            "field: count, type: count",
            "another column's field",
        ),
        (
            "field: expense, type: fen",
            "field: expense, type: yuan",
            "one of",
        ),
        (
            "field: device_info, type: text, optional: true",
            "field: device_info, type: text, none: [\"-\"]",
            "go with `optional: true`",
        ),
        (
            "field: order_amount, type: fen, optional: true",
            "field: order_amount, type: fen, optional: true, none: [\"0\"]",
            "on a text or enum column",
        ),
        (
            "field: trade_type, type: text,",
            "field: trade_type, type: text, values: { JSAPI: [Jsapi, x] },",
            "go with `type: enum`",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(overlay.contains(from), "{from}");
        let error = import_text(&overlay.replacen(from, to, 1), pages()).unwrap_err();
        assert!(error.to_string().contains(expected), "{from}: {error}");
    }
    // Layouts belong to a download page only.
    let edited = overlay.replacen(
        "    operationId: applyTradeBill\n",
        "    operationId: applyTradeBill\n    layouts: { X: { table: x, description: x, columns: {} } }\n",
        1,
    );
    let error = import_text(&edited, pages()).unwrap_err();
    assert!(error.to_string().contains("layouts"), "{error}");
}
