//! `LOAD CSV`: the rows of a CSV file of the database's import directory
//! ([`crate::Builder::import_dir`]), for the internal procedure the clause
//! compiles to (`Procedure::LoadCsv`).
//!
//! A `file:///a/b.csv` URL names `a/b.csv` under the import directory;
//! any other scheme, a host other than `localhost`, a `..` and a link
//! that leads out of the directory are refused, and without an import
//! directory every URL is. Fields are strings; an empty field is `null`
//! (as in Neo4j). `WITH HEADERS` makes each row after the first a map by
//! the first row's names (a field past the last name is dropped, a name
//! past the row's last field is `null`). The file is read whole when the
//! clause runs for a row: its rows are held in memory (the bulk importer
//! is the tool for large files).

use std::fs::File;
use std::io::BufReader;
use std::path::{Component, Path, PathBuf};

use super::graph::Access;
use crate::query::error::{ErrorKind, QResult, QueryError};
use crate::query::value::{CypherValue as V, CypherValue};

/// A UTF-8 byte-order mark, dropped from the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The rows of the file `args[0]` names: one output column each, a list
/// of strings, or with headers (`args[1]`) a map; `args[2]` is the field
/// terminator (`null`: a comma).
pub(super) fn rows(
    args: &[CypherValue],
    access: &Access<'_, '_>,
) -> QResult<Vec<Vec<CypherValue>>> {
    let url = match args.first() {
        Some(V::String(s)) => s.as_str(),
        Some(other) => {
            return Err(failed(format!(
                "LOAD CSV needs a URL string, not {}",
                other.type_name()
            )));
        }
        None => return Err(failed("LOAD CSV needs a URL")),
    };
    let headers = matches!(args.get(1), Some(V::Bool(true)));
    let delimiter = match args.get(2) {
        Some(V::String(t)) => terminator(t)?,
        _ => b',',
    };
    let dir = access.import_dir().ok_or_else(|| {
        failed(format!(
            "LOAD CSV FROM {url:?}: the database has no import directory, so LOAD CSV reads no file \
             (open it with Builder::import_dir, or `quiver query --import-dir DIR`)"
        ))
    })?;
    let path = resolve(url, dir)?;
    let file = File::open(&path).map_err(|e| failed(format!("cannot read {url}: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(BufReader::new(file));
    let mut names: Option<Vec<String>> = None;
    let mut out = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(failed(format!("{url}: {e}"))),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let mut fields = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            let field = if first && i == 0 {
                field.strip_prefix(BOM).unwrap_or(field)
            } else {
                field
            };
            fields.push(if field.is_empty() {
                V::Null
            } else {
                let text = std::str::from_utf8(field).map_err(|_| {
                    failed(format!(
                        "{url}, line {line}: field {} is not UTF-8 text",
                        i + 1
                    ))
                })?;
                V::String(text.to_owned())
            });
        }
        first = false;
        if !headers {
            out.push(vec![V::List(fields)]);
            continue;
        }
        let Some(names) = &names else {
            names = Some(
                fields
                    .into_iter()
                    .map(|f| match f {
                        V::String(s) => s,
                        _ => String::new(),
                    })
                    .collect(),
            );
            continue;
        };
        let mut fields = fields.into_iter();
        let map = names
            .iter()
            .map(|name| (name.clone(), fields.next().unwrap_or(V::Null)))
            .collect();
        out.push(vec![V::Map(map)]);
    }
    Ok(out)
}

/// The one byte a `FIELDTERMINATOR` names.
fn terminator(text: &str) -> QResult<u8> {
    match text.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(QueryError::runtime(
            ErrorKind::ArgumentError,
            "InvalidArgumentValue",
            format!("FIELDTERMINATOR is one ASCII character, not {text:?}"),
        )),
    }
}

/// The file `url` names under `dir`, or why it is refused.
fn resolve(url: &str, dir: &Path) -> QResult<PathBuf> {
    let refuse = |why: &str| {
        failed(format!(
            "LOAD CSV refuses {url:?}: {why}; it reads file:/// URLs of the import directory {}",
            dir.display()
        ))
    };
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(refuse("it is not a URL"));
    };
    if !scheme.eq_ignore_ascii_case("file") {
        return Err(refuse("only file URLs are read"));
    }
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let (host, path) = after.split_at(after.find('/').unwrap_or(after.len()));
            if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
                return Err(refuse("a file URL with a host"));
            }
            path
        }
        None => rest,
    };
    let decoded = percent_decoded(path).ok_or_else(|| refuse("a bad %-escape"))?;
    let mut full = dir.to_path_buf();
    for part in Path::new(&decoded).components() {
        match part {
            Component::Normal(p) => full.push(p),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(refuse("it leaves the import directory"));
            }
        }
    }
    // A link inside the directory may lead out of it: the real paths are
    // compared.
    let real = full
        .canonicalize()
        .map_err(|e| failed(format!("cannot read {url} ({}): {e}", full.display())))?;
    let root = dir.canonicalize().map_err(|e| {
        failed(format!(
            "the import directory {} cannot be read: {e}",
            dir.display()
        ))
    })?;
    if !real.starts_with(&root) {
        return Err(refuse("it leaves the import directory"));
    }
    if !real.is_file() {
        return Err(failed(format!("{url} is not a file")));
    }
    Ok(real)
}

/// `text` with its `%XX` escapes decoded, `None` when one is malformed or
/// the result is not UTF-8.
fn percent_decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn failed(message: impl Into<String>) -> QueryError {
    QueryError::runtime(ErrorKind::ArgumentError, "ExternalResourceFailed", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_inside_the_import_directory_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a b.csv"), "x\n").unwrap();
        let real = dir.path().join("sub/a b.csv").canonicalize().unwrap();
        for url in [
            "file:///sub/a%20b.csv",
            "file:/sub/a b.csv",
            "FILE://localhost/sub/./a%20b.csv",
        ] {
            assert_eq!(resolve(url, dir.path()).unwrap(), real, "{url}");
        }
        for url in [
            "file:///sub/../sub/a%20b.csv",
            "file:///../x.csv",
            "http://example.com/a.csv",
            "file://example.com/sub/a.csv",
            "sub/a b.csv",
            "file:///sub/a%2",
            "file:///sub",
            "file:///missing.csv",
        ] {
            let e = resolve(url, dir.path()).unwrap_err();
            assert_eq!(e.detail, "ExternalResourceFailed", "{url}: {e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_import_directory_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.csv"), "x\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let e = resolve("file:///out/secret.csv", dir.path()).unwrap_err();
        assert!(e.message.contains("leaves the import directory"), "{e}");
    }

    #[test]
    fn a_field_terminator_is_one_ascii_character() {
        assert_eq!(terminator("\t").unwrap(), b'\t');
        assert_eq!(terminator(";").unwrap(), b';');
        for bad in ["", ";;", "é"] {
            assert!(terminator(bad).is_err(), "{bad:?}");
        }
    }
}
