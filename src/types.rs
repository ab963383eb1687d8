//! The data types of the spec: responses, their enums and the error body. Generated from
//! `schema/openapi.yaml` into `generated/types.rs` by `cargo xtask codegen`.

include!("../generated/types.rs");
