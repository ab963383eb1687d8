//! Checks on request parameters, run before anything is signed or sent.
//!
//! The generated request types call these functions with the rules of the spec (`required`,
//! `maxLength`, `pattern`), so a request the API would reject for its shape never leaves the process.

use std::fmt;

/// A request parameter broke a rule of the spec; nothing was sent.
///
/// The error names the parameter as it travels on the wire (e.g. `out_return_no`) and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidParameter {
    /// The parameter's wire name, e.g. `sub_mchid`.
    pub parameter: &'static str,
    /// The rule it broke.
    pub rule: ParameterRule,
}

/// A rule a request parameter must follow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParameterRule {
    /// The parameter is required (必填) and was empty.
    Required,
    /// The parameter is longer than the spec's `maxLength`, counted in characters.
    MaxLength {
        /// The most characters allowed.
        max: usize,
        /// How many characters the value had.
        actual: usize,
    },
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
        let name = self.parameter;
        match &self.rule {
            ParameterRule::Required => {
                write!(f, "request parameter `{name}` is required and was empty")
            }
            ParameterRule::MaxLength { max, actual } => write!(
                f,
                "request parameter `{name}` is {actual} characters long; at most {max} are allowed"
            ),
            ParameterRule::Charset { allowed, found } => write!(
                f,
                "request parameter `{name}` holds {found:?}; only the characters [{allowed}] are allowed"
            ),
        }
    }
}

impl std::error::Error for InvalidParameter {}

/// Fails when a required parameter is empty.
pub fn check_required(parameter: &'static str, value: &str) -> Result<(), InvalidParameter> {
    if value.is_empty() {
        return Err(InvalidParameter {
            parameter,
            rule: ParameterRule::Required,
        });
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
        return Err(InvalidParameter {
            parameter,
            rule: ParameterRule::MaxLength { max, actual },
        });
    }
    Ok(())
}

/// Fails on the first character of `value` for which `allowed_char` is false.
///
/// `allowed` is the character class as the spec writes it, for the error message.
pub fn check_charset(
    parameter: &'static str,
    value: &str,
    allowed: &'static str,
    allowed_char: fn(char) -> bool,
) -> Result<(), InvalidParameter> {
    match value.chars().find(|c| !allowed_char(*c)) {
        Some(found) => Err(InvalidParameter {
            parameter,
            rule: ParameterRule::Charset { allowed, found },
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_rejects_only_the_empty_string() {
        assert_eq!(
            check_required("sub_mchid", ""),
            Err(InvalidParameter {
                parameter: "sub_mchid",
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
                parameter: "d",
                rule: ParameterRule::MaxLength { max: 4, actual: 5 }
            })
        );
        assert_eq!(check_max_length("d", "abcd", 4), Ok(()));
        assert!(check_max_length("d", "abcde", 4).is_err());
    }

    #[test]
    fn charset_reports_the_first_bad_character() {
        let digits = |c: char| c.is_ascii_digit();
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
