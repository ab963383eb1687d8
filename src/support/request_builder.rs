//! The mechanics of a generated request builder: `T::builder()`, the builder struct with one
//! setter per field, and `build`. The generated code gives the data (the type, its builder's name,
//! and each field's name, type, wire name, whether it is required and whether its setter takes
//! `impl Into<T>`) and calls [`__request_builder!`](crate::__request_builder) once per type, so
//! that the generated file reads like the spec.

/// Declares `$builder` for `$target`: see the module docs. `request` checks the built value with
/// `Request::validate`, `object` with its own `validate`.
#[doc(hidden)]
#[macro_export]
macro_rules! __request_builder {
    (
        $target:ident, $builder:ident, $check:ident,
        $($field:ident($ty:ty, $wire:literal, $need:ident, $take:ident)),+ $(,)?
    ) => {
        impl $target {
            /// A builder with no field set. Set each required field by name, then call `build`,
            /// which names a required field that was not set and checks every rule of the spec.
            pub fn builder() -> $builder {
                <$builder as ::std::default::Default>::default()
            }
        }

        #[doc = ::std::concat!(
            "Builds a [`", ::std::stringify!($target), "`] field by field: see [`",
            ::std::stringify!($target), "::builder`]. Each setter is named after its field."
        )]
        #[derive(Clone, Debug, Default)]
        #[must_use]
        pub struct $builder {
            $($field: ::std::option::Option<$ty>,)+
        }

        impl $builder {
            $($crate::__request_builder!(@setter $target, $need, $take, $field, $ty, $wire);)+

            /// The value, once every required field is set and every field keeps the spec's
            /// rules.
            ///
            /// # Errors
            ///
            /// [`InvalidParameter`](crate::InvalidParameter) naming the first required field not
            /// set, or the first rule broken.
            pub fn build(self) -> ::std::result::Result<$target, $crate::InvalidParameter> {
                let value = $target {
                    $($field: $crate::__request_builder!(@take $need, self.$field, $wire),)+
                };
                $crate::__request_builder!(@check $check, value);
                ::std::result::Result::Ok(value)
            }
        }
    };
    (@setter $target:ident, $need:ident, into, $field:ident, $ty:ty, $wire:literal) => {
        #[doc = ::std::concat!(
            "Sets [`", ::std::stringify!($field), "`](", ::std::stringify!($target), "::",
            ::std::stringify!($field), ") (`", $wire, "`, ", ::std::stringify!($need), ")."
        )]
        pub fn $field(mut self, value: impl ::std::convert::Into<$ty>) -> Self {
            self.$field = ::std::option::Option::Some(value.into());
            self
        }
    };
    (@setter $target:ident, $need:ident, value, $field:ident, $ty:ty, $wire:literal) => {
        #[doc = ::std::concat!(
            "Sets [`", ::std::stringify!($field), "`](", ::std::stringify!($target), "::",
            ::std::stringify!($field), ") (`", $wire, "`, ", ::std::stringify!($need), ")."
        )]
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = ::std::option::Option::Some(value);
            self
        }
    };
    (@take required, $value:expr, $wire:literal) => {
        $value.ok_or_else(|| $crate::__generated::missing($wire))?
    };
    (@take optional, $value:expr, $wire:literal) => {
        $value
    };
    (@check request, $value:ident) => {
        $crate::Request::validate(&$value)?;
    };
    (@check object, $value:ident) => {
        $value.validate()?;
    };
}
