//! The generator's golden output for `xtask/tests/golden/openapi.yaml`, compiled into the library's
//! tests so that a generator change that breaks the code it emits fails here, and exercised so that
//! every feature of the generator is seen working on a spec other than the project's own.

#![allow(dead_code)]

mod types {
    include!("../xtask/tests/golden/expected/types.rs");
}

mod operations {
    include!("../xtask/tests/golden/expected/operations.rs");
}

use operations::{FindWidgetRequest, WidgetKey};
use types::{PartList, Widget, WidgetState};

use crate::{InvalidParameter, ParameterRule, PreparedRequest, Request};

/// Validates a request and builds it, as the client does before signing.
fn prepare<Q: Request>(request: &Q) -> Result<PreparedRequest<Q::Response>, InvalidParameter> {
    PreparedRequest::new("http://127.0.0.1:1/", request)
}

#[test]
fn optional_parameters_are_left_out_and_groups_send_the_chosen_member() {
    let mut request = FindWidgetRequest::new("S1", WidgetKey::OutWidgetNo("w_1-2".into()));
    let prepared = prepare(&request).unwrap();
    assert_eq!(
        prepared.path_and_query(),
        "/v1/widgets?shop_id=S1&out_widget_no=w_1-2"
    );
    assert_eq!(
        prepared.url(),
        "http://127.0.0.1:1/v1/widgets?shop_id=S1&out_widget_no=w_1-2"
    );
    assert_eq!(prepared.operation().id, "findWidget");

    request.key = WidgetKey::WidgetId("W 9".into());
    request.colour = Some("红".into());
    let prepared = prepare(&request).unwrap();
    assert_eq!(
        prepared.path_and_query(),
        "/v1/widgets?shop_id=S1&widget_id=W%209&colour=%E7%BA%A2"
    );
}

#[test]
fn rules_apply_to_the_chosen_member_only() {
    // The pattern belongs to out_widget_no; widget_id has none.
    let request = FindWidgetRequest::new("S1", WidgetKey::WidgetId("UPPER".into()));
    assert!(prepare(&request).is_ok());
    let request = FindWidgetRequest::new("S1", WidgetKey::OutWidgetNo("UPPER".into()));
    assert_eq!(
        prepare(&request).unwrap_err(),
        InvalidParameter {
            parameter: "out_widget_no",
            rule: ParameterRule::Charset {
                allowed: r"0-9a-z_\-",
                found: 'U'
            },
        }
    );
    let request = FindWidgetRequest::new("S123456789", WidgetKey::WidgetId("w".into()));
    assert_eq!(
        prepare(&request).unwrap_err().rule,
        ParameterRule::MaxLength { max: 8, actual: 10 }
    );
}

#[test]
fn the_sample_types_decode_leniently_and_keep_what_they_do_not_know() {
    let json = r#"{"widget_id":"a-very-long-widget-id-beyond-16","state":"SOLD_OUT","price":5,
                   "made_at":"2021-01-02T03:04:05.006+08:00","parts":{"name":"bolt"},"extra":1}"#;
    let widget: Widget = serde_json::from_str(json).unwrap();
    assert_eq!(widget.state, WidgetState::Unknown("SOLD_OUT".into()));
    assert_eq!(
        widget.parts,
        Some(PartList(vec![types::Part {
            name: "bolt".into()
        }]))
    );
    assert_eq!(
        widget.made_at.unwrap().to_rfc3339(),
        "2021-01-02T03:04:05.006+08:00"
    );
    let back = serde_json::to_value(&widget).unwrap();
    assert_eq!(back["state"], "SOLD_OUT");
    assert_eq!(back["made_at"], "2021-01-02T03:04:05.006+08:00");
    assert_eq!(back["parts"], serde_json::json!([{"name": "bolt"}]));
    assert!(back.get("extra").is_none());
    assert_eq!(WidgetState::from("IN_STOCK"), WidgetState::InStock);
}
