//! The one error type of the crate.
//!
//! Every fallible call returns [`Result<T>`]. Variants are grouped by what
//! the caller can do about them: fix the input (`NodeNotFound`,
//! `InvalidArgument`, …), pick another directory (`NotADatabase`,
//! `UnsupportedFormat`, `Locked`), or treat the data as damaged
//! (`Corruption`). No dependency's error type appears here: the error a
//! storage or decoding failure came from is kept, type-erased, as the
//! [`source`](std::error::Error::source) of `Storage` and `Corruption`.

use std::path::PathBuf;

use crate::{EdgeId, NodeId};

/// The result type of every fallible QuiverDB call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An underlying error kept as the source of another.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How the C library and RocksDB spell `ENOSPC`.
pub(crate) const ENOSPC_TEXT: &str = "No space left on device";

/// Whether `e` says the file system is full (or over quota).
fn is_disk_full(e: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(ENOSPC | EDQUOT))
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system call on a file or directory failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The directory exists but does not hold a QuiverDB database.
    #[error(
        "{path} is not a QuiverDB database ({reason}); open an empty or missing directory to create one"
    )]
    NotADatabase {
        /// The directory that was opened.
        path: PathBuf,
        /// What is missing or foreign.
        reason: String,
    },

    /// The directory is missing and the options said not to create it.
    #[error("no database at {path} (creation was disabled with create_if_missing(false))")]
    DatabaseNotFound {
        /// The directory that was opened.
        path: PathBuf,
    },

    /// The database was written by a newer QuiverDB whose on-disk format this
    /// build cannot read.
    #[error(
        "{path} uses on-disk format version {found}, but this build of QuiverDB reads versions up to {supported}; upgrade QuiverDB to open it"
    )]
    UnsupportedFormat {
        /// The directory that was opened.
        path: PathBuf,
        /// The version stored in the database.
        found: u32,
        /// The newest version this build understands.
        supported: u32,
    },

    /// Another `Database` handle (in this or another process) has the
    /// directory open.
    #[error(
        "{path} is locked by another process (or another open handle in this process){}; close it first",
        holder.as_ref().map(|h| format!(": {h}")).unwrap_or_default()
    )]
    Locked {
        /// The directory that was opened.
        path: PathBuf,
        /// What the holder says of itself (its process id, and a server's
        /// address: [`Database::set_lock_note`](crate::Database::set_lock_note)).
        holder: Option<String>,
    },

    /// Stored data failed a consistency check or could not be decoded.
    #[error("corruption: {message}")]
    Corruption {
        /// What is damaged.
        message: String,
        /// The error that found it (a decoder's, the storage engine's).
        #[source]
        source: Option<BoxError>,
    },

    /// The file system holding the database is full (or a disk quota is
    /// used up). The operation that met it did not happen: a commit is not
    /// acknowledged, an import is undone, a checkpoint is not used. Free
    /// space and retry; once RocksDB itself has met a full disk it refuses
    /// writes until the database is reopened.
    #[error(
        "the disk is full: {message}; free space, then retry (reopen the database if writes still fail)"
    )]
    DiskFull {
        /// What was being written, naming the file.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },

    /// The storage engine reported an error.
    #[error("storage error: {message}")]
    Storage {
        /// What failed.
        message: String,
        /// The storage engine's own error.
        #[source]
        source: Option<BoxError>,
    },

    /// A node id does not name a live node.
    #[error("node {0} does not exist")]
    NodeNotFound(NodeId),

    /// An edge id does not name a live edge.
    #[error("edge {0} does not exist")]
    EdgeNotFound(EdgeId),

    /// A plain delete was asked for a node that still has edges.
    #[error("node {node} still has {edges} edge(s); delete them first or use detach_delete_node")]
    NodeHasEdges {
        /// The node.
        node: NodeId,
        /// How many incident edges it has (a self-loop counts once).
        edges: usize,
    },

    /// A write would give two nodes the same unique key.
    #[error("unique key ({label}, {key}) = {value} already belongs to node {existing}")]
    UniqueViolation {
        /// The label of the unique key.
        label: String,
        /// The property key of the unique key.
        key: String,
        /// The duplicated value, displayed.
        value: String,
        /// The node that already holds it.
        existing: NodeId,
    },

    /// A commit (or a new existence constraint) would leave a node or a
    /// relationship without a property an existence constraint requires.
    #[error(
        "{entity} has no property {key}, which the existence constraint {name} requires of every {owner}"
    )]
    MissingRequiredProperty {
        /// The node or relationship (`node 12`, `relationship 5`).
        entity: String,
        /// The label (`:Person`) or relationship type (`[:KNOWS]`).
        owner: String,
        /// The property key.
        key: String,
        /// The constraint's name.
        name: String,
    },

    /// An index lookup named a `(label, key)` pair with no index declared.
    #[error(
        "no index on ({label}, {key}); declare it with WriteTxn::create_index or create_unique_key"
    )]
    NotIndexed {
        /// The label.
        label: String,
        /// The property key.
        key: String,
    },

    /// No vector collection has this name.
    #[error("no vector collection named {0:?}")]
    CollectionNotFound(String),

    /// A vector collection with this name exists already.
    #[error("a vector collection named {0:?} exists already")]
    CollectionExists(String),

    /// No full-text index has this name.
    #[error("no full-text index named {0:?}")]
    FulltextIndexNotFound(String),

    /// A full-text index with this name exists already.
    #[error("a full-text index named {0:?} exists already")]
    FulltextIndexExists(String),

    /// A full-text query is not valid Lucene syntax.
    #[error("full-text query syntax error at character {position}: {message}")]
    FulltextQuery {
        /// Where the error is: a character offset into the query, from 0.
        position: usize,
        /// What is wrong.
        message: String,
    },

    /// A vector has the wrong number of components for its collection.
    #[error(
        "vector has {found} components, but the collection holds {expected}-dimensional vectors"
    )]
    DimensionMismatch {
        /// The collection's dimension.
        expected: usize,
        /// The vector's length.
        found: usize,
    },

    /// A collection that knows its text was used for text (upsert or
    /// search) while no embedder is attached to it in this process.
    #[error(
        "collection {collection:?} embeds its texts with the model {model:?}: attach it first (Database::attach_embedder, or --model on the command line)"
    )]
    EmbedderMissing {
        /// The collection.
        collection: String,
        /// The model it was created with.
        model: String,
    },

    /// An embedder other than the one a collection was created with was
    /// attached to it: its vectors would not be comparable.
    #[error(
        "collection {collection:?} was created with the model {recorded:?}, not {given:?}: its vectors would not be comparable"
    )]
    EmbedderMismatch {
        /// The collection.
        collection: String,
        /// The model recorded at its creation.
        recorded: String,
        /// The model given now.
        given: String,
    },

    /// An argument was out of range or malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Another write transaction stayed open for the whole time a new
    /// one was allowed to wait ([`Database::begin_write_within`]):
    /// transient, a retry may succeed.
    ///
    /// [`Database::begin_write_within`]: crate::Database::begin_write_within
    #[error("another write transaction stayed open for {waited:?}; retry when it has finished")]
    WriterBusy {
        /// How long the new transaction waited.
        waited: std::time::Duration,
    },

    /// An input file is malformed: a row that cannot be read, a value of
    /// the wrong type, a reference to a node that does not exist.
    #[error("{}, {at}: {reason}", path.display())]
    BadInput {
        /// The file.
        path: PathBuf,
        /// Where in it: `line N`, `row N`, `header`.
        at: String,
        /// What is wrong.
        reason: String,
    },

    /// A text-embedding model cannot be used: a file of its folder is
    /// missing or malformed, its parts do not fit together, or the model
    /// failed while embedding.
    #[error("model {}: {reason}", path.display())]
    Model {
        /// The model folder, or the file of it at fault.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// An I/O error on `path`; a full disk is [`Error::DiskFull`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if is_disk_full(&source) {
            return Error::DiskFull {
                message: format!("writing {}", path.display()),
                source: Some(Box::new(source)),
            };
        }
        Error::Io { path, source }
    }

    /// A failure reported by a library as text: a full disk (the message
    /// says "No space left on device") is [`Error::DiskFull`], anything
    /// else [`Error::Storage`].
    pub(crate) fn storage_text(what: impl Into<String>, text: &str) -> Self {
        if text.contains(ENOSPC_TEXT) {
            return Error::DiskFull {
                message: format!("{}: {text}", what.into()),
                source: None,
            };
        }
        Error::storage_msg(format!("{}: {text}", what.into()))
    }

    pub(crate) fn corruption(what: impl Into<String>) -> Self {
        Error::Corruption {
            message: what.into(),
            source: None,
        }
    }

    /// Damage found by `source` (a decoder's or the storage engine's error).
    pub(crate) fn corruption_from(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Corruption {
            message: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A failure of the storage engine, with its error.
    pub(crate) fn storage(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        let what = what.into();
        let text = source.to_string();
        if text.contains(ENOSPC_TEXT) {
            return Error::DiskFull {
                message: format!("{what}: {text}"),
                source: Some(Box::new(source)),
            };
        }
        Error::Storage {
            message: what,
            source: Some(Box::new(source)),
        }
    }

    /// A failure of the storage engine without an error of its own (a
    /// worker thread that stopped).
    pub(crate) fn storage_msg(what: impl Into<String>) -> Self {
        Error::Storage {
            message: what.into(),
            source: None,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Error::InvalidArgument(what.into())
    }
}
