//! Projections kept on disk between processes.
//!
//! A projection built in one process is written at checkpoint (and at
//! close or drop) into `<db>/projections/`, stamped with the storage
//! sequence number of the snapshot it shows. A later process that needs
//! the same projection of the same state — nothing committed since, so the
//! sequence number of its snapshot equals the stamp — reads the file
//! instead of scanning the adjacency again: about 40 ms instead of two
//! seconds for a million nodes and nine million edges.
//!
//! The files are derived data, like the vector index checkpoints: a
//! missing, stale, damaged or foreign file is passed over (a stale one is
//! removed when a newer projection is written) and the projection is built
//! from the graph as before. Nothing is fsynced: a file the power cut tore
//! fails its checks and is rebuilt. The state a file is stamped with is
//! made durable first (the write-ahead log is synced), so a sequence
//! number cannot come back after a crash naming other data.
//!
//! File `p-<hash of the spec>.qproj`: the magic `QVPROJ\0\0`, the header
//! length (u32), the header (bincode: version, spec, stamp, counts, where
//! the ids come from, body length and CRC32), the header's CRC32, then the
//! body, all little-endian: node ids (u64 each, only when they are not one
//! contiguous run), CSR offsets (n + 1 u64), targets (e u32), weights (e
//! f64, weighted projections only). A file is used only when the header
//! matches, the lengths add up, the CRC holds and the CSR is well formed.

use std::fs::{self, File};
use std::io::{Read, Seek, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::projection::{Csr, Projection, ProjectionSpec};
use crate::NodeId;
use crate::error::Result;
use crate::storage::{codec, files};

/// The folder of stored projections, inside the database directory.
pub(crate) const FOLDER: &str = "projections";
const MAGIC: &[u8; 8] = b"QVPROJ\0\0";
const VERSION: u32 = 1;
/// The longest header read (a spec names a few labels and types).
const MAX_HEADER: usize = 1 << 20;
/// Bytes before the header: magic and header length.
const PREFIX: usize = MAGIC.len() + 4;
/// Bytes of the header's CRC, after it.
const HEADER_CRC: usize = 4;

/// The spec as stored: what the projection shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct StoredSpec {
    labels: Vec<String>,
    edge_types: Vec<String>,
    weight: Option<String>,
    /// The bits of the default weight.
    default_weight: Option<u64>,
    undirected: Option<bool>,
}

impl StoredSpec {
    fn of(spec: &ProjectionSpec) -> StoredSpec {
        StoredSpec {
            labels: spec.labels.clone(),
            edge_types: spec.edge_types.clone(),
            weight: spec.weight.clone(),
            default_weight: spec.default_weight.map(f64::to_bits),
            undirected: spec.undirected,
        }
    }

    /// The file name: the spec's FNV-1a hash (its full value is in the
    /// header and compared).
    fn file_name(&self) -> Result<String> {
        let bytes = codec::encode(self)?;
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Ok(format!("p-{hash:016x}.qproj"))
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    version: u32,
    spec: StoredSpec,
    /// The storage sequence number of the snapshot shown.
    sequence: u64,
    nodes: u64,
    edges: u64,
    /// `Some(first)`: the node ids are `first..first + nodes` and are not
    /// in the body.
    first_id: Option<u64>,
    weighted: bool,
    undirected: bool,
    body_len: u64,
    body_crc: u32,
}

/// Whether this build can share files of this layout (64-bit
/// little-endian; others never write or read them).
const fn supported() -> bool {
    cfg!(target_endian = "little") && usize::BITS == 64
}

/// Writes projection `p` of `spec`, showing the snapshot at `sequence`,
/// into `db_dir`'s folder of projections, replacing the file of the same
/// spec, and removes files stamped with another sequence number.
pub(crate) fn write(
    db_dir: &Path,
    spec: &ProjectionSpec,
    sequence: u64,
    p: &Projection,
) -> Result<()> {
    if !supported() {
        return Ok(());
    }
    let folder = db_dir.join(FOLDER);
    files::create_dir_all(&folder)?;
    let stored = StoredSpec::of(spec);
    let name = stored.file_name()?;
    let first_id = p.first_id();
    let ids: Vec<u64> = if first_id.is_some() {
        Vec::new()
    } else {
        p.node_ids().iter().map(|id| id.0).collect()
    };
    let parts: [&[u8]; 4] = [
        bytemuck::cast_slice(&ids),
        bytemuck::cast_slice(&p.out.offsets),
        bytemuck::cast_slice(&p.out.targets),
        bytemuck::cast_slice(&p.out.weights),
    ];
    let mut crc = crc32fast::Hasher::new();
    for part in parts {
        crc.update(part);
    }
    let header = codec::encode(&Header {
        version: VERSION,
        spec: stored,
        sequence,
        nodes: p.node_count() as u64,
        edges: p.edge_count() as u64,
        first_id,
        weighted: p.is_weighted(),
        undirected: p.is_undirected(),
        body_len: parts.iter().map(|b| b.len() as u64).sum(),
        body_crc: crc.finalize(),
    })?;
    let tmp = folder.join(format!("{name}.tmp"));
    files::create_file(&tmp, |out| {
        out.write_all(MAGIC)?;
        out.write_all(&(header.len() as u32).to_le_bytes())?;
        out.write_all(&header)?;
        out.write_all(&crc32fast::hash(&header).to_le_bytes())?;
        for part in parts {
            out.write_all(part)?;
        }
        Ok(())
    })?;
    files::rename(&tmp, &folder.join(&name))?;
    remove_stale(&folder, &name, sequence);
    Ok(())
}

/// Removes the files of other specs stamped with another sequence number
/// (they can never be used again) and leftover temporary files.
fn remove_stale(folder: &Path, keep: &str, sequence: u64) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = if name.ends_with(".tmp") {
            true
        } else if name.ends_with(".qproj") && name != keep {
            File::open(&path)
                .ok()
                .and_then(|mut f| read_header(&mut f))
                .is_none_or(|h| h.sequence != sequence)
        } else {
            false
        };
        if stale {
            let _ = fs::remove_file(&path);
        }
    }
}

fn read_header(f: &mut File) -> Option<Header> {
    let mut prefix = [0u8; PREFIX];
    f.read_exact(&mut prefix).ok()?;
    if &prefix[..MAGIC.len()] != MAGIC {
        return None;
    }
    let len = u32::from_le_bytes(prefix[MAGIC.len()..].try_into().ok()?) as usize;
    if len > MAX_HEADER {
        return None;
    }
    let mut bytes = vec![0u8; len + HEADER_CRC];
    f.read_exact(&mut bytes).ok()?;
    let (bytes, crc) = bytes.split_at(len);
    if crc32fast::hash(bytes).to_le_bytes() != crc {
        return None;
    }
    let header: Header = codec::decode(bytes, "stored projection header").ok()?;
    (header.version == VERSION).then_some(header)
}

/// The stored projection of `spec` showing the snapshot at `sequence`, if
/// `db_dir` holds one that passes every check; `None` otherwise (the
/// caller builds it).
pub(crate) fn load(db_dir: &Path, spec: &ProjectionSpec, sequence: u64) -> Option<Projection> {
    if !supported() {
        return None;
    }
    let stored = StoredSpec::of(spec);
    let path = db_dir.join(FOLDER).join(stored.file_name().ok()?);
    let mut f = File::open(&path).ok()?;
    let file_len = f.metadata().ok()?.len();
    let h = read_header(&mut f)?;
    if h.spec != stored || h.sequence != sequence {
        return None;
    }
    let n = usize::try_from(h.nodes)
        .ok()
        .filter(|&n| n < u32::MAX as usize)?;
    let e = usize::try_from(h.edges).ok()?;
    let listed = if h.first_id.is_some() { 0 } else { n };
    let weights = if h.weighted { e } else { 0 };
    let body = listed
        .checked_mul(8)?
        .checked_add((n + 1).checked_mul(8)?)?
        .checked_add(e.checked_mul(4)?)?
        .checked_add(weights.checked_mul(8)?)?;
    let body_at = f.stream_position().ok()?;
    if h.body_len != body as u64 || body_at.checked_add(h.body_len)? != file_len {
        return None;
    }
    let mut ids = vec![0u64; listed];
    let mut out = Csr {
        offsets: vec![0usize; n + 1],
        targets: vec![0u32; e],
        weights: vec![0f64; weights],
    };
    let mut crc = crc32fast::Hasher::new();
    let parts: [&mut [u8]; 4] = [
        bytemuck::cast_slice_mut(&mut ids),
        bytemuck::cast_slice_mut(&mut out.offsets),
        bytemuck::cast_slice_mut(&mut out.targets),
        bytemuck::cast_slice_mut(&mut out.weights),
    ];
    for part in parts {
        f.read_exact(part).ok()?;
        crc.update(part);
    }
    if crc.finalize() != h.body_crc || !well_formed(&out, n, &ids) {
        return None;
    }
    let ids: Vec<NodeId> = match h.first_id {
        Some(first) => {
            first.checked_add(h.nodes)?;
            (first..first + h.nodes).map(NodeId).collect()
        }
        None => ids.into_iter().map(NodeId).collect(),
    };
    Some(Projection::from_parts(
        ids,
        out,
        h.weighted,
        h.undirected,
        true,
    ))
}

/// Whether the stored lists make a projection the algorithms can trust:
/// offsets from 0 to the edge count, never falling; targets in range;
/// weights as building allows them; listed ids ascending.
fn well_formed(out: &Csr, n: usize, ids: &[u64]) -> bool {
    out.offsets.first() == Some(&0)
        && out.offsets.last() == Some(&out.targets.len())
        && out.offsets.windows(2).all(|w| w[0] <= w[1])
        && out.targets.iter().all(|&t| (t as usize) < n)
        && out.weights.iter().all(|&w| w >= 0.0)
        && ids.windows(2).all(|w| w[0] < w[1])
}
