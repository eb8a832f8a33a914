//! `enum_with_unknown!` (numbers with names that keep unknown values) and `bit_flags!` (small
//! flag sets over a wire integer that keep unknown bits).

/// Declares an enum over a wire number with an extra `Unknown(n)` variant, so a value this
/// crate has no name for is kept rather than rejected (smoltcp's `enum_with_unknown!`).
///
/// Generated: `From` both ways, `name()`, and `Display` (the name, or the number formatted
/// with `unknown = "..."` when unknown).
macro_rules! enum_with_unknown {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($ty:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )+
        }
        unknown = $fmt:literal;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate has no name for, kept as received.
            Unknown($ty),
        }

        impl From<$ty> for $name {
            #[inline]
            fn from(v: $ty) -> Self {
                match v {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $ty {
            #[inline]
            fn from(v: $name) -> $ty {
                match v {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The usual name of this value, if it has one.
            pub const fn name(&self) -> Option<&'static str> {
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
                    None => write!(f, $fmt, <$ty>::from(*self)),
                }
            }
        }
    };
}

/// Declares a set of flags over a wire integer as a newtype that keeps every bit it was given
/// (unknown bits included), with named constants, `contains`, `|`, and a `Display` listing
/// the set flags by name (`A|B|0x100`).
macro_rules! bit_flags {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($ty:ty) {
            $( $(#[$fmeta:meta])* const $flag:ident = $value:literal => $text:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $ty);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: $name = $name($value); )+

            /// No flag set.
            pub const fn empty() -> Self {
                $name(0)
            }

            /// The raw bits.
            pub const fn bits(&self) -> $ty {
                self.0
            }

            /// Whether every bit of `other` is set here.
            pub const fn contains(&self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// This set with the bits of `other` set (`on`) or cleared.
            #[must_use]
            pub const fn with(self, other: $name, on: bool) -> Self {
                if on { $name(self.0 | other.0) } else { $name(self.0 & !other.0) }
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut rest = self.0;
                let mut first = true;
                $(
                    if self.0 & $value == $value && $value != 0 {
                        if !first { f.write_str("|")?; }
                        f.write_str($text)?;
                        first = false;
                        rest &= !$value;
                    }
                )+
                if rest != 0 {
                    if !first { f.write_str("|")?; }
                    write!(f, "{:#x}", rest)?;
                    first = false;
                }
                if first { f.write_str("0")?; }
                Ok(())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
    };
}

pub(crate) use {bit_flags, enum_with_unknown};
