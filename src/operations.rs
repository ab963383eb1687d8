//! The operations of the spec: request types and their builders, operation metadata and the
//! [`Client`](crate::Client) methods. Generated from `schema/openapi.yaml` into
//! `generated/operations.rs` by `cargo xtask codegen`.

include!("../generated/operations.rs");
