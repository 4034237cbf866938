//! Wire names of the closed sets: `as_str`, `FromStr` and `Display` from one
//! list, so the three never disagree (the tests check serde agrees too).

use std::fmt;

/// A name outside a closed set, e.g. `unknown role `auditor`: use admin,
/// reviewer, producer or consumer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What the set is called (`role`, `status`, ...).
    pub what: &'static str,
    /// The name that was given.
    pub name: String,
    /// Every valid name.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`: use ", self.what, self.name)?;
        for (i, name) in self.expected.iter().enumerate() {
            let sep = match i {
                0 => "",
                i if i + 1 == self.expected.len() => " or ",
                _ => ", ",
            };
            write!(f, "{sep}{name}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownName {}

/// `wire_names!(Role, "role", [Admin = "admin", ...])`: `ALL`, `as_str`,
/// `FromStr` (errors with [`UnknownName`]) and `Display` (which pads, so
/// `{:<8}` aligns) for a fieldless enum. The names must be serde's.
macro_rules! wire_names {
    ($ty:ident, $what:literal, [$($variant:ident = $name:literal),+ $(,)?]) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The name on the wire (and on the command line).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::names::UnknownName { what: $what, name: s.to_owned(), expected: &[$($name),+] }),
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}
