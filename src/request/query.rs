//! The query string of a request, built once and used both to sign and to send.
//!
//! WeChat Pay signs the path and query exactly as they travel (PROTOCOL.md section 1), so the one
//! string this module produces is what the signature covers and what goes on the wire.

use percent_encoding::utf8_percent_encode;

/// Characters sent as they are: RFC 3986's unreserved set; see [`crate::request::path`].
const ENCODE: &percent_encoding::AsciiSet = crate::request::path::ENCODED;

/// A query string under construction: `name=value` pairs joined by `&`, in the order pushed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryString {
    encoded: String,
}

impl QueryString {
    /// An empty query string.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name=value`, both percent-encoded.
    pub fn push(&mut self, name: &str, value: &str) {
        if !self.encoded.is_empty() {
            self.encoded.push('&');
        }
        self.encoded.extend(utf8_percent_encode(name, ENCODE));
        self.encoded.push('=');
        self.encoded.extend(utf8_percent_encode(value, ENCODE));
    }

    /// The encoded query, without the leading `?`.
    pub fn finish(self) -> String {
        self.encoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_their_order_and_unreserved_characters() {
        let mut q = QueryString::new();
        q.push("sub_mchid", "1900000109");
        q.push("out_return_no", "R-2019.05_16~1");
        assert_eq!(
            q.finish(),
            "sub_mchid=1900000109&out_return_no=R-2019.05_16~1"
        );
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_percent_encoded_as_utf8() {
        let mut q = QueryString::new();
        q.push("out_return_no", "a|b*c@d e&f=g+h/分");
        assert_eq!(
            q.finish(),
            "out_return_no=a%7Cb%2Ac%40d%20e%26f%3Dg%2Bh%2F%E5%88%86"
        );
    }

    #[test]
    fn an_empty_query_is_the_empty_string() {
        assert_eq!(QueryString::new().finish(), "");
    }
}
