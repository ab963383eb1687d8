//! The generator's own tests: drift detection, golden output and errors that name the spec element.

use std::path::PathBuf;

use super::*;

/// `cargo test` fails when the spec was edited without regenerating.
#[test]
fn generated_code_is_up_to_date() {
    assert_eq!(
        generate(&Target::project(), true).unwrap(),
        Outcome::UpToDate
    );
}

fn golden() -> Target {
    let dir = repo_root().join("xtask/tests/golden");
    Target {
        spec: dir.join("openapi.yaml"),
        out_dir: dir.join("expected"),
        spec_label: "xtask/tests/golden/openapi.yaml".to_owned(),
    }
}

/// The generator's output for the sample spec is checked in (and compiled against the library by `xtask/tests/golden_sample.rs`),
/// so a change to the generator shows as a diff. `XTASK_BLESS=1` rewrites it.
#[test]
fn golden_output_matches() {
    let bless = std::env::var_os("XTASK_BLESS").is_some();
    assert_eq!(
        generate(&golden(), !bless).unwrap(),
        Outcome::UpToDate,
        "the golden output is stale: review the generator change, then run \
         `XTASK_BLESS=1 cargo test -p xtask golden`"
    );
}

#[test]
fn output_is_deterministic() {
    let spec = std::fs::read_to_string(repo_root().join("schema/openapi.yaml")).unwrap();
    let first = render_text(&spec, "x").unwrap();
    for _ in 0..3 {
        assert_eq!(render_text(&spec, "x").unwrap(), first);
    }
}

/// A scratch folder under the target directory, empty at the start.
fn scratch(name: &str) -> PathBuf {
    let dir = repo_root().join("target/xtask-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Adding a property to the spec makes `--check` fail, naming the stale file, until `codegen` is
/// run; then the property is in the generated code.
#[test]
fn a_new_property_is_stale_until_regenerated() {
    let dir = scratch("new-property");
    let spec = dir.join("openapi.yaml");
    let original = std::fs::read_to_string(golden().spec).unwrap();
    std::fs::write(&spec, &original).unwrap();
    let target = Target {
        spec: spec.clone(),
        out_dir: dir.join("out"),
        spec_label: "spec".to_owned(),
    };
    assert_eq!(generate(&target, false).unwrap(), Outcome::UpToDate);
    assert_eq!(generate(&target, true).unwrap(), Outcome::UpToDate);

    let edited = original.replacen(
        "          description: When the widget was made.\n",
        "          description: When the widget was made.\n        serial_no:\n          type: string\n          description: The serial number.\n",
        1,
    );
    assert_ne!(edited, original);
    std::fs::write(&spec, edited).unwrap();
    let types = dir.join("out/types.rs");
    assert!(
        !std::fs::read_to_string(&types)
            .unwrap()
            .contains("serial_no")
    );
    assert_eq!(
        generate(&target, true).unwrap(),
        Outcome::Stale(vec![types.clone()])
    );
    assert!(
        !std::fs::read_to_string(&types)
            .unwrap()
            .contains("serial_no"),
        "--check wrote"
    );

    assert_eq!(generate(&target, false).unwrap(), Outcome::UpToDate);
    let regenerated = std::fs::read_to_string(&types).unwrap();
    assert!(regenerated.contains("pub serial_no: ::std::option::Option<::std::string::String>"));
    assert_eq!(generate(&target, true).unwrap(), Outcome::UpToDate);
}

/// The golden spec with `from` replaced by `to`, rendered; the error's message.
fn error_after(from: &str, to: &str) -> String {
    let original = std::fs::read_to_string(golden().spec).unwrap();
    assert!(original.contains(from), "the sample spec has no {from:?}");
    match render_text(&original.replacen(from, to, 1), "spec") {
        Ok(_) => panic!("replacing {from:?} by {to:?} still generated"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn errors_name_the_spec_element_at_fault() {
    let cases = [
        (
            "        IN_STOCK: 有货\n",
            "",
            "#/components/schemas/WidgetState/x-enum-descriptions: no description for the value IN_STOCK",
        ),
        (
            "$ref: \"#/components/schemas/WidgetState\"",
            "$ref: \"#/components/schemas/Nope\"",
            "#/components/schemas/CreateWidgetRequest/properties/state/$ref",
        ),
        (
            "pattern: \"^[0-9a-z_\\\\-]+$\"",
            "pattern: \"^(a|b)$\"",
            "#/paths/~1v1~1widgets/get/parameters/2/schema/pattern",
        ),
        (
            "      operationId: findWidget\n",
            "",
            "#/paths/~1v1~1widgets/get/operationId",
        ),
        (
            "          in: query\n          required: true\n",
            "          in: header\n          required: true\n",
            "#/paths/~1v1~1widgets/get/parameters/0/in",
        ),
        (
            "          description: The part's name.\n",
            "",
            "#/components/schemas/Part/properties/name: a property needs a description",
        ),
        (
            "parameters: [widget_id, out_widget_no]",
            "parameters: [widget_id, nope]",
            "#/paths/~1v1~1widgets/get/x-exactly-one-of/0/parameters: no parameter nope",
        ),
        (
            "openapi: 3.0.3",
            "openapi: 3.1.0",
            "#/openapi: expected an OpenAPI 3.0.x version",
        ),
        (
            "        - $ref: \"#/components/schemas/Part\"\n",
            "",
            "#/components/schemas/PartList/oneOf",
        ),
        (
            "              solution: Check the id.\n",
            "",
            "#/paths/~1v1~1widgets/get/responses/404/x-error-codes/0/solution",
        ),
        (
            "      operationId: findWidget\n",
            "      operationId: findWidget\n      x-business-number: key\n",
            "#/paths/~1v1~1widgets/get/x-business-number: no business number on a GET",
        ),
        (
            "      x-idempotent: true\n",
            "      x-idempotent: true\n      x-business-number: nope\n",
            "#/paths/~1v1~1shops~1{shop_id}~1widgets/post/x-business-number",
        ),
    ];
    let names = [
        (
            "  schemas:\n",
            "  schemas:\n    widget_state:\n      type: object\n      description: A badly named schema.\n",
            "#/components/schemas/widget_state: schema names are UpperCamelCase",
        ),
        (
            "        - name: shop_id\n",
            "        - name: 3d\n",
            "#/paths/~1v1~1widgets/get/parameters/0/name: the field name \"3d\" is not a Rust identifier",
        ),
        (
            "field: key\n",
            "field: the key\n",
            "#/paths/~1v1~1widgets/get/x-exactly-one-of/0/field",
        ),
        (
            "      enum: [NEW, IN_STOCK]\n      x-enum-descriptions:\n",
            "      enum: [NEW, IN_STOCK, UNKNOWN]\n      x-enum-descriptions:\n        UNKNOWN: x\n",
            "#/components/schemas/WidgetState/enum/2: the value becomes `Unknown`",
        ),
        (
            "      enum: [NEW, IN_STOCK]\n      x-enum-descriptions:\n",
            "      enum: [NEW, IN_STOCK, 3DS]\n      x-enum-descriptions:\n        3DS: x\n",
            "#/components/schemas/WidgetState/enum/2: the variant name of the value \"3ds\"",
        ),
        (
            "      enum: [NEW, IN_STOCK]\n      x-enum-descriptions:\n",
            "      enum: [NEW, IN_STOCK, in-stock]\n      x-enum-descriptions:\n        in-stock: x\n",
            "#/components/schemas/WidgetState/enum/2: in-stock and IN_STOCK both become the variant InStock",
        ),
    ];
    for (from, to, expected) in cases.into_iter().chain(names) {
        let message = error_after(from, to);
        assert!(
            message.contains(expected),
            "replacing {from:?}: expected {expected:?} in {message:?}"
        );
    }
}

#[test]
fn a_document_of_the_wrong_shape_names_where() {
    let message = error_after("paths:\n", "paths: 7\nx-was-paths:\n");
    assert!(message.starts_with("#/paths"), "{message}");
}

/// A field the wire calls `type` gets a name a Rust user would pick, with its wire name in its docs;
/// a date-time's page length says nothing true about it and is not in its docs.
#[test]
fn keyword_fields_are_renamed_and_date_times_have_no_length() {
    let spec = std::fs::read_to_string(golden().spec).unwrap();
    let spec = spec.replacen("        - name: shop_id\n", "        - name: type\n", 1);
    let spec = spec.replacen(
        "    WidgetState:\n",
        "    Stamp:\n      type: object\n      description: A time stamp.\n      properties:\n        at:\n          type: string\n          format: date-time\n          maxLength: 64\n          description: When.\n        type:\n          $ref: \"#/components/schemas/WidgetState\"\n    WidgetState:\n",
        1,
    );
    let files = render_text(&spec, "x").unwrap();
    let types = &files[0].1;
    let operations = &files[1].1;
    let stamp = &types[types.find("pub struct Stamp").unwrap()..];
    let stamp = &stamp[..stamp.find("\n}").unwrap()];
    // `WidgetState` does not end with `Type`: `kind` (a `ReceiverType` gives `receiver_type`).
    assert!(
        stamp.contains("pub kind: ::std::option::Option<WidgetState>"),
        "{stamp}"
    );
    assert!(stamp.contains("/// On the wire: `type`."), "{stamp}");
    assert!(stamp.contains("#[serde(rename = \"type\""), "{stamp}");
    assert!(!stamp.contains("At most"), "{stamp}");
    // A query parameter `type` of a string: `kind`.
    assert!(
        operations.contains("pub kind: ::std::string::String"),
        "{operations}"
    );
    assert!(operations.contains("query.push(\"type\""), "{operations}");
}

#[test]
fn the_business_number_is_the_one_out_no_field_or_the_one_named() {
    let original = std::fs::read_to_string(golden().spec).unwrap();
    let operations = |spec: &str| {
        render_text(spec, "spec")
            .unwrap()
            .into_iter()
            .find(|(name, _)| *name == "operations.rs")
            .map(|(_, text)| text)
            .unwrap()
    };
    let create = |text: &str| {
        let start = text.find("pub const CREATE_WIDGET").unwrap();
        let end = start + text[start..].find("};").unwrap();
        text[start..end].to_owned()
    };
    // The sample's POST has no `out_…_no` field: none.
    assert!(
        create(&operations(&original)).contains("business_number: ::std::option::Option::None")
    );
    // A required path parameter named `out_…_no` is one.
    let renamed = original
        .replace("{shop_id}", "{out_shop_no}")
        .replace("        - name: shop_id\n", "        - name: out_shop_no\n")
        .replace("~1{shop_id}~1", "~1{out_shop_no}~1");
    assert!(
        create(&operations(&renamed))
            .contains("business_number: ::std::option::Option::Some(\"out_shop_no\")"),
        "{}",
        create(&operations(&renamed))
    );
    // Or the one the spec names.
    let named = original.replacen(
        "      x-idempotent: true\n",
        "      x-idempotent: true\n      x-business-number: shop_id\n",
        1,
    );
    assert!(
        create(&operations(&named))
            .contains("business_number: ::std::option::Option::Some(\"shop_id\")")
    );
}
