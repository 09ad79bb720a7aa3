//! petgraph's visit traits for `&Projection`: node ids are dense `u32`
//! indices, edges are directed, neighbours come with multiplicity.

use std::iter::Copied;
use std::ops::Range;
use std::slice::Iter;

use fixedbitset::FixedBitSet;
use petgraph::visit::{
    GraphBase, GraphProp, IntoNeighbors, IntoNeighborsDirected, IntoNodeIdentifiers, NodeCount,
    NodeIndexable, Visitable,
};
use petgraph::{Directed, Direction as PgDirection};

use super::Projection;

impl GraphBase for Projection {
    type NodeId = u32;
    type EdgeId = usize;
}

impl GraphProp for &Projection {
    type EdgeType = Directed;
}

impl<'a> IntoNeighbors for &'a Projection {
    type Neighbors = Copied<Iter<'a, u32>>;

    fn neighbors(self, a: u32) -> Self::Neighbors {
        self.out_neighbors(a).iter().copied()
    }
}

impl<'a> IntoNeighborsDirected for &'a Projection {
    type NeighborsDirected = Copied<Iter<'a, u32>>;

    fn neighbors_directed(self, a: u32, d: PgDirection) -> Self::NeighborsDirected {
        match d {
            PgDirection::Outgoing => self.out_neighbors(a).iter().copied(),
            PgDirection::Incoming => self.in_neighbors(a).iter().copied(),
        }
    }
}

impl IntoNodeIdentifiers for &Projection {
    type NodeIdentifiers = Range<u32>;

    fn node_identifiers(self) -> Range<u32> {
        0..self.node_count() as u32
    }
}

impl NodeCount for &Projection {
    fn node_count(&self) -> usize {
        Projection::node_count(self)
    }
}

impl NodeIndexable for &Projection {
    fn node_bound(&self) -> usize {
        Projection::node_count(self)
    }

    fn to_index(&self, a: u32) -> usize {
        a as usize
    }

    fn from_index(&self, i: usize) -> u32 {
        i as u32
    }
}

impl Visitable for &Projection {
    type Map = FixedBitSet;

    fn visit_map(&self) -> FixedBitSet {
        FixedBitSet::with_capacity(Projection::node_count(self))
    }

    fn reset_map(&self, map: &mut FixedBitSet) {
        map.clear();
        map.grow(Projection::node_count(self));
    }
}
