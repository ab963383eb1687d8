//! The request side: what an operation is ([`operation`]), the rules a request must keep
//! ([`validate`]), and its path, query and body built once ([`path`], [`query`], [`prepared`]).

pub(crate) mod operation;
pub(crate) mod path;
pub(crate) mod prepared;
pub(crate) mod query;
pub(crate) mod validate;
