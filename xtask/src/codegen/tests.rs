//! The generator's own tests: drift detection, golden output and errors that name the spec element.

use std::path::PathBuf;

use super::*;

/// Each family is a module of its own: its operations, its handle and what only it uses; what two
/// families use is `common`, which each re-exports where it uses it; `mod.rs` puts each family
/// behind its feature.
#[test]
fn families_are_modules_and_what_they_share_is_common() {
    let spec = std::fs::read_to_string(golden().spec).unwrap();
    let files = render_text(&spec, "x").unwrap();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["common.rs", "widgets.rs", "shops.rs", "mod.rs"]);
    let file = |name: &str| files.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let (common, widgets, shops) = (file("common.rs"), file("widgets.rs"), file("shops.rs"));
    // Both families answer with a WidgetState: it is common, and each family re-exports it.
    assert!(common.contains("pub enum WidgetState"));
    assert!(shops.contains("pub use super::common::WidgetState;"));
    assert!(
        widgets.contains("pub use super::common::WidgetState;"),
        "{widgets}"
    );
    // What one family alone uses is its own.
    assert!(widgets.contains("pub struct Widget {"));
    assert!(!common.contains("pub struct Widget {"));
    assert!(shops.contains("pub struct CreateWidgetRequest"));
    // The operations are methods of the family's handle.
    assert!(widgets.contains("pub struct Widgets<'a>"));
    assert!(widgets.contains("pub fn widgets(&self) -> Widgets<'_>"));
    assert!(widgets.contains("pub async fn find(\n"), "{widgets}");
    assert!(widgets.contains("pub async fn query_price(\n"));
    // Short names, imported once.
    assert!(!widgets.contains("::std::"), "{widgets}");
    assert!(widgets.contains("use serde::{Deserialize, Serialize};"));
    assert_eq!(
        file("mod.rs")
            .lines()
            .filter(|l| l.starts_with("#[cfg(feature = "))
            .collect::<Vec<_>>(),
        [
            "#[cfg(feature = \"widgets\")]",
            "#[cfg(feature = \"shops\")]"
        ]
    );
}

/// A file the spec no longer generates (its family gone) is stale under `--check`, and removed
/// by a run.
#[test]
fn a_file_of_a_family_gone_is_stale_then_removed() {
    let dir = scratch("family-gone");
    let spec = dir.join("openapi.yaml");
    std::fs::write(&spec, std::fs::read_to_string(golden().spec).unwrap()).unwrap();
    let target = Target {
        spec,
        out_dir: dir.join("out"),
        spec_label: "spec".to_owned(),
    };
    assert_eq!(generate(&target, false).unwrap(), Outcome::UpToDate);
    let gone = dir.join("out/gone.rs");
    std::fs::write(&gone, "// a family that was\n").unwrap();
    assert_eq!(
        generate(&target, true).unwrap(),
        Outcome::Stale(vec![gone.clone()])
    );
    assert!(gone.exists());
    assert_eq!(generate(&target, false).unwrap(), Outcome::UpToDate);
    assert!(!gone.exists());
}

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
    let types = dir.join("out/widgets.rs");
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
    assert!(regenerated.contains("pub serial_no: Option<String>"));
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
            "      tags: [shops]\n",
            "",
            "#/paths/~1v1~1shops~1{shop_id}~1widgets/post/tags: one tag",
        ),
        (
            "      tags: [shops]\n",
            "      tags: [stores]\n",
            "#/paths/~1v1~1shops~1{shop_id}~1widgets/post/tags/0: \"stores\" is not a tag",
        ),
        (
            "  - name: shops\n",
            "  - name: common\n",
            "#/tags/1/name: a family is a snake_case module name other than common",
        ),
        (
            "      x-method: find\n",
            "",
            "#/paths/~1v1~1widgets/get/x-method",
        ),
        (
            "      x-method: query_price\n",
            "      x-method: find\n",
            "x-method find is another operation's method in the family widgets",
        ),
        (
            "    WidgetState:\n",
            "    Shops:\n      type: object\n      description: x\n      properties: {}\n    WidgetState:\n",
            "#/components/schemas/Shops: Shops is the handle of the family shops",
        ),
        (
            "    WidgetState:\n",
            "    Result:\n      type: object\n      description: x\n      properties: {}\n    WidgetState:\n",
            "#/components/schemas/Result: Result is a name the generated code uses",
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
    let code: String = files.iter().map(|(_, text)| text.as_str()).collect();
    let (types, operations) = (&code, &code);
    let stamp = &types[types.find("pub struct Stamp").unwrap()..];
    let stamp = &stamp[..stamp.find("\n}").unwrap()];
    // `WidgetState` does not end with `Type`: `kind` (a `ReceiverType` gives `receiver_type`).
    assert!(stamp.contains("pub kind: Option<WidgetState>"), "{stamp}");
    assert!(stamp.contains("/// On the wire: `type`."), "{stamp}");
    assert!(stamp.contains("#[serde(rename = \"type\""), "{stamp}");
    assert!(!stamp.contains("At most"), "{stamp}");
    // A query parameter `type` of a string: `kind`.
    assert!(operations.contains("pub kind: String"), "{operations}");
    assert!(operations.contains("query.push(\"type\""), "{operations}");
}

#[test]
fn the_business_number_is_the_one_out_no_field_or_the_one_named() {
    let original = std::fs::read_to_string(golden().spec).unwrap();
    let operations = |spec: &str| {
        render_text(spec, "spec")
            .unwrap()
            .into_iter()
            .map(|(_, text)| text)
            .collect::<String>()
    };
    let create = |text: &str| {
        let start = text.find("pub const CREATE_WIDGET").unwrap();
        let end = start + text[start..].find("};").unwrap();
        text[start..end].to_owned()
    };
    // The sample's POST has no `out_…_no` field: none.
    assert!(create(&operations(&original)).contains("business_number: Option::None"));
    // A required path parameter named `out_…_no` is one.
    let renamed = original
        .replace("{shop_id}", "{out_shop_no}")
        .replace("        - name: shop_id\n", "        - name: out_shop_no\n")
        .replace("~1{shop_id}~1", "~1{out_shop_no}~1");
    assert!(
        create(&operations(&renamed)).contains("business_number: Option::Some(\"out_shop_no\")"),
        "{}",
        create(&operations(&renamed))
    );
    // Or the one the spec names.
    let named = original.replacen(
        "      x-idempotent: true\n",
        "      x-idempotent: true\n      x-business-number: shop_id\n",
        1,
    );
    assert!(create(&operations(&named)).contains("business_number: Option::Some(\"shop_id\")"));
}

/// Each family of the project's spec is a Cargo feature of the library, on by default, and the
/// simulator (which plays every family) turns each on: a family whose feature is missing would
/// compile nowhere.
#[test]
fn every_family_is_a_default_feature_the_simulator_needs() {
    let spec = spec::Spec::parse(
        &std::fs::read_to_string(repo_root().join("schema/openapi.yaml")).unwrap(),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let features = &manifest[manifest.find("\n[features]\n").unwrap()..];
    let features = &features[..features[1..].find("\n[").map_or(features.len(), |i| i + 1)];
    let line = |name: &str| {
        features
            .lines()
            .find(|l| l.starts_with(&format!("{name} = [")))
            .unwrap_or_else(|| panic!("no feature {name} in Cargo.toml"))
            .to_owned()
    };
    for family in layout::families(&spec).unwrap() {
        let quoted = format!("\"{}\"", family.feature);
        line(&family.feature);
        assert!(
            line("default").contains(&quoted),
            "{} is not a default feature",
            family.feature
        );
        assert!(
            line("simulator").contains(&quoted),
            "the simulator needs {}",
            family.feature
        );
    }
}
