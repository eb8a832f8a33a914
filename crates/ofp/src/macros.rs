//! `open_enum!`: enums over wire numbers that keep values they do not name.

/// Declares an enum over an integer wire value with an extra `Unknown(int)` variant, so an
/// unknown value from a switch is kept rather than rejected (smoltcp's `enum_with_unknown!`).
///
/// Each variant has its number and the name the text form prints. Generated: `From` both
/// ways, `name()`, `Display` (the name, or the number when unknown) and, with the `arbitrary`
/// feature, an `Arbitrary` that draws a number and converts it, so generated values are always
/// canonical (never `Unknown` of a named number).
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $ty:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this codec has no name for, kept as received.
            Unknown($ty),
        }

        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                match v {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $ty {
            fn from(v: $name) -> $ty {
                match v {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The specification's name for this value, if it has one.
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($text), )+
                    $name::Unknown(_) => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}", <$ty>::from(*self)),
                }
            }
        }

        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                // Mostly named values, sometimes any number.
                if u.ratio(7, 8)? {
                    const NAMED: &[$ty] = &[$( $value ),+];
                    Ok((*u.choose(NAMED)?).into())
                } else {
                    Ok(<$ty as arbitrary::Arbitrary>::arbitrary(u)?.into())
                }
            }
        }
    };
}

pub(crate) use open_enum;

/// Declares a `bitflags` type over a wire integer that keeps unknown bits (decoding uses
/// `from_bits_retain`), with a `Display` listing the set flags by name (`A|B|0x100`) and, with
/// the `arbitrary` feature, an `Arbitrary` over all bit patterns.
macro_rules! wire_flags {
    (
        $(#[$meta:meta])*
        pub struct $name:ident : $ty:ty {
            $($flags:tt)+
        }
    ) => {
        bitflags::bitflags! {
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct $name: $ty {
                $($flags)+
                // Bits the specification does not name are kept as received.
                const _ = !0;
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                if self.is_empty() {
                    return f.write_str("0");
                }
                let mut first = true;
                let mut named: $ty = 0;
                for (n, v) in self.iter_names() {
                    if !first {
                        f.write_str("|")?;
                    }
                    first = false;
                    f.write_str(n)?;
                    named |= v.bits();
                }
                let rest = self.bits() & !named;
                if rest != 0 {
                    if !first {
                        f.write_str("|")?;
                    }
                    write!(f, "{:#x}", rest)?;
                }
                Ok(())
            }
        }

        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                Ok(Self::from_bits_retain(u.arbitrary()?))
            }
        }
    };
}

pub(crate) use wire_flags;
