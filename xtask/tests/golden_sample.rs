//! The generator's golden output for `golden/openapi.yaml` (and for the pages of other endpoints,
//! `pages/`), compiled against the library as a user's crate would compile it, so that a generator
//! change that breaks the code it emits fails here, and exercised so that every feature of the
//! generator is seen working on a spec other than the project's own.

// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

// What the generated code names as `crate::…`: the library's public API and its hidden
// `__generated` helpers, seen from this crate's root as they are from the library's.
#[allow(unused_imports)]
use wechatpay_ecommerce::{
    __generated, DocumentedError, EncryptError, EncryptionKey, Error, ErrorCode, InvalidParameter,
    Operation, ParameterRule, PrepareError, PreparedRequest, QueryEncoding, QueryString, Request,
    Response, RetryPolicy, Sensitive,
};

/// The client the generated methods are added to: the library's, wrapped, since a crate adds
/// methods only to its own types.
pub struct Client(wechatpay_ecommerce::Client);

impl Client {
    /// What each generated method calls.
    pub async fn execute<Q: Request>(&self, request: &Q) -> Result<Response<Q::Response>, Error> {
        self.0.execute(request).await
    }
}

#[rustfmt::skip]
#[path = "golden/expected/common.rs"]
mod common;
#[rustfmt::skip]
#[path = "golden/expected/shops.rs"]
mod shops;
#[rustfmt::skip]
#[path = "golden/expected/widgets.rs"]
mod widgets;

use common::WidgetState;
use shops::{CreateWidgetRequest, NewPart, Owner};
use widgets::{FindWidgetRequest, PartList, QueryWidgetPriceRequest, Widget, WidgetKey};

/// Each family's operations are methods of its handle, reached from the client.
#[allow(unused)]
async fn handles(client: &Client, find: &FindWidgetRequest, create: &CreateWidgetRequest) {
    let _: Result<Response<Widget>, Error> = client.widgets().find(find).await;
    let _: Result<Response<()>, Error> = client.shops().create_widget(create).await;
    // A family re-exports the shared types it uses.
    let _: Option<shops::WidgetState> = None::<WidgetState>;
}

/// Validates a request and builds it, as the client does before signing.
fn prepare<Q: Request>(request: &Q) -> Result<PreparedRequest<Q::Response>, InvalidParameter> {
    match PreparedRequest::new("http://127.0.0.1:1/", request) {
        Ok(prepared) => Ok(prepared),
        Err(PrepareError::InvalidRequest(invalid)) => Err(invalid),
        Err(other) => panic!("not a validation error: {other}"),
    }
}

/// A fresh RSA key pair: the encrypting half as an [`EncryptionKey`] named `serial`, and the
/// decrypting half.
fn key_pair(serial: &str) -> (EncryptionKey, aws_lc_rs::rsa::OaepPrivateDecryptingKey) {
    use aws_lc_rs::encoding::AsDer;
    use base64::Engine;
    let private =
        aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let public = private.public_key();
    let spki = public.as_der().unwrap();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(spki.as_ref())
    );
    let public_key = wechatpay_ecommerce::WechatPayPublicKey::from_pem(serial, &pem).unwrap();
    let key = EncryptionKey::from(&public_key);
    (
        key,
        aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(private).unwrap(),
    )
}

fn new_widget() -> CreateWidgetRequest {
    CreateWidgetRequest::builder()
        .shop_id("S/1?#%")
        .name("wid")
        .state(WidgetState::New)
        .parts(vec![NewPart {
            label: "ab".into(),
            count: 2,
            secret: Some("秘密".into()),
        }])
        .owner(Owner {
            real_name: "张三".into(),
        })
        .build()
        .unwrap()
}

#[test]
fn a_body_is_written_once_with_its_sensitive_fields_encrypted() {
    let (key, decrypting) = key_pair("PUB_KEY_ID_0000000000000000000000000000000001");
    let prepared =
        PreparedRequest::with_encryption("http://127.0.0.1:1", &new_widget(), Some(&key)).unwrap();
    // The path parameter is one segment, whatever it holds; no query without the optional one.
    assert_eq!(
        prepared.path_and_query(),
        "/v1/shops/S%2F1%3F%23%25/widgets"
    );
    assert_eq!(prepared.encrypted_with(), Some(key.serial()));
    assert!(!prepared.body().contains("张三") && !prepared.body().contains("秘密"));
    let body: serde_json::Value = serde_json::from_str(prepared.body()).unwrap();
    assert_eq!(body["name"], "wid");
    assert_eq!(body["state"], "NEW");
    assert_eq!(body["parts"][0]["label"], "ab");
    assert_eq!(body["parts"][0]["count"], 2);
    assert!(
        body.get("made_at").is_none(),
        "an absent optional field is left out"
    );
    assert!(
        body.get("shop_id").is_none(),
        "a path parameter is not in the body"
    );
    let decrypt = |field: &serde_json::Value| {
        use base64::Engine;
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(field.as_str().unwrap())
            .unwrap();
        let mut out = vec![0u8; decrypting.min_output_size()];
        let plain = decrypting
            .decrypt(
                &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                &ciphertext,
                &mut out,
                None,
            )
            .unwrap();
        String::from_utf8(plain.to_vec()).unwrap()
    };
    assert_eq!(decrypt(&body["owner"]["real_name"]), "张三");
    assert_eq!(decrypt(&body["parts"][0]["secret"]), "秘密");
    assert_eq!(
        shops::CREATE_WIDGET.sensitive_fields,
        ["/parts/*/secret", "/owner/real_name"]
    );
    const { assert!(shops::CREATE_WIDGET.idempotent) };

    // Without a key, nothing is built.
    assert!(matches!(
        PreparedRequest::new("http://127.0.0.1:1", &new_widget()),
        Err(PrepareError::Encryption(EncryptError::NoKey))
    ));
}

#[test]
fn nested_rules_name_the_path_down_to_the_field() {
    let (key, _) = key_pair("PUB_KEY_ID_0000000000000000000000000000000001");
    let rejected = |edit: &dyn Fn(&mut CreateWidgetRequest)| {
        let mut request = new_widget();
        edit(&mut request);
        match PreparedRequest::with_encryption("http://127.0.0.1:1", &request, Some(&key)) {
            Err(PrepareError::InvalidRequest(invalid)) => invalid,
            other => panic!("{other:?}"),
        }
    };
    let second_part = |label: &str| NewPart {
        label: label.into(),
        count: 1,
        secret: None,
    };
    let error = rejected(&|r| r.parts.push(second_part("aB")));
    assert_eq!(error.parameter, "parts[1].label");
    assert_eq!(
        error.rule,
        ParameterRule::Charset {
            allowed: "a-z",
            found: 'B'
        }
    );
    let error = rejected(&|r| r.owner.real_name = "".into());
    assert_eq!(error.parameter, "owner.real_name");
    assert_eq!(error.rule, ParameterRule::Required);
    let error = rejected(&|r| r.parts.clear());
    assert_eq!(
        (error.parameter.as_str(), error.rule),
        ("parts", ParameterRule::Required)
    );
    let error = rejected(&|r| r.parts.extend([second_part("c"), second_part("d")]));
    assert_eq!(error.rule, ParameterRule::MaxItems { max: 2, actual: 3 });
    let error = rejected(&|r| r.shop_id = "..".into());
    assert_eq!(
        (error.parameter.as_str(), error.rule),
        ("shop_id", ParameterRule::DotSegment)
    );
}

#[test]
fn a_path_segment_and_a_query_parameter_mix() {
    let request = QueryWidgetPriceRequest::builder()
        .widget_id("W 1/2")
        .currency("CNY")
        .build()
        .unwrap();
    let prepared = prepare(&request).unwrap();
    assert_eq!(
        prepared.path_and_query(),
        "/v1/widgets/W%201%2F2/price?currency=CNY"
    );
    assert_eq!(prepared.body(), "");
    assert_eq!(
        widgets::QUERY_WIDGET_PRICE.example_answer,
        Some(r#"{"widget_id":"W1","state":"NEW","price":100}"#)
    );
}

#[test]
fn optional_parameters_are_left_out_and_groups_send_the_chosen_member() {
    let mut request = FindWidgetRequest::builder()
        .shop_id("S1")
        .key(WidgetKey::OutWidgetNo("w_1-2".into()))
        .build()
        .unwrap();
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
    let request = FindWidgetRequest::builder()
        .shop_id("S1")
        .key(WidgetKey::WidgetId("UPPER".into()))
        .build()
        .unwrap();
    assert!(prepare(&request).is_ok());
    // The builder checks what the client would check before sending.
    let built = FindWidgetRequest::builder()
        .shop_id("S1")
        .key(WidgetKey::OutWidgetNo("UPPER".into()))
        .build();
    assert_eq!(
        built.unwrap_err(),
        InvalidParameter {
            parameter: "out_widget_no".to_owned(),
            rule: ParameterRule::Charset {
                allowed: r"0-9a-z_\-",
                found: 'U'
            },
        }
    );
    // A request written as a struct literal is checked when it is prepared.
    let request = FindWidgetRequest {
        shop_id: "S123456789".into(),
        key: WidgetKey::WidgetId("w".into()),
        colour: None,
    };
    assert_eq!(
        prepare(&request).unwrap_err().rule,
        ParameterRule::MaxLength { max: 8, actual: 10 }
    );
    // A required field left unset is named by the builder.
    let unset = FindWidgetRequest::builder().shop_id("S1").build();
    assert_eq!(
        unset.unwrap_err(),
        InvalidParameter {
            parameter: "widget_id` or `out_widget_no".to_owned(),
            rule: ParameterRule::NotSet,
        }
    );
}

#[test]
fn the_sample_types_decode_leniently_and_keep_what_they_do_not_know() {
    let json = r#"{"widget_id":"a-very-long-widget-id-beyond-16","state":"SOLD_OUT","price":5,
                   "made_at":"2021-01-02T03:04:05.006+08:00","parts":{"name":"bolt"},"extra":1}"#;
    let widget: Widget = serde_json::from_str(json).unwrap();
    assert_eq!(widget.state, WidgetState::Unknown("SOLD_OUT".into()));
    // One bare object: a list of one.
    let parts: Vec<&str> = widget
        .parts
        .iter()
        .flat_map(|list: &PartList| list.iter().map(|part| part.name.as_str()))
        .collect();
    assert_eq!(parts, ["bolt"]);
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
