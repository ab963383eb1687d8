//! What the generated code calls besides the public API: open enums that keep values this
//! version does not know, lists that may arrive as one bare object, and request builders.

pub(crate) mod one_or_many;
pub(crate) mod open_enum;
pub(crate) mod request_builder;
