//! Every error of the library mapped to its Python exception, in one place.
//!
//! The classes are defined in `quiverdb/errors.py` (a Python hierarchy can
//! subclass built-ins such as `ValueError` and `SyntaxError` twice over);
//! this file decides which class each error becomes.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use quiverdb::Error;
use quiverdb::query::{ErrorKind, QueryError};

/// Why a call failed: a library error, a query error, or a fault of the
/// binding's own (closed database, forked process, bad Python input).
pub(crate) enum Failure {
    Db(Error),
    Query(QueryError),
    Own(&'static str, String),
}

pub(crate) type Res<T> = Result<T, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Db(e)
    }
}

impl From<QueryError> for Failure {
    fn from(e: QueryError) -> Failure {
        Failure::Query(e)
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        Python::attach(|py| match f {
            Failure::Db(e) => raise(py, db_class(&e), &e.to_string()),
            Failure::Query(e) => query_error(py, &e),
            Failure::Own(class, message) => raise(py, class, &message),
        })
    }
}

/// A bad argument from Python (wrong type, shape, NaN, ...).
pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    Failure::Own("InvalidInputError", message.into())
}

/// The same, as a `PyErr` for code that already returns `PyResult`.
pub(crate) fn invalid_err(message: impl Into<String>) -> PyErr {
    invalid(message).into()
}

/// The class of a library error.
fn db_class(e: &Error) -> &'static str {
    match e {
        Error::Locked { .. } => "LockedError",
        Error::NotADatabase { .. } | Error::DatabaseNotFound { .. } => "NotADatabaseError",
        Error::UnsupportedFormat { .. } => "NewerFormatError",
        Error::Corruption { .. } => "CorruptionError",
        Error::DiskFull { .. } => "DiskFullError",
        Error::NodeNotFound(_)
        | Error::EdgeNotFound(_)
        | Error::CollectionNotFound(_)
        | Error::FulltextIndexNotFound(_) => "NotFoundError",
        Error::NodeHasEdges { .. }
        | Error::UniqueViolation { .. }
        | Error::CollectionExists(_)
        | Error::FulltextIndexExists(_) => "ConstraintError",
        Error::NotIndexed { .. }
        | Error::FulltextQuery { .. }
        | Error::DimensionMismatch { .. }
        | Error::InvalidArgument(_)
        | Error::BadInput { .. } => "InvalidInputError",
        Error::EmbedderMissing { .. } | Error::EmbedderMismatch { .. } | Error::Model { .. } => {
            "EmbedderError"
        }
        _ => "StorageError",
    }
}

/// A query error: a storage failure underneath keeps its own class (a full
/// disk inside a statement is a `DiskFullError`); the others are
/// `CypherError`s carrying Neo4j's status code, the kind, the detail code
/// and the position.
fn query_error(py: Python<'_>, e: &QueryError) -> PyErr {
    if e.kind == ErrorKind::Database
        && let Some(cause) = e.database_error()
    {
        return raise(py, db_class(cause), &e.to_string());
    }
    let class = match e.kind {
        ErrorKind::SyntaxError | ErrorKind::SemanticError => "CypherSyntaxError",
        ErrorKind::TypeError => "CypherTypeError",
        ErrorKind::ConstraintVerificationFailed => "CypherConstraintError",
        ErrorKind::Timeout => "QueryTimeoutError",
        _ => "CypherError",
    };
    let err = raise(py, class, &e.to_string());
    let value = err.value(py);
    let (line, column) = match e.position {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    let set = || -> PyResult<()> {
        value.setattr("code", e.status())?;
        value.setattr("kind", e.kind.name())?;
        value.setattr("detail", e.detail)?;
        value.setattr("line", line)?;
        value.setattr("column", column)?;
        if class == "CypherSyntaxError" {
            // What SyntaxError's own readers (tracebacks, IDEs) look at.
            value.setattr("msg", &e.message)?;
            value.setattr("lineno", line)?;
            value.setattr("offset", column)?;
            value.setattr("text", e.excerpt.as_deref())?;
        }
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(other) => other,
    }
}

/// An exception of the named class of `quiverdb.errors` with `message`.
fn raise(py: Python<'_>, class: &str, message: &str) -> PyErr {
    match error_class(py, class) {
        Ok(cls) => PyErr::from_type(cls, message.to_owned()),
        Err(e) => PyRuntimeError::new_err(format!("{message} (and {e})")),
    }
}

fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = MODULE.get_or_try_init(py, || py.import("quiverdb.errors").map(Bound::unbind))?;
    Ok(module.bind(py).getattr(name)?.cast_into::<PyType>()?)
}
