//! The files QuiverDB writes itself — the format marker, vector index
//! checkpoints, the import staging folder — as opposed to RocksDB's, which
//! RocksDB writes and syncs. Every create, write, sync, rename and removal
//! of them goes through here, so the durability rules live in one place:
//!
//! * a file's bytes are durable after [`sync_file`] (or when written by
//!   [`replace`], which does everything);
//! * a directory entry (a created file or folder, a rename, a removal) is
//!   durable after [`sync_dir`] of the folder holding it;
//! * [`create_dir_all`] makes the folders it creates durable at once.
//!
//! In the crate's own tests, [`power`] replays these rules: it stops the
//! world at a chosen step and throws away everything not yet durable, as a
//! power cut would.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Creates (or truncates) `path` and writes it through `fill`, buffered.
/// Not durable until [`sync_file`] and a [`sync_dir`] of its folder.
pub fn create_file(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    power::create_file(path)?;
    let io = |e| Error::io(path, e);
    let created = File::create(path).map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 20, created);
    fill(&mut out).and_then(|()| out.flush()).map_err(io)
}

/// Takes note of `path`, which another library has just written (the
/// `hnsw_rs` dump): from here on it is treated as [`create_file`] left it.
pub fn adopt(path: &Path) -> Result<()> {
    power::adopt(path).map_err(|e| Error::io(path, e))
}

/// Makes `path`'s bytes durable.
pub fn sync_file(path: &Path) -> Result<()> {
    power::sync_file(path)?;
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Makes the entries of folder `path` durable: files and folders created,
/// renamed or removed in it.
pub fn sync_dir(path: &Path) -> Result<()> {
    power::sync_dir(path)?;
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Creates folder `path` (its parent must exist). Not durable until a
/// [`sync_dir`] of the parent.
pub fn create_dir(path: &Path) -> Result<()> {
    power::create_dir(path)?;
    fs::create_dir(path).map_err(|e| Error::io(path, e))
}

/// Creates `path` and any missing ancestors, durably: each parent of a
/// created folder is synced.
pub fn create_dir_all(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_all(parent)?;
    }
    match create_dir(path) {
        // Created meanwhile by someone else: theirs to sync.
        Err(_) if path.is_dir() => return Ok(()),
        other => other?,
    }
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => sync_dir(Path::new(".")),
    }
}

/// Renames `from` to `to`, replacing a file there. Not durable until a
/// [`sync_dir`] of the folder.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    power::rename(from, to)?;
    fs::rename(from, to).map_err(|e| Error::io(to, e))
}

/// Removes folder `path` and everything in it, if it exists. Not durable
/// until a [`sync_dir`] of its parent.
pub fn remove_dir_all(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    if power::remove(path)? {
        return Ok(());
    }
    fs::remove_dir_all(path).map_err(|e| Error::io(path, e))
}

/// Replaces file `path` atomically and durably with `bytes`: a temporary
/// file beside it, synced, renamed over it, and the folder synced. A crash
/// leaves the old file or the new one, never a mix.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    create_file(&tmp, |out| out.write_all(bytes))?;
    sync_file(&tmp)?;
    rename(&tmp, path)?;
    sync_dir(parent_of(path))
}

/// The total size of the files under folder `path`, its folders included
/// (symbolic links are not followed). An entry removed meanwhile (a
/// checkpoint replacing an older one) counts as absent.
pub fn tree_size(path: &Path) -> Result<u64> {
    let entries = match fs::read_dir(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        other => other.map_err(|e| Error::io(path, e))?,
    };
    let mut total = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        let found = entry.path();
        let meta = match entry.metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            other => other.map_err(|e| Error::io(&found, e))?,
        };
        if meta.is_dir() {
            total += tree_size(&found)?;
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}

/// The folder holding `path` (`.` for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(not(test))]
#[allow(
    clippy::unnecessary_wraps,
    reason = "the same signatures as the test build's recorder"
)]
mod power {
    //! Outside the crate's tests: nothing to record.
    use std::path::Path;

    use crate::error::Result;

    #[inline]
    pub fn create_file(_: &Path) -> Result<()> {
        Ok(())
    }
    #[inline]
    pub fn adopt(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
    #[inline]
    pub fn sync_file(_: &Path) -> Result<()> {
        Ok(())
    }
    #[inline]
    pub fn sync_dir(_: &Path) -> Result<()> {
        Ok(())
    }
    #[inline]
    pub fn create_dir(_: &Path) -> Result<()> {
        Ok(())
    }
    #[inline]
    pub fn rename(_: &Path, _: &Path) -> Result<()> {
        Ok(())
    }
    #[inline]
    pub fn remove(_: &Path) -> Result<bool> {
        Ok(false)
    }
}

#[cfg(test)]
pub mod power;
