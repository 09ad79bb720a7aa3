//! A power-cut simulator for the file layer, in the crate's tests only.
//!
//! [`arm`] starts recording this thread's file steps (other threads, and
//! so other tests, are untouched). Step number `crash_at` fails, as does
//! every step after it: the process is dead from there on. [`cut`] then
//! makes the directory look as it would after the power came back:
//!
//! * a file written and not synced since loses its new bytes — back to
//!   what was last durable, or, for a file never synced, torn to half its
//!   length;
//! * every directory entry change not made durable by a sync of its
//!   folder is undone, newest first: created entries vanish, renames go
//!   back (a file they replaced reappears), removed folders return.
//!
//! Removals are carried out as moves into a trash folder, so that they can
//! be undone. Files that existed before arming count as durable.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug)]
enum Entry {
    Created {
        path: PathBuf,
        dir: bool,
    },
    Renamed {
        from: PathBuf,
        to: PathBuf,
        displaced: Option<PathBuf>,
    },
    Removed {
        path: PathBuf,
        trash: PathBuf,
    },
}

impl Entry {
    /// The folders whose sync makes this change durable.
    fn folders(&self) -> Vec<&Path> {
        match self {
            Entry::Created { path, .. } | Entry::Removed { path, .. } => vec![parent(path)],
            Entry::Renamed { from, to, .. } => vec![parent(from), parent(to)],
        }
    }
}

fn parent(path: &Path) -> &Path {
    super::parent_of(path)
}

struct Sim {
    crash_at: u64,
    steps: u64,
    dead: bool,
    trash: PathBuf,
    trashed: u64,
    /// Files with bytes not yet durable → their last durable bytes
    /// (`None`: never durable).
    unsynced: HashMap<PathBuf, Option<Vec<u8>>>,
    /// Entry changes not yet durable, oldest first, with the folders still
    /// to be synced.
    pending: Vec<(Entry, Vec<PathBuf>)>,
}

thread_local! {
    static SIM: RefCell<Option<Sim>> = const { RefCell::new(None) };
}

/// Starts recording on this thread: step `crash_at` (counting from 1)
/// and every later one fail; `u64::MAX` never fails. `trash` is an
/// existing folder on the same file system as the database.
pub fn arm(crash_at: u64, trash: &Path) {
    SIM.with(|s| {
        *s.borrow_mut() = Some(Sim {
            crash_at,
            steps: 0,
            dead: false,
            trash: trash.to_owned(),
            trashed: 0,
            unsynced: HashMap::new(),
            pending: Vec::new(),
        });
    });
}

/// Steps taken since [`arm`], and whether the crash happened.
pub fn steps() -> (u64, bool) {
    SIM.with(|s| {
        s.borrow()
            .as_ref()
            .map_or((0, false), |s| (s.steps, s.dead))
    })
}

/// Cuts the power: undoes everything not durable (see the module docs)
/// and stops recording.
pub fn cut() {
    let Some(sim) = SIM.with(|s| s.borrow_mut().take()) else {
        return;
    };
    for (path, durable) in &sim.unsynced {
        if !path.is_file() {
            continue;
        }
        if let Some(bytes) = durable {
            fs::write(path, bytes).unwrap();
        } else {
            let len = fs::metadata(path).unwrap().len();
            let f = fs::OpenOptions::new().write(true).open(path).unwrap();
            f.set_len(len / 2).unwrap();
        }
    }
    for (entry, _) in sim.pending.iter().rev() {
        match entry {
            Entry::Created { path, dir: true } => {
                let _ = fs::remove_dir_all(path);
            }
            Entry::Created { path, dir: false } => {
                let _ = fs::remove_file(path);
            }
            Entry::Renamed {
                from,
                to,
                displaced,
            } => {
                fs::rename(to, from).unwrap();
                if let Some(old) = displaced {
                    fs::rename(old, to).unwrap();
                }
            }
            Entry::Removed { path, trash } => fs::rename(trash, path).unwrap(),
        }
    }
}

/// Counts a step; fails it if the process is (now) dead. `None` when not
/// recording.
fn step(what: &str, path: &Path) -> Option<std::io::Result<()>> {
    SIM.with(|s| {
        let mut s = s.borrow_mut();
        let sim = s.as_mut()?;
        if !sim.dead {
            sim.steps += 1;
            sim.dead = sim.steps >= sim.crash_at;
        }
        Some(if sim.dead {
            Err(std::io::Error::other(format!(
                "simulated power cut before {what} of {} (step {})",
                path.display(),
                sim.crash_at
            )))
        } else {
            Ok(())
        })
    })
}

fn with<T>(f: impl FnOnce(&mut Sim) -> T) -> T {
    SIM.with(|s| f(s.borrow_mut().as_mut().expect("recording")))
}

fn io(path: &Path, r: std::io::Result<()>) -> Result<()> {
    r.map_err(|e| Error::io(path, e))
}

fn push(sim: &mut Sim, entry: Entry) {
    let folders = entry.folders().into_iter().map(Path::to_owned).collect();
    sim.pending.push((entry, folders));
}

/// A file is about to be written: remember what of it was durable.
fn note_write(sim: &mut Sim, path: &Path) {
    if sim.unsynced.contains_key(path) {
        return;
    }
    let durable = fs::read(path).ok();
    if durable.is_none() {
        push(
            sim,
            Entry::Created {
                path: path.to_owned(),
                dir: false,
            },
        );
    }
    sim.unsynced.insert(path.to_owned(), durable);
}

pub fn create_file(path: &Path) -> Result<()> {
    let Some(r) = step("create_file", path) else {
        return Ok(());
    };
    io(path, r)?;
    with(|sim| note_write(sim, path));
    Ok(())
}

pub fn adopt(path: &Path) -> std::io::Result<()> {
    let Some(r) = step("adopt", path) else {
        return Ok(());
    };
    r?;
    with(|sim| {
        push(
            sim,
            Entry::Created {
                path: path.to_owned(),
                dir: false,
            },
        );
        sim.unsynced.insert(path.to_owned(), None);
    });
    Ok(())
}

pub fn sync_file(path: &Path) -> Result<()> {
    let Some(r) = step("sync_file", path) else {
        return Ok(());
    };
    io(path, r)?;
    with(|sim| sim.unsynced.remove(path));
    Ok(())
}

pub fn sync_dir(path: &Path) -> Result<()> {
    let Some(r) = step("sync_dir", path) else {
        return Ok(());
    };
    io(path, r)?;
    with(|sim| {
        for (_, folders) in &mut sim.pending {
            folders.retain(|f| f != path);
        }
        sim.pending.retain(|(_, folders)| !folders.is_empty());
    });
    Ok(())
}

pub fn create_dir(path: &Path) -> Result<()> {
    let Some(r) = step("create_dir", path) else {
        return Ok(());
    };
    io(path, r)?;
    with(|sim| {
        push(
            sim,
            Entry::Created {
                path: path.to_owned(),
                dir: true,
            },
        );
    });
    Ok(())
}

pub fn rename(from: &Path, to: &Path) -> Result<()> {
    let Some(r) = step("rename", to) else {
        return Ok(());
    };
    io(to, r)?;
    with(|sim| {
        // Keep what the rename replaces, to bring it back.
        let displaced = to.is_file().then(|| {
            sim.trashed += 1;
            let keep = sim.trash.join(format!("displaced-{}", sim.trashed));
            fs::hard_link(to, &keep).unwrap();
            keep
        });
        rekey(sim, from, to);
        push(
            sim,
            Entry::Renamed {
                from: from.to_owned(),
                to: to.to_owned(),
                displaced,
            },
        );
    });
    Ok(())
}

/// Unsynced files move with a renamed file or folder.
fn rekey(sim: &mut Sim, from: &Path, to: &Path) {
    let moved: Vec<PathBuf> = sim
        .unsynced
        .keys()
        .filter(|p| p.starts_with(from))
        .cloned()
        .collect();
    for old in moved {
        let bytes = sim.unsynced.remove(&old).unwrap();
        let rest = old.strip_prefix(from).unwrap();
        let new = if rest.as_os_str().is_empty() {
            to.to_owned()
        } else {
            to.join(rest)
        };
        sim.unsynced.insert(new, bytes);
    }
}

/// Removes by moving into the trash; `true` when recording (the removal
/// is done).
pub fn remove(path: &Path) -> Result<bool> {
    let Some(r) = step("remove", path) else {
        return Ok(false);
    };
    io(path, r)?;
    with(|sim| {
        sim.trashed += 1;
        let trash = sim.trash.join(format!("removed-{}", sim.trashed));
        fs::rename(path, &trash).map_err(|e| Error::io(path, e))?;
        rekey(sim, path, &trash);
        push(
            sim,
            Entry::Removed {
                path: path.to_owned(),
                trash,
            },
        );
        Ok(true)
    })
}

/// Copies folder `from` to `to` (created), recursively: for tests that
/// start from a fixture or a pristine copy.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            fs::copy(entry.path(), dst).unwrap();
        }
    }
}
