//! Checks on request parameters, run before anything is signed or sent.
//!
//! The generated request types call these functions with the rules of the spec (`required`,
//! `maxLength`, `pattern`), so a request the API would reject for its shape never leaves the process.

use std::fmt;

/// A request field broke a rule of the spec; nothing was sent.
///
/// The error names the field as it travels on the wire (e.g. `out_return_no`), with the path down
/// to it when it is nested (`receivers[2].description`), and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidParameter {
    /// The field's wire name, or its path from the request down to it, e.g. `sub_mchid` or
    /// `receivers[2].description`.
    pub parameter: String,
    /// The rule it broke.
    pub rule: ParameterRule,
}

impl InvalidParameter {
    fn new(parameter: &str, rule: ParameterRule) -> Self {
        Self {
            parameter: parameter.to_owned(),
            rule,
        }
    }

    /// The same error seen from the object that holds the field: `description` inside item 2 of
    /// `receivers` becomes `receivers[2].description`. The generated `validate` methods call it.
    pub fn within(mut self, field: &str, index: Option<usize>) -> Self {
        self.parameter = match index {
            Some(index) => format!("{field}[{index}].{}", self.parameter),
            None => format!("{field}.{}", self.parameter),
        };
        self
    }
}

/// A rule a request parameter must follow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParameterRule {
    /// The parameter is required (必填) and was empty.
    Required,
    /// The parameter is required (必填) and its builder's setter was not called.
    NotSet,
    /// The parameter is longer than the spec's `maxLength`, counted in characters.
    MaxLength {
        /// The most characters allowed.
        max: usize,
        /// How many characters the value had.
        actual: usize,
    },
    /// A list holds more items than the spec's `maxItems`.
    MaxItems {
        /// The most items allowed.
        max: usize,
        /// How many items the list had.
        actual: usize,
    },
    /// A path segment is `.` or `..`, which an HTTP library would read as a move in the path
    /// rather than as a value, whatever the encoding.
    DotSegment,
    /// The parameter holds a character outside the spec's `pattern`.
    Charset {
        /// The allowed characters, as the spec's character class, e.g. `0-9A-Za-z_\-|*@`.
        allowed: &'static str,
        /// The first character that is not allowed.
        found: char,
    },
}

impl fmt::Display for InvalidParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.parameter;
        match &self.rule {
            ParameterRule::Required => {
                write!(f, "request parameter `{name}` is required and was empty")
            }
            ParameterRule::NotSet => {
                write!(f, "request parameter `{name}` is required and was not set")
            }
            ParameterRule::MaxLength { max, actual } => write!(
                f,
                "request parameter `{name}` is {actual} characters long; at most {max} are allowed"
            ),
            ParameterRule::MaxItems { max, actual } => write!(
                f,
                "request field `{name}` has {actual} items; at most {max} are allowed"
            ),
            ParameterRule::DotSegment => write!(
                f,
                "request parameter `{name}` is a path segment and cannot be `.` or `..`"
            ),
            ParameterRule::Charset { allowed, found } => write!(
                f,
                "request parameter `{name}` holds {found:?}; only the characters [{allowed}] are allowed"
            ),
        }
    }
}

impl std::error::Error for InvalidParameter {}

/// The error of a builder whose required field was not set.
pub fn missing(parameter: &'static str) -> InvalidParameter {
    InvalidParameter::new(parameter, ParameterRule::NotSet)
}

/// Fails when a required parameter is empty.
pub fn check_required(parameter: &'static str, value: &str) -> Result<(), InvalidParameter> {
    if value.is_empty() {
        return Err(InvalidParameter::new(parameter, ParameterRule::Required));
    }
    Ok(())
}

/// Fails when a required list is empty.
pub fn check_not_empty(parameter: &'static str, len: usize) -> Result<(), InvalidParameter> {
    if len == 0 {
        return Err(InvalidParameter::new(parameter, ParameterRule::Required));
    }
    Ok(())
}

/// Fails when a list has more than `max` items.
pub fn check_max_items(
    parameter: &'static str,
    len: usize,
    max: usize,
) -> Result<(), InvalidParameter> {
    if len > max {
        return Err(InvalidParameter::new(
            parameter,
            ParameterRule::MaxItems { max, actual: len },
        ));
    }
    Ok(())
}

/// Fails on a path segment of `.` or `..`: percent-encoding cannot keep those from moving the
/// path (`%2E%2E` is `..` to a URL parser too).
pub fn check_path_segment(parameter: &'static str, value: &str) -> Result<(), InvalidParameter> {
    if value == "." || value == ".." {
        return Err(InvalidParameter::new(parameter, ParameterRule::DotSegment));
    }
    Ok(())
}

/// Fails when a parameter has more than `max` characters.
pub fn check_max_length(
    parameter: &'static str,
    value: &str,
    max: usize,
) -> Result<(), InvalidParameter> {
    // Counting bytes first keeps the common ASCII case free of a character walk.
    if value.len() <= max {
        return Ok(());
    }
    let actual = value.chars().count();
    if actual > max {
        return Err(InvalidParameter::new(
            parameter,
            ParameterRule::MaxLength { max, actual },
        ));
    }
    Ok(())
}

/// Fails on the first character of `value` outside every one of the inclusive `ranges`.
///
/// `allowed` is the character class as the spec writes it, for the error message.
pub fn check_charset(
    parameter: &'static str,
    value: &str,
    allowed: &'static str,
    ranges: &[(char, char)],
) -> Result<(), InvalidParameter> {
    let in_class = |c: char| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c));
    match value.chars().find(|c| !in_class(*c)) {
        Some(found) => Err(InvalidParameter::new(
            parameter,
            ParameterRule::Charset { allowed, found },
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_errors_name_the_path_down_to_the_field() {
        let error = check_max_length("description", "abc", 2)
            .unwrap_err()
            .within("receivers", Some(2))
            .within("order", None);
        assert_eq!(error.parameter, "order.receivers[2].description");
        assert_eq!(
            error.to_string(),
            "request parameter `order.receivers[2].description` is 3 characters long; at most 2 are allowed"
        );
    }

    #[test]
    fn lists_and_path_segments_have_their_own_rules() {
        assert_eq!(
            check_not_empty("receivers", 0).unwrap_err().rule,
            ParameterRule::Required
        );
        assert_eq!(check_not_empty("receivers", 1), Ok(()));
        assert_eq!(
            check_max_items("receivers", 51, 50).unwrap_err().rule,
            ParameterRule::MaxItems {
                max: 50,
                actual: 51
            }
        );
        assert_eq!(check_max_items("receivers", 50, 50), Ok(()));
        for dots in [".", ".."] {
            assert_eq!(
                check_path_segment("transaction_id", dots).unwrap_err().rule,
                ParameterRule::DotSegment
            );
        }
        assert_eq!(check_path_segment("transaction_id", "..."), Ok(()));
        assert_eq!(check_path_segment("transaction_id", "a/../b"), Ok(()));
    }

    #[test]
    fn required_rejects_only_the_empty_string() {
        assert_eq!(
            check_required("sub_mchid", ""),
            Err(InvalidParameter {
                parameter: "sub_mchid".to_owned(),
                rule: ParameterRule::Required
            })
        );
        assert_eq!(check_required("sub_mchid", " "), Ok(()));
    }

    #[test]
    fn max_length_counts_characters_not_bytes() {
        assert_eq!(check_max_length("d", "分账完结", 4), Ok(()));
        assert_eq!(
            check_max_length("d", "分账完结!", 4),
            Err(InvalidParameter {
                parameter: "d".to_owned(),
                rule: ParameterRule::MaxLength { max: 4, actual: 5 }
            })
        );
        assert_eq!(check_max_length("d", "abcd", 4), Ok(()));
        assert!(check_max_length("d", "abcde", 4).is_err());
    }

    #[test]
    fn charset_reports_the_first_bad_character() {
        let digits = &[('0', '9')];
        assert_eq!(check_charset("n", "0123", "0-9", digits), Ok(()));
        let err = check_charset("n", "01a2b", "0-9", digits).unwrap_err();
        assert_eq!(
            err.rule,
            ParameterRule::Charset {
                allowed: "0-9",
                found: 'a'
            }
        );
        assert_eq!(
            err.to_string(),
            "request parameter `n` holds 'a'; only the characters [0-9] are allowed"
        );
    }
}
