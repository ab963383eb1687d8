//! Decoding a list that may arrive as one bare object.
//!
//! The doc page of 查询分账结果 types `receivers` as an array but shows one bare object in its
//! example; the API sends an array. The spec marks such lists with `x-one-or-many`, and the generated
//! newtype decodes through [`deserialize`], so both forms give a `Vec`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deserializes a JSON array of `T`, or one `T` object as a list of one.
pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OneOrMany<T>(PhantomData<fn() -> T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of objects or one object")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<T>, A::Error> {
            Vec::deserialize(SeqAccessDeserializer::new(seq))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(|one| vec![one])
        }
    }

    deserializer.deserialize_any(OneOrMany(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        n: u8,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Holder(#[serde(deserialize_with = "super::deserialize")] Vec<Item>);

    #[test]
    fn an_array_and_a_bare_object_both_decode() {
        let many: Holder = serde_json::from_str(r#"[{"n":1},{"n":2}]"#).unwrap();
        assert_eq!(many.0, vec![Item { n: 1 }, Item { n: 2 }]);
        let one: Holder = serde_json::from_str(r#"{"n":3}"#).unwrap();
        assert_eq!(one.0, vec![Item { n: 3 }]);
        let none: Holder = serde_json::from_str("[]").unwrap();
        assert!(none.0.is_empty());
    }

    #[test]
    fn anything_else_is_an_error_that_says_what_was_expected() {
        let err = serde_json::from_str::<Holder>(r#""x""#).unwrap_err();
        assert!(
            err.to_string()
                .contains("an array of objects or one object"),
            "{err}"
        );
        assert!(serde_json::from_str::<Holder>(r#"[{"n":"x"}]"#).is_err());
        assert!(serde_json::from_str::<Holder>(r#"{"n":300}"#).is_err());
    }
}
