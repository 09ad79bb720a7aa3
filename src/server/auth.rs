//! The server's users: names and Argon2id password hashes (salted, slow
//! by design) in a file `users` in the database directory, one
//! `name:hash` per line in the PHC string form. The file is replaced
//! whole (written beside, synced, renamed), so a crash leaves the old
//! list or the new one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};

/// The users of a database directory.
#[derive(Debug)]
pub struct Users {
    path: PathBuf,
    entries: Vec<(String, String)>,
}

impl Users {
    /// The users file of database directory `dir` (none yet if it does not
    /// exist).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::BadInput`]
    /// when a line is not `name:hash`.
    pub fn load(dir: &Path) -> Result<Users> {
        let path = dir.join("users");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((name, hash)) = line.split_once(':') else {
                return Err(Error::BadInput {
                    path,
                    at: format!("line {}", i + 1),
                    reason: "a users line is name:hash".into(),
                });
            };
            if PasswordHash::new(hash).is_err() {
                return Err(Error::BadInput {
                    path,
                    at: format!("line {}", i + 1),
                    reason: format!("the hash of user {name:?} is not a PHC string"),
                });
            }
            entries.push((name.to_owned(), hash.to_owned()));
        }
        Ok(Users { path, entries })
    }

    /// Whether there is no user.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The user names, in the file's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Whether `name` and `password` are a user's: the hash is checked
    /// even for an unknown name, so the time does not tell which names
    /// exist.
    #[must_use]
    pub fn verify(&self, name: &str, password: &str) -> bool {
        const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                             0yM+vYzmlbRD7w0BDhjPOiDC+qL3mFSUfGvQmFjPjIc";
        let hash = self
            .entries
            .iter()
            .find(|(n, _)| n == name)
            .map_or(DECOY, |(_, h)| h.as_str());
        let known = hash != DECOY;
        PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }) && known
    }

    /// Adds user `name` with `password`, or sets the password of an
    /// existing one (`replace`), and saves the file.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name or one with `:` or a
    /// line break, an empty password, a new user that exists (or an
    /// existing one that does not, with `replace`); [`Error::Io`] when the
    /// file cannot be written.
    pub fn set(&mut self, name: &str, password: &str, replace: bool) -> Result<()> {
        if name.is_empty() || name.contains([':', '\n', '\r']) {
            return Err(Error::InvalidArgument(format!(
                "a user name is not empty and has no ':' or line break: {name:?}"
            )));
        }
        if password.is_empty() {
            return Err(Error::InvalidArgument("the password is empty".into()));
        }
        let at = self.entries.iter().position(|(n, _)| n == name);
        match (at, replace) {
            (Some(_), false) => {
                return Err(Error::InvalidArgument(format!("user {name:?} exists")));
            }
            (None, true) => {
                return Err(Error::InvalidArgument(format!("no user {name:?}")));
            }
            _ => {}
        }
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| Error::InvalidArgument(format!("cannot hash the password: {e}")))?
            .to_string();
        match at {
            Some(i) => self.entries[i].1 = hash,
            None => self.entries.push((name.to_owned(), hash)),
        }
        self.save()
    }

    /// Removes user `name` and saves the file.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when there is no such user;
    /// [`Error::Io`] when the file cannot be written.
    pub fn remove(&mut self, name: &str) -> Result<()> {
        let Some(at) = self.entries.iter().position(|(n, _)| n == name) else {
            return Err(Error::InvalidArgument(format!("no user {name:?}")));
        };
        self.entries.remove(at);
        self.save()
    }

    fn save(&self) -> Result<()> {
        let tmp = self.path.with_extension("new");
        let mut text = String::new();
        for (name, hash) in &self.entries {
            text.push_str(name);
            text.push(':');
            text.push_str(hash);
            text.push('\n');
        }
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            if let Some(dir) = self.path.parent() {
                fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_added_verified_changed_and_removed_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut users = Users::load(dir.path()).unwrap();
        assert!(users.is_empty());
        users.set("ada", "s3cret", false).unwrap();
        assert!(users.set("ada", "again", false).is_err());
        assert!(users.set("bob", "x", true).is_err());
        assert!(users.set("a:b", "x", false).is_err());
        assert!(users.set("c", "", false).is_err());
        let again = Users::load(dir.path()).unwrap();
        assert!(again.verify("ada", "s3cret"));
        assert!(!again.verify("ada", "S3cret"));
        assert!(!again.verify("eve", "s3cret"));
        let text = fs::read_to_string(dir.path().join("users")).unwrap();
        assert!(text.starts_with("ada:$argon2id$"), "{text}");
        assert!(!text.contains("s3cret"));
        users.set("ada", "new", true).unwrap();
        assert!(Users::load(dir.path()).unwrap().verify("ada", "new"));
        users.remove("ada").unwrap();
        assert!(Users::load(dir.path()).unwrap().is_empty());
        fs::write(dir.path().join("users"), "nocolon\n").unwrap();
        assert!(matches!(
            Users::load(dir.path()),
            Err(Error::BadInput { .. })
        ));
    }
}
