//! Decoding the spec's string enums without ever failing on a value this version does not know.
//!
//! Every generated enum has an `Unknown(String)` variant and `From<&str>`/`From<String>` impls that
//! map known values to their variants; its `Deserialize` impl calls [`deserialize`].

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, Error, Visitor};

/// Deserializes a string into an open enum: known values become their variant, others `Unknown`.
pub fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    struct OpenEnum<T>(PhantomData<fn() -> T>);

    impl<T> Visitor<'_> for OpenEnum<T>
    where
        T: for<'a> From<&'a str> + From<String>,
    {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from(value))
        }

        // An owned string moves into `Unknown` without a copy.
        fn visit_string<E: Error>(self, value: String) -> Result<T, E> {
            Ok(T::from(value))
        }
    }

    deserializer.deserialize_str(OpenEnum(PhantomData))
}

/// The mechanics of one generated open enum: `as_str`, `is_known`, `From<&str>`, `From<String>`,
/// `FromStr`, `Display` and serde, from the enum's variants and their wire values. The generated
/// code declares the enum (its docs and variants, plus `Unknown(String)`) and calls this with the
/// same variants, so that the generated file reads like the spec.
#[doc(hidden)]
#[macro_export]
macro_rules! __open_enum {
    ($name:ident, $($variant:ident = $wire:literal),+ $(,)?) => {
        impl $name {
            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// Whether this version knows the value, i.e. it is not `Unknown`.
            pub fn is_known(&self) -> bool {
                !::std::matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)+
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__generated::open_enum_deserialize(deserializer)
            }
        }
    };
}
