//! Percent-encoding of what goes in a URL: path segments and query pairs.
//!
//! Everything outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) is percent-encoded as
//! UTF-8, so that a value can never change the structure of the URL (a `/`, `?`, `#` or `%` in an
//! id stays inside its segment) and the string is the same whatever HTTP library later parses it.
//! It is the set Python's `urllib.parse.quote(value, safe='')` leaves as it is.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The characters percent-encoded: all but RFC 3986's unreserved ones.
pub(crate) const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `value` to `path` as one percent-encoded path segment. The generated `write_path`
/// methods call it for each `{name}` of an operation's path; the generated `validate` has already
/// refused `.` and `..`, the two segments encoding cannot neutralise.
pub fn push_segment(path: &mut String, value: &str) {
    path.extend(utf8_percent_encode(value, ENCODED));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_cannot_change_the_path() {
        let mut path = "/v3/orders/".to_owned();
        push_segment(&mut path, "a/b?c#d%e f.g_h~i-分");
        assert_eq!(path, "/v3/orders/a%2Fb%3Fc%23d%25e%20f.g_h~i-%E5%88%86");
    }
}
