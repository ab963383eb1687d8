//! What the generated types call besides the public API: open enums that keep values this
//! version does not know, and lists that may arrive as one bare object.

pub(crate) mod one_or_many;
pub(crate) mod open_enum;
