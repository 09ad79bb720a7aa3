//! Typed handles for graph entities.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        pub struct $name(pub u64);

        impl $name {
            /// The raw integer.
            #[must_use]
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                $name(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// Identifies a node. Allocated in increasing order and never handed out
    /// twice by an open database (not even after an abort or a delete); the
    /// id of a committed node is never reused, across reopens too.
    NodeId,
    "n"
);
id_type!(
    /// Identifies an edge. Allocated in increasing order and never handed out
    /// twice by an open database (not even after an abort or a delete); the
    /// id of a committed edge is never reused, across reopens too.
    EdgeId,
    "e"
);

/// Which incident edges of a node to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Edges leaving the node (the node is the source).
    #[default]
    Out,
    /// Edges entering the node (the node is the target).
    In,
    /// Both. A self-loop is then seen twice, once each way.
    Both,
}
