//! Building requests: the doc pages' request examples, validation before sending, and the query
//! encoding checked against an independent implementation (Python's urllib).
// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::order_request;

use std::process::Command;

use wechatpay_ecommerce::profit_sharing::{
    OrderReference, QueryOrderRequest, QueryReturnOrderRequest,
};
use wechatpay_ecommerce::profit_sharing::{QUERY_ORDER, QUERY_RETURN_ORDER};
use wechatpay_ecommerce::{InvalidParameter, ParameterRule, PreparedRequest, QueryString, Request};

/// Validates a request and builds it for the production host, as the client does before signing.
fn prepare<Q: Request>(request: &Q) -> Result<PreparedRequest<Q::Response>, InvalidParameter> {
    match PreparedRequest::new(wechatpay_ecommerce::DEFAULT_BASE_URL, request) {
        Ok(prepared) => Ok(prepared),
        Err(wechatpay_ecommerce::PrepareError::InvalidRequest(invalid)) => Err(invalid),
        Err(other) => panic!("not a validation error: {other}"),
    }
}

/// A request written as a struct literal: unchecked until it is prepared, so that the tests
/// below see the client's own checks.
fn return_request(order: OrderReference) -> QueryReturnOrderRequest {
    QueryReturnOrderRequest {
        sub_mchid: "1900000109".into(),
        order,
        out_return_no: "R20190516001".into(),
    }
}

#[test]
fn query_order_builds_the_orders_page_request_example() {
    let page = common::repo_file("schema/docs/ecommerce-profitsharing-orders-query.md");
    let prepared = prepare(&order_request()).unwrap();
    assert_eq!(prepared.url(), common::request_example(&page));
    assert_eq!(
        prepared.path_and_query(),
        "/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346"
    );
    assert_eq!(prepared.method(), http::Method::GET);
    assert_eq!(prepared.operation(), &QUERY_ORDER);
}

#[test]
fn behind_a_gateway_the_path_signed_is_the_whole_path_sent() {
    for base in [
        "https://gateway.example.com/wechatpay",
        "https://gateway.example.com/wechatpay/",
        "http://127.0.0.1:8080/a/b",
    ] {
        let prepared = PreparedRequest::new(base, &order_request()).unwrap();
        let path = prepared.path_and_query();
        assert!(prepared.url().ends_with(path), "{base}");
        let prefix = base
            .trim_end_matches('/')
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap();
        assert_eq!(
            path,
            format!(
                "{prefix}/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109&transaction_id=4208450740201411110007820472&out_order_no=P20150806125346"
            ),
            "{base}"
        );
    }
}

#[test]
fn query_return_order_builds_the_returnorders_page_request_example() {
    let page = common::repo_file("schema/docs/ecommerce-profitsharing-returnorders-query.md");
    let request = return_request(OrderReference::OutOrderNo("P20150806125346".into()));
    let prepared = prepare(&request).unwrap();
    assert_eq!(prepared.url(), common::request_example(&page));

    let request = return_request(OrderReference::OrderId(
        "3008450740201411110007820472".into(),
    ));
    let prepared = PreparedRequest::new("http://127.0.0.1:8080/", &request).unwrap();
    assert_eq!(
        prepared.url(),
        "http://127.0.0.1:8080/v3/ecommerce/profitsharing/returnorders?sub_mchid=1900000109&order_id=3008450740201411110007820472&out_return_no=R20190516001"
    );
}

#[test]
fn operation_metadata_comes_from_the_spec() {
    assert_eq!(QUERY_ORDER.id, "queryOrder");
    assert_eq!(QUERY_ORDER.summary, "查询分账结果");
    assert_eq!(QUERY_ORDER.path, "/v3/ecommerce/profitsharing/orders");
    assert_eq!(QUERY_RETURN_ORDER.summary, "查询分账回退结果");
    assert_eq!(
        <QueryReturnOrderRequest as Request>::OPERATION,
        &QUERY_RETURN_ORDER
    );
    for operation in [&QUERY_ORDER, &QUERY_RETURN_ORDER] {
        let codes: Vec<(u16, &str)> = operation
            .errors
            .iter()
            .map(|e| (e.status, e.code.as_str()))
            .collect();
        for expected in [
            (500, "SYSTEM_ERROR"),
            (400, "PARAM_ERROR"),
            (400, "INVALID_REQUEST"),
            (429, "FREQUENCY_LIMITED"),
            (403, "NO_AUTH"),
            (401, "SIGN_ERROR"),
            (404, "RESOURCE_NOT_EXISTS"),
            (429, "RATELIMIT_EXCEEDED"),
        ] {
            assert!(
                codes.contains(&expected),
                "{} lacks {expected:?}",
                operation.id
            );
        }
    }
}

fn rejected<F: Fn(&mut QueryOrderRequest)>(edit: F) -> InvalidParameter {
    let mut request = order_request();
    edit(&mut request);
    prepare(&request).unwrap_err()
}

#[test]
fn query_order_parameters_are_validated_and_named() {
    assert_eq!(
        rejected(|r| r.sub_mchid.clear()),
        InvalidParameter {
            parameter: "sub_mchid".to_owned(),
            rule: ParameterRule::Required
        }
    );
    assert_eq!(
        rejected(|r| r.transaction_id = "4".repeat(33)),
        InvalidParameter {
            parameter: "transaction_id".to_owned(),
            rule: ParameterRule::MaxLength {
                max: 32,
                actual: 33
            }
        }
    );
    assert_eq!(
        rejected(|r| r.out_order_no = "P".repeat(65)).parameter,
        "out_order_no"
    );
    // The limits are inclusive.
    let mut request = order_request();
    request.sub_mchid = "1".repeat(32);
    request.out_order_no = "P".repeat(64);
    assert!(prepare(&request).is_ok());
}

#[test]
fn query_return_order_parameters_are_validated_and_named() {
    let mut request = return_request(OrderReference::OrderId(String::new()));
    assert_eq!(
        prepare(&request).unwrap_err(),
        InvalidParameter {
            parameter: "order_id".to_owned(),
            rule: ParameterRule::Required
        }
    );
    request.order = OrderReference::OutOrderNo("P".repeat(65));
    assert_eq!(
        prepare(&request).unwrap_err(),
        InvalidParameter {
            parameter: "out_order_no".to_owned(),
            rule: ParameterRule::MaxLength {
                max: 64,
                actual: 65
            }
        }
    );
    request.order = OrderReference::OutOrderNo("P20150806125346".into());

    // out_return_no: digits, ASCII letters and _-|*@ only.
    request.out_return_no = "Az09_-|*@".into();
    assert!(prepare(&request).is_ok());
    for (bad, found) in [
        ("R2019 0516", ' '),
        ("R#1", '#'),
        ("退款1", '退'),
        ("R.1", '.'),
        ("R+1", '+'),
    ] {
        request.out_return_no = bad.into();
        let error = prepare(&request).unwrap_err();
        assert_eq!(error.parameter, "out_return_no");
        assert_eq!(
            error.rule,
            ParameterRule::Charset {
                allowed: r"0-9A-Za-z_\-|*@",
                found
            }
        );
    }
    request.out_return_no = "R".repeat(65);
    assert_eq!(prepare(&request).unwrap_err().parameter, "out_return_no");
}

#[test]
fn validation_errors_read_as_one_actionable_line() {
    let error = rejected(|r| r.transaction_id = "4".repeat(40));
    assert_eq!(
        error.to_string(),
        "request parameter `transaction_id` is 40 characters long; at most 32 are allowed"
    );
}

/// What Python's `urllib.parse.quote(value, safe="")` makes of each value: RFC 3986 percent-encoding
/// of UTF-8, keeping only the unreserved characters. Run by the machine's `python3`.
fn python_quote(values: &[&str]) -> Vec<String> {
    let script = "import sys, urllib.parse\n\
                  for line in sys.stdin.read().split('\\n'):\n    print(urllib.parse.quote(line, safe=''))";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed as the reference for percent-encoding");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(values.join("\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn query_encoding_matches_an_independent_implementation() {
    let values = [
        "1900000109",
        "P20150806125346",
        "a b+c&d=e?f#g/h%i",
        "R|*@_-.~",
        "分账回退",
        "emoji😀",
        "!\"$'(),:;<>[\\]^`{}",
    ];
    let expected = python_quote(&values);
    assert_eq!(expected.len(), values.len());
    for (value, expected) in values.iter().zip(&expected) {
        let mut query = QueryString::new();
        query.push("k", value);
        assert_eq!(
            query.finish(),
            format!("k={expected}"),
            "encoding {value:?}"
        );
    }
}

#[test]
fn a_builder_names_each_field_and_the_one_not_set() {
    // Set by name, in any order: the ids cannot trade places unseen.
    let request = QueryOrderRequest::builder()
        .out_order_no("P20150806125346")
        .transaction_id("4208450740201411110007820472")
        .sub_mchid("1900000109")
        .build()
        .unwrap();
    assert_eq!(request, order_request());
    assert_eq!(
        prepare(&request).unwrap().path_and_query(),
        "/v3/ecommerce/profitsharing/orders?sub_mchid=1900000109\
         &transaction_id=4208450740201411110007820472&out_order_no=P20150806125346"
    );

    let unset = QueryOrderRequest::builder()
        .sub_mchid("1900000109")
        .out_order_no("P20150806125346")
        .build()
        .unwrap_err();
    assert_eq!(
        unset,
        InvalidParameter {
            parameter: "transaction_id".into(),
            rule: ParameterRule::NotSet,
        }
    );
    assert_eq!(
        unset.to_string(),
        "request parameter `transaction_id` is required and was not set"
    );

    // Set but empty is the rule the client checks too.
    let empty = QueryOrderRequest::builder()
        .sub_mchid("")
        .transaction_id("4208450740201411110007820472")
        .out_order_no("P20150806125346")
        .build()
        .unwrap_err();
    assert_eq!(empty.parameter, "sub_mchid");
    assert_eq!(empty.rule, ParameterRule::Required);

    // The 二选一 group is one setter, and its error names both members.
    let neither = QueryReturnOrderRequest::builder()
        .sub_mchid("1900000109")
        .out_return_no("R20190516001")
        .build()
        .unwrap_err();
    assert_eq!(neither.parameter, "order_id` or `out_order_no");
    assert_eq!(
        neither.to_string(),
        "request parameter `order_id` or `out_order_no` is required and was not set"
    );
}
