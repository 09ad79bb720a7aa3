//! The dictionary: labels, edge types and property keys interned to dense
//! `u32` ids, per kind. Loaded whole at open; append-only.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::storage::{Cf, KvRead, keys};

/// What a dictionary name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Label = 0,
    EdgeType = 1,
    PropKey = 2,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Label, Kind::EdgeType, Kind::PropKey];

    fn what(self) -> &'static str {
        match self {
            Kind::Label => "label",
            Kind::EdgeType => "edge type",
            Kind::PropKey => "property key",
        }
    }
}

/// Name ↔ id maps for each kind.
#[derive(Default, Clone)]
pub struct Dictionary {
    names: [Vec<String>; 3],
    ids: [HashMap<String, u32>; 3],
}

/// The `dict` key of a name.
pub fn entry_key(kind: Kind, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(kind as u8);
    k.extend_from_slice(name.as_bytes());
    k
}

impl Dictionary {
    /// Reads every entry of the `dict` column family.
    pub fn load(kv: &dyn KvRead) -> Result<Dictionary> {
        let mut entries: [Vec<(u32, String)>; 3] = Default::default();
        kv.scan(Cf::Dict, &[], &mut |key, value| {
            let (&kind, name) = key
                .split_first()
                .ok_or_else(|| Error::corruption("empty dictionary key"))?;
            let kind = Kind::ALL
                .get(usize::from(kind))
                .ok_or_else(|| Error::corruption(format!("dictionary kind {kind}")))?;
            let name = String::from_utf8(name.to_vec())
                .map_err(|_| Error::corruption("dictionary name is not UTF-8"))?;
            entries[*kind as usize].push((keys::read_u32(value, 0)?, name));
            Ok(true)
        })?;
        let mut dict = Dictionary::default();
        for kind in Kind::ALL {
            let list = &mut entries[kind as usize];
            list.sort_unstable();
            for (expected, (id, name)) in list.drain(..).enumerate() {
                if id as usize != expected {
                    return Err(Error::corruption(format!(
                        "{} ids are not dense: found {id} where {expected} was expected",
                        kind.what()
                    )));
                }
                dict.insert(kind, name);
            }
        }
        Ok(dict)
    }

    pub fn id(&self, kind: Kind, name: &str) -> Option<u32> {
        self.ids[kind as usize].get(name).copied()
    }

    pub fn name(&self, kind: Kind, id: u32) -> Option<&str> {
        self.names[kind as usize]
            .get(id as usize)
            .map(String::as_str)
    }

    pub fn len(&self, kind: Kind) -> usize {
        self.names[kind as usize].len()
    }

    /// Appends `name` with the next id of its kind and returns that id.
    pub fn insert(&mut self, kind: Kind, name: String) -> u32 {
        let id = self.names[kind as usize].len() as u32;
        self.ids[kind as usize].insert(name.clone(), id);
        self.names[kind as usize].push(name);
        id
    }

    /// Removes every entry of `kind` with an id at or above `len`.
    pub fn truncate(&mut self, kind: Kind, len: usize) {
        let names = &mut self.names[kind as usize];
        for name in names.drain(len.min(names.len())..) {
            self.ids[kind as usize].remove(&name);
        }
    }
}

/// Name resolution for a reader: the committed dictionary, plus a write
/// transaction's not-yet-committed names.
pub trait Names {
    fn id(&self, kind: Kind, name: &str) -> Option<u32>;
    fn name(&self, kind: Kind, id: u32) -> Result<String>;
    /// How many names of `kind` exist (ids are `0..count`).
    fn count(&self, kind: Kind) -> usize;
}

impl Names for Dictionary {
    fn id(&self, kind: Kind, name: &str) -> Option<u32> {
        Dictionary::id(self, kind, name)
    }

    fn name(&self, kind: Kind, id: u32) -> Result<String> {
        Dictionary::name(self, kind, id)
            .map(str::to_owned)
            .ok_or_else(|| Error::corruption(format!("unknown {} id {id}", kind.what())))
    }

    fn count(&self, kind: Kind) -> usize {
        self.len(kind)
    }
}
