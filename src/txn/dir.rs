//! The database directory before storage is opened: the format marker, the
//! lock file, and what a directory holds.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::storage::files;
use crate::storage::schema::FORMAT_VERSION;

/// The file that marks a directory as a QuiverDB database and records its
/// format version. Read before any storage file is touched.
pub(crate) const MARKER_FILE: &str = "QUIVERDB";
/// The file locked while a `Database` has the directory open.
pub(crate) const LOCK_FILE: &str = "quiver.lock";

pub(crate) fn read_marker(path: &Path) -> Result<u32> {
    let file = path.join(MARKER_FILE);
    // The marker is two short lines; a larger file is not one.
    let mut text = String::new();
    fs::File::open(&file)
        .and_then(|f| f.take(4096).read_to_string(&mut text))
        .map_err(|e| Error::io(&file, e))?;
    let version = text
        .lines()
        .find_map(|l| l.strip_prefix("format "))
        .and_then(|v| v.trim().parse().ok());
    version.ok_or_else(|| Error::NotADatabase {
        path: path.to_owned(),
        reason: format!("{MARKER_FILE} does not name a format version"),
    })
}

/// Writes the marker for this build's format, atomically and durably.
pub(crate) fn write_marker(path: &Path) -> Result<()> {
    let text = format!("QuiverDB database\nformat {FORMAT_VERSION}\n");
    files::replace(&path.join(MARKER_FILE), text.as_bytes())
}

/// Takes the directory's lock file, or fails with [`Error::Locked`].
///
/// The lock is an `flock`, held by the open file. A child process that
/// another thread forks shares it until the child's `exec` closes the
/// descriptor, so a handle dropped and reopened in that moment would find
/// the lock taken: a held lock is retried for up to 100 ms before the
/// answer is `Locked`.
pub(crate) fn lock(path: &Path) -> Result<File> {
    let file = path.join(LOCK_FILE);
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&file)
        .map_err(|e| Error::io(&file, e))?;
    for attempt in 0..10 {
        match f.try_lock() {
            Ok(()) => {
                // Who holds it, for a process that finds it locked.
                note(&f, &file, &format!("process {}", std::process::id()))?;
                return Ok(f);
            }
            Err(fs::TryLockError::WouldBlock) if attempt < 9 => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(fs::TryLockError::WouldBlock) => break,
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&file, e)),
        }
    }
    let holder = fs::read_to_string(&file)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    Err(Error::Locked {
        path: path.to_owned(),
        holder,
    })
}

/// Replaces the text of the held lock file `f` (at `path`): what a
/// process that finds the directory locked is told of its holder.
pub(crate) fn note(mut f: &File, path: &Path, text: &str) -> Result<()> {
    use std::io::{Seek, Write};
    f.set_len(0)
        .and_then(|()| f.seek(std::io::SeekFrom::Start(0)))
        .and_then(|_| f.write_all(text.as_bytes()))
        .map_err(|e| Error::io(path, e))
}

/// What the directory holds before anything is opened.
pub(crate) enum Found {
    /// Nothing (or only our own marker/lock files, from an interrupted
    /// creation): create a database.
    Empty { has_marker: bool },
    /// A marked QuiverDB directory with storage files; the marker names
    /// format `marker`.
    Database { marker: u32 },
}

/// Looks at `path` without changing anything (except creating a missing
/// directory when `create` allows).
pub(crate) fn inspect(path: &Path, create: bool) -> Result<Found> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(Error::DatabaseNotFound {
                    path: path.to_owned(),
                });
            }
            files::create_dir_all(path)?;
            return Ok(Found::Empty { has_marker: false });
        }
        Err(e) => return Err(Error::io(path, e)),
        Ok(m) if !m.is_dir() => {
            return Err(Error::NotADatabase {
                path: path.to_owned(),
                reason: "it is not a directory".into(),
            });
        }
        Ok(_) => {}
    }
    let mut has_marker = false;
    let mut has_current = false;
    let mut foreign = None;
    for entry in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let name = entry.map_err(|e| Error::io(path, e))?.file_name();
        match name.to_str() {
            Some(MARKER_FILE) => has_marker = true,
            // The lock, and a marker's temporary file left by a crash
            // (creation writes nothing else before the marker).
            Some(LOCK_FILE) => {}
            Some(n) if n.strip_suffix(".tmp") == Some(MARKER_FILE) => {}
            Some("CURRENT") => has_current = true,
            _ => foreign = Some(name),
        }
    }
    if has_marker {
        let version = read_marker(path)?;
        if version > FORMAT_VERSION {
            return Err(Error::UnsupportedFormat {
                path: path.to_owned(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if has_current {
            return Ok(Found::Database { marker: version });
        }
    } else if has_current || foreign.is_some() {
        let what = foreign.map_or_else(|| "CURRENT".into(), |n| n.to_string_lossy().into_owned());
        return Err(Error::NotADatabase {
            path: path.to_owned(),
            reason: format!("it holds files (such as {what:?}) but no {MARKER_FILE} marker"),
        });
    }
    if !has_marker && !create {
        return Err(Error::DatabaseNotFound {
            path: path.to_owned(),
        });
    }
    Ok(Found::Empty { has_marker })
}
