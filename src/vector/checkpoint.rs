//! HNSW checkpoints: a collection's graph dumped next to the database so a
//! reopen loads it instead of rebuilding, then replays the points written
//! after it from RocksDB (the truth).
//!
//! Layout: `<db>/vector-index/c<collection>-<seq>/` holding the engine's
//! dump files (two for `hnsw_rs`; five for the native engine, whose
//! checkpoints written before its codes file have four and still load) and
//! `ENVELOPE`. A checkpoint is written into
//! `….tmp`, files fsynced, the envelope written and fsynced last, then the
//! folder renamed into place (the commit point) and older ones removed.
//! At open the newest folder is used only if its envelope decodes, matches
//! the collection's configuration, and the CRC32 and length of both dump
//! files match; otherwise the index is rebuilt from RocksDB. `hnsw_rs`
//! panics on malformed files, so it never reads unverified ones; the native
//! loader also checks every size and id itself.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CollectionConfig;
use super::engine::{self, Engine};
use super::index::{CALIBRATION_QUERIES, Calibration};
use super::record::{ConfigRecord, ConfigV2};
use crate::error::{Error, Result};
use crate::storage::{codec, files};

/// The folder of all checkpoints, inside the database directory.
pub const FOLDER: &str = "vector-index";
pub(crate) const ENVELOPE: &str = "ENVELOPE";
/// 4: each calibration keeps the standard error of its recalls; 3 (the
/// envelope keeps the index's recall calibrations), 2 (the configuration
/// carries the engine) and 1 (format 2) are still read.
const ENVELOPE_VERSION: u32 = 4;

/// What a checkpoint covers, and how to verify its files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u32,
    pub collection: u32,
    pub config: ConfigRecord,
    /// Every slot below this was in the graph when it was dumped; slots at
    /// or above it are replayed from RocksDB.
    pub slot_end: u64,
    /// Points in the dumped graph (deleted ones included).
    pub graph_points: u64,
    /// `(length, crc32)` of each file of the engine's dump, in order.
    pub files: Vec<(u64, u32)>,
    /// The recall calibrations measured on the graph dumped (version 3).
    pub calibrations: Vec<StoredCalibration>,
}

/// A [`Calibration`] as kept in the envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCalibration {
    pub k: u32,
    /// Live points when measured.
    pub live: u64,
    /// `(ef, recall@k)`, ef ascending.
    pub curve: Vec<(u32, f64)>,
    /// The standard error of each recall of `curve` (version 4).
    pub errors: Vec<f64>,
}

impl From<&Calibration> for StoredCalibration {
    fn from(c: &Calibration) -> Self {
        StoredCalibration {
            k: c.k as u32,
            live: c.live as u64,
            curve: c.curve.iter().map(|&(ef, r)| (ef as u32, r)).collect(),
            errors: c.errors.clone(),
        }
    }
}

/// A [`StoredCalibration`] as version 3 kept it (no errors).
#[derive(Deserialize)]
struct StoredCalibrationV3 {
    k: u32,
    live: u64,
    curve: Vec<(u32, f64)>,
}

impl From<StoredCalibrationV3> for StoredCalibration {
    /// Errors as if the calibration's neighbours had been drawn alone,
    /// which is how version 3 judged them.
    fn from(c: StoredCalibrationV3) -> Self {
        let samples = CALIBRATION_QUERIES * c.k as usize;
        StoredCalibration {
            errors: c
                .curve
                .iter()
                .map(|&(_, r)| Calibration::binomial_error(r, samples))
                .collect(),
            k: c.k,
            live: c.live,
            curve: c.curve,
        }
    }
}

impl StoredCalibration {
    /// Whether it can have been measured: `k` and every `ef` positive,
    /// `ef` ascending, every recall and error in [0, 1], an error for each
    /// recall.
    fn sane(&self) -> bool {
        self.k > 0
            && self
                .curve
                .iter()
                .all(|&(ef, r)| ef > 0 && (0.0..=1.0).contains(&r))
            && self.errors.len() == self.curve.len()
            && self.errors.iter().all(|e| (0.0..=1.0).contains(e))
            && self.curve.windows(2).all(|w| w[0].0 < w[1].0)
    }

    pub fn calibration(&self) -> Calibration {
        Calibration {
            k: self.k as usize,
            live: self.live as usize,
            changes: 0,
            curve: self.curve.iter().map(|&(ef, r)| (ef as usize, r)).collect(),
            errors: self.errors.clone(),
        }
    }
}

/// An [`Envelope`] as version 3 wrote it (calibrations without errors).
#[derive(Deserialize)]
struct EnvelopeV3 {
    version: u32,
    collection: u32,
    config: ConfigRecord,
    slot_end: u64,
    graph_points: u64,
    files: Vec<(u64, u32)>,
    calibrations: Vec<StoredCalibrationV3>,
}

/// An [`Envelope`] as version 2 wrote it (no calibrations).
#[derive(Deserialize)]
struct EnvelopeV2 {
    version: u32,
    collection: u32,
    config: ConfigRecord,
    slot_end: u64,
    graph_points: u64,
    files: Vec<(u64, u32)>,
}

/// An [`Envelope`] as version 1 wrote it (configuration without engine).
#[derive(Deserialize)]
struct EnvelopeV1 {
    version: u32,
    collection: u32,
    config: ConfigV2,
    slot_end: u64,
    graph_points: u64,
    files: Vec<(u64, u32)>,
}

pub(crate) fn decode_envelope(bytes: &[u8]) -> Result<Envelope> {
    const WHAT: &str = "checkpoint envelope";
    let sane = |envelope: Envelope| {
        if envelope.calibrations.iter().all(StoredCalibration::sane) {
            Ok(envelope)
        } else {
            Err(Error::corruption(
                "the checkpoint envelope holds an impossible recall calibration",
            ))
        }
    };
    // An older version is read as the current one when it says what it
    // is; a wrong version number stays wrong, so `read` refuses it.
    let older = |version: u32, was: u32| {
        if version == was {
            ENVELOPE_VERSION
        } else {
            version.wrapping_add(ENVELOPE_VERSION - was)
        }
    };
    // A version-3 envelope can decode as the current shape too (its
    // calibrations' bytes read as fewer, longer ones), so the version
    // number, which leads, decides.
    if bytes.first().is_some_and(|&v| v == 3)
        && let Ok(v3) = codec::decode::<EnvelopeV3>(bytes, WHAT)
    {
        return sane(Envelope {
            version: older(v3.version, 3),
            collection: v3.collection,
            config: v3.config,
            slot_end: v3.slot_end,
            graph_points: v3.graph_points,
            files: v3.files,
            calibrations: v3.calibrations.into_iter().map(Into::into).collect(),
        });
    }
    if let Ok(envelope) = codec::decode::<Envelope>(bytes, WHAT) {
        return sane(envelope);
    }
    if let Ok(v2) = codec::decode::<EnvelopeV2>(bytes, WHAT) {
        return Ok(Envelope {
            version: older(v2.version, 2),
            collection: v2.collection,
            config: v2.config,
            slot_end: v2.slot_end,
            graph_points: v2.graph_points,
            files: v2.files,
            calibrations: Vec::new(),
        });
    }
    let v1 = codec::decode::<EnvelopeV1>(bytes, WHAT)?;
    Ok(Envelope {
        version: older(v1.version, 1),
        collection: v1.collection,
        config: v1.config.into(),
        slot_end: v1.slot_end,
        graph_points: v1.graph_points,
        files: v1.files,
        calibrations: Vec::new(),
    })
}

fn checksum(path: &Path) -> std::io::Result<(u64, u32)> {
    let mut f = File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((len, hasher.finalize()))
}

/// Checkpoint folders of `collection`, newest first: `(seq, path)`.
fn folders(db: &Path, collection: u32) -> Vec<(u64, PathBuf)> {
    let prefix = format!("c{collection}-");
    let mut found: Vec<(u64, PathBuf)> = fs::read_dir(db.join(FOLDER))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let seq = name.strip_prefix(&prefix)?.parse().ok()?;
            Some((seq, e.path()))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found
}

/// Writes a checkpoint of `graph`, then removes older ones.
pub fn write(
    db: &Path,
    collection: u32,
    config: &ConfigRecord,
    graph: &dyn Engine,
    slot_end: u64,
    calibrations: &[Calibration],
) -> Result<()> {
    let root = db.join(FOLDER);
    files::create_dir_all(&root)?;
    let older = folders(db, collection);
    let seq = older.first().map_or(0, |(s, _)| s + 1);
    let dst = root.join(format!("c{collection}-{seq}"));
    let tmp = root.join(format!("c{collection}-{seq}.tmp"));
    files::remove_dir_all(&tmp)?;
    files::create_dir(&tmp)?;
    graph.dump(&tmp)?;
    let mut sums = Vec::new();
    for name in engine::files(config.config().engine) {
        let path = tmp.join(name);
        files::sync_file(&path)?;
        sums.push(checksum(&path).map_err(|e| Error::io(&path, e))?);
    }
    let envelope = Envelope {
        version: ENVELOPE_VERSION,
        collection,
        config: config.clone(),
        slot_end,
        graph_points: graph.len() as u64,
        files: sums,
        calibrations: calibrations.iter().map(StoredCalibration::from).collect(),
    };
    let bytes = codec::encode(&envelope)?;
    let path = tmp.join(ENVELOPE);
    files::create_file(&path, |out| out.write_all(&bytes))?;
    files::sync_file(&path)?;
    files::sync_dir(&tmp)?;
    files::rename(&tmp, &dst)?;
    files::sync_dir(&root)?;
    // The new checkpoint is durable; the old ones are garbage (a crash
    // that brings one back is harmless: the newest is read).
    for (_, old) in older {
        let _ = files::remove_dir_all(&old);
    }
    Ok(())
}

/// Why a checkpoint could not be used (the caller rebuilds and keeps the
/// reason for `vector_index_info`).
pub enum Unusable {
    /// There is none.
    Missing,
    /// It is damaged, foreign or unreadable.
    Bad(Error),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Missing => f.write_str("no checkpoint"),
            Unusable::Bad(e) => write!(f, "{e}"),
        }
    }
}

impl From<Error> for Unusable {
    fn from(e: Error) -> Self {
        Unusable::Bad(e)
    }
}

/// Loads the newest valid checkpoint of `collection`, or says why none
/// could be used.
pub fn read(
    db: &Path,
    collection: u32,
    public: &CollectionConfig,
) -> Result<(Box<dyn Engine>, Envelope), Unusable> {
    let (_, dir) = folders(db, collection)
        .into_iter()
        .next()
        .ok_or(Unusable::Missing)?;
    let path = dir.join(ENVELOPE);
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let envelope = decode_envelope(&bytes)?;
    if envelope.version != ENVELOPE_VERSION
        || envelope.collection != collection
        || envelope.config != ConfigRecord::from(public)
    {
        return Err(
            Error::corruption("the checkpoint belongs to another collection or version").into(),
        );
    }
    let names = engine::files(public.engine);
    let listed = envelope.files.len();
    if listed < engine::required_files(public.engine) || listed > names.len() {
        return Err(Error::corruption("the envelope does not list every file").into());
    }
    for (name, expected) in names.iter().zip(&envelope.files) {
        let path = dir.join(name);
        let actual = checksum(&path).map_err(|e| Error::io(&path, e))?;
        if actual != *expected {
            return Err(Error::corruption(format!("{name} does not match its checksum")).into());
        }
    }
    let graph = engine::load(public, &dir)?;
    if graph.len() as u64 != envelope.graph_points {
        return Err(Error::corruption("the reloaded graph has the wrong number of points").into());
    }
    Ok((graph, envelope))
}

/// Removes every checkpoint of `collection` (it was dropped).
pub fn remove(db: &Path, collection: u32) {
    for (_, dir) in folders(db, collection) {
        let _ = files::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::Metric;

    /// An envelope of version 2's layout.
    #[derive(Serialize)]
    struct V2<'a>(u32, u32, &'a ConfigRecord, u64, u64, &'a [(u64, u32)]);

    /// An envelope of version 3's layout: calibrations `(k, live, curve)`.
    #[derive(Serialize)]
    #[allow(clippy::type_complexity, reason = "a record's layout, spelled out")]
    struct V3<'a>(
        u32,
        u32,
        &'a ConfigRecord,
        u64,
        u64,
        &'a [(u64, u32)],
        Vec<(u32, u64, Vec<(u32, f64)>)>,
    );

    fn envelope(calibrations: Vec<StoredCalibration>) -> Envelope {
        Envelope {
            version: ENVELOPE_VERSION,
            collection: 7,
            config: ConfigRecord::from(&CollectionConfig::new(4, Metric::L2)),
            slot_end: 10,
            graph_points: 10,
            files: vec![(1, 2)],
            calibrations,
        }
    }

    #[test]
    fn envelopes_keep_calibrations_and_older_versions_still_read() {
        let curve = StoredCalibration {
            k: 10,
            live: 5_000,
            curve: vec![(10, 0.9), (16, 0.96)],
            errors: vec![0.02, 0.011],
        };
        let current = envelope(vec![curve.clone(), curve.clone()]);
        let bytes = codec::encode(&current).unwrap();
        assert_eq!(decode_envelope(&bytes).unwrap(), current);
        // Version 3 kept no errors: they are the binomial ones of 100
        // queries of k neighbours.
        let old = (10, 5_000, curve.curve.clone());
        let v3 = V3(
            3,
            7,
            &current.config,
            10,
            10,
            &current.files,
            vec![old.clone(), old],
        );
        let read = decode_envelope(&codec::encode(&v3).unwrap()).unwrap();
        let binomial = StoredCalibration {
            errors: vec![
                Calibration::binomial_error(0.9, 1000),
                Calibration::binomial_error(0.96, 1000),
            ],
            ..curve.clone()
        };
        assert_eq!(read, envelope(vec![binomial.clone(), binomial]));
        // Version 2 had no calibrations.
        let v2 = V2(2, 7, &current.config, 10, 10, &current.files);
        let read = decode_envelope(&codec::encode(&v2).unwrap()).unwrap();
        assert_eq!(read, envelope(Vec::new()));
        // A version-2 layout claiming another version is not taken for one.
        let odd = V2(3, 7, &current.config, 10, 10, &current.files);
        assert_ne!(
            decode_envelope(&codec::encode(&odd).unwrap())
                .unwrap()
                .version,
            ENVELOPE_VERSION
        );
        // A curve no calibration can measure refuses the envelope.
        for bad in [
            vec![(10, 1.5)],
            vec![(10, f64::NAN)],
            vec![(16, 0.9), (10, 0.95)],
            vec![(0, 0.9)],
        ] {
            let e = envelope(vec![StoredCalibration {
                errors: vec![0.01; bad.len()],
                curve: bad,
                ..curve.clone()
            }]);
            assert!(decode_envelope(&codec::encode(&e).unwrap()).is_err());
        }
        // So do errors that are not one per point, or not in [0, 1].
        for errors in [vec![0.01], vec![0.01, -0.1], vec![0.01, f64::NAN]] {
            let e = envelope(vec![StoredCalibration {
                errors,
                ..curve.clone()
            }]);
            assert!(decode_envelope(&codec::encode(&e).unwrap()).is_err());
        }
    }
}
