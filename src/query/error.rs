//! Query errors, classified as the openCypher TCK classifies them, with
//! the Neo4j status code a client or protocol reads ([`status`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::Error;

/// The class of a query error (the TCK's error types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not a statement of the language, or breaks one of its
    /// rules (an unbound or redefined variable, an aggregate where none
    /// may be, a negative `LIMIT`, ...): the TCK classifies both alike.
    SyntaxError,
    /// A statement that is well formed asks for something meaningless
    /// while it runs.
    SemanticError,
    /// A value of the wrong type reached an operator or function.
    TypeError,
    /// An argument has the right type but a wrong value.
    ArgumentError,
    /// Integer overflow or division by zero.
    ArithmeticError,
    /// A write would break a constraint (a unique key).
    ConstraintVerificationFailed,
    /// A parameter the statement names was not given.
    ParameterMissing,
    /// The statement reads a node or relationship it deleted.
    EntityNotFound,
    /// Storage failed underneath the statement (the message says how).
    Database,
    /// The statement ran past its time limit and was stopped.
    Timeout,
    /// The statement was stopped through its [`crate::query::Interrupt`]
    /// (a Bolt client's RESET, a client that went away).
    Interrupted,
    /// The statement uses a part of the language this build does not run.
    Unsupported,
    /// A procedure that does not exist, or whose call failed.
    ProcedureError,
}

impl ErrorKind {
    /// The TCK's name of the class.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::SyntaxError => "SyntaxError",
            ErrorKind::SemanticError => "SemanticError",
            ErrorKind::TypeError => "TypeError",
            ErrorKind::ArgumentError => "ArgumentError",
            ErrorKind::ArithmeticError => "ArithmeticError",
            ErrorKind::ConstraintVerificationFailed => "ConstraintVerificationFailed",
            ErrorKind::ParameterMissing => "ParameterMissing",
            ErrorKind::EntityNotFound => "EntityNotFound",
            ErrorKind::Database => "DatabaseError",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Interrupted => "Interrupted",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::ProcedureError => "ProcedureError",
        }
    }
}

/// When a query error was raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Before the statement ran (parsing and checking it).
    Compile,
    /// While it ran.
    Runtime,
}

/// Neo4j's status codes for the errors a statement can end in, as named
/// constants: [`QueryError::status`] returns one of them, so a caller (the
/// CLI, a protocol server) branches on a code instead of a message.
pub mod status {
    /// The text is not valid Cypher, or breaks one of the language's rules.
    pub const SYNTAX_ERROR: &str = "Neo.ClientError.Statement.SyntaxError";
    /// A well-formed statement asks for something meaningless.
    pub const SEMANTIC_ERROR: &str = "Neo.ClientError.Statement.SemanticError";
    /// A value of the wrong type reached an operator or function.
    pub const TYPE_ERROR: &str = "Neo.ClientError.Statement.TypeError";
    /// An argument has the right type but a wrong value.
    pub const ARGUMENT_ERROR: &str = "Neo.ClientError.Statement.ArgumentError";
    /// Integer overflow or division by zero.
    pub const ARITHMETIC_ERROR: &str = "Neo.ClientError.Statement.ArithmeticError";
    /// A parameter the statement names was not given.
    pub const PARAMETER_MISSING: &str = "Neo.ClientError.Statement.ParameterMissing";
    /// The statement reads a node or relationship that was deleted.
    pub const ENTITY_NOT_FOUND: &str = "Neo.ClientError.Statement.EntityNotFound";
    /// A write statement on a read-only transaction.
    pub const ACCESS_MODE: &str = "Neo.ClientError.Statement.AccessMode";
    /// A write would break a constraint (a unique key).
    pub const CONSTRAINT_VALIDATION_FAILED: &str =
        "Neo.ClientError.Schema.ConstraintValidationFailed";
    /// `CALL` of a procedure that does not exist.
    pub const PROCEDURE_NOT_FOUND: &str = "Neo.ClientError.Procedure.ProcedureNotFound";
    /// `LOAD CSV` could not read its file: outside the import directory,
    /// missing, not CSV of the expected shape, or none configured.
    pub const EXTERNAL_RESOURCE_FAILED: &str = "Neo.ClientError.Statement.ExternalResourceFailed";
    /// A registered procedure's function failed.
    pub const PROCEDURE_CALL_FAILED: &str = "Neo.ClientError.Procedure.ProcedureCallFailed";
    /// The statement ran past its time limit.
    pub const TRANSACTION_TIMED_OUT: &str = "Neo.ClientError.Transaction.TransactionTimedOut";
    /// The statement was stopped from outside (an interrupt).
    pub const TERMINATED: &str = "Neo.ClientError.Transaction.Terminated";
    /// The statement uses a part of the language this build does not run.
    pub const EXECUTION_FAILED: &str = "Neo.DatabaseError.Statement.ExecutionFailed";
    /// The stored data is damaged ([`crate::Error::Corruption`]).
    pub const STORAGE_DAMAGE_DETECTED: &str = "Neo.DatabaseError.General.StorageDamageDetected";
    /// Storage failed underneath the statement in another way (a full
    /// disk among them: [`QueryError::database_error`] says which).
    pub const UNKNOWN_ERROR: &str = "Neo.DatabaseError.General.UnknownError";
}

/// A statement that could not be compiled or run.
///
/// A storage failure keeps the [`crate::Error`] it came from as its
/// [`source`](std::error::Error::source) (a full disk stays
/// [`crate::Error::DiskFull`]); every error has a Neo4j status code
/// ([`QueryError::status`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct QueryError {
    /// Its class.
    pub kind: ErrorKind,
    /// The TCK's detail code (`UndefinedVariable`, `InvalidArgumentType`,
    /// ...), or a short name of the problem.
    pub detail: &'static str,
    /// When it was raised.
    pub phase: Phase,
    /// What is wrong, for a person.
    pub message: String,
    /// Line and column (1-based, columns in characters) of the spot, when
    /// known.
    pub position: Option<(usize, usize)>,
    /// The statement's line there with a caret under the spot, when known.
    pub excerpt: Option<String>,
    /// The database error underneath, for a storage or graph failure.
    pub(crate) cause: Option<Arc<Error>>,
}

impl PartialEq for QueryError {
    /// Errors are equal when everything but the kept cause is (the cause's
    /// text is in the message).
    fn eq(&self, other: &QueryError) -> bool {
        (
            self.kind,
            self.detail,
            self.phase,
            &self.message,
            self.position,
            &self.excerpt,
        ) == (
            other.kind,
            other.detail,
            other.phase,
            &other.message,
            other.position,
            &other.excerpt,
        )
    }
}

impl Eq for QueryError {}

impl From<Error> for QueryError {
    /// A database error met while a statement runs: a unique-key violation,
    /// a deleted entity, an invalid argument and a missing index or
    /// collection keep their Cypher classes;
    /// every other error is [`ErrorKind::Database`]. The error is kept as
    /// the [`source`](std::error::Error::source).
    fn from(e: Error) -> QueryError {
        let (kind, detail) = match &e {
            Error::UniqueViolation { .. } => {
                (ErrorKind::ConstraintVerificationFailed, "UniqueViolation")
            }
            Error::MissingRequiredProperty { .. } => (
                ErrorKind::ConstraintVerificationFailed,
                "MissingRequiredProperty",
            ),
            Error::NodeNotFound(_) | Error::EdgeNotFound(_) => {
                (ErrorKind::EntityNotFound, "DeletedEntityAccess")
            }
            Error::InvalidArgument(_) => (ErrorKind::ArgumentError, "InvalidArgument"),
            Error::FulltextQuery { .. } => (ErrorKind::ProcedureError, "FulltextQuerySyntax"),
            Error::FulltextIndexNotFound(_) | Error::CollectionNotFound(_) => {
                (ErrorKind::ProcedureError, "IndexNotFound")
            }
            Error::DiskFull { .. } => (ErrorKind::Database, "DiskFull"),
            Error::Corruption { .. } => (ErrorKind::Database, "Corruption"),
            _ => (ErrorKind::Database, "Storage"),
        };
        QueryError {
            cause: Some(Arc::new(e)),
            ..QueryError::runtime(kind, detail, String::new())
        }
        .with_cause_message()
    }
}

impl QueryError {
    /// A compile-time error.
    pub(crate) fn compile(
        kind: ErrorKind,
        detail: &'static str,
        message: impl Into<String>,
    ) -> QueryError {
        QueryError {
            kind,
            detail,
            phase: Phase::Compile,
            message: message.into(),
            position: None,
            excerpt: None,
            cause: None,
        }
    }

    /// The message of an error made from a database error: that error's text.
    fn with_cause_message(mut self) -> QueryError {
        if let Some(cause) = &self.cause {
            self.message = cause.to_string();
        }
        self
    }

    /// The database error underneath, for a storage or graph failure.
    #[must_use]
    pub fn database_error(&self) -> Option<&Error> {
        self.cause.as_deref()
    }

    /// Neo4j's status code for this error (one of [`status`]'s constants).
    #[must_use]
    pub fn status(&self) -> &'static str {
        match (self.kind, self.detail) {
            (_, "ReadOnlyTransaction" | "ReadOnlyStream") => status::ACCESS_MODE,
            (_, "ProcedureNotFound") => status::PROCEDURE_NOT_FOUND,
            (_, "ExternalResourceFailed") => status::EXTERNAL_RESOURCE_FAILED,
            (ErrorKind::ProcedureError, _) => status::PROCEDURE_CALL_FAILED,
            (ErrorKind::SyntaxError, _) => status::SYNTAX_ERROR,
            (ErrorKind::SemanticError, _) => status::SEMANTIC_ERROR,
            (ErrorKind::TypeError, _) => status::TYPE_ERROR,
            (ErrorKind::ArgumentError, _) => status::ARGUMENT_ERROR,
            (ErrorKind::ArithmeticError, _) => status::ARITHMETIC_ERROR,
            (ErrorKind::ConstraintVerificationFailed, _) => status::CONSTRAINT_VALIDATION_FAILED,
            (ErrorKind::ParameterMissing, _) => status::PARAMETER_MISSING,
            (ErrorKind::EntityNotFound, _) => status::ENTITY_NOT_FOUND,
            (ErrorKind::Timeout, _) => status::TRANSACTION_TIMED_OUT,
            (ErrorKind::Interrupted, _) => status::TERMINATED,
            (ErrorKind::Unsupported, _) => status::EXECUTION_FAILED,
            (ErrorKind::Database, "Corruption") => status::STORAGE_DAMAGE_DETECTED,
            (ErrorKind::Database, _) => status::UNKNOWN_ERROR,
        }
    }

    /// A run-time error.
    pub(crate) fn runtime(
        kind: ErrorKind,
        detail: &'static str,
        message: impl Into<String>,
    ) -> QueryError {
        QueryError {
            phase: Phase::Runtime,
            ..QueryError::compile(kind, detail, message)
        }
    }

    /// Places the error at byte `offset` of `text`.
    #[must_use]
    pub(crate) fn at(mut self, text: &str, offset: usize) -> QueryError {
        if self.position.is_some() {
            return self;
        }
        let offset = offset.min(text.len());
        let offset = (0..=offset)
            .rev()
            .find(|&o| text.is_char_boundary(o))
            .unwrap_or(0);
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = text[line_start..offset].chars().count() + 1;
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        self.position = Some((line, column));
        self.excerpt = Some(format!(
            "{}\n{}^",
            &text[line_start..line_end],
            " ".repeat(column - 1)
        ));
        self
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Compile => "compile time",
            Phase::Runtime => "run time",
        };
        write!(
            f,
            "{} ({}) at {phase}: {}",
            self.kind.name(),
            self.detail,
            self.message
        )?;
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        if let Some(excerpt) = &self.excerpt {
            write!(f, "\n{excerpt}")?;
        }
        Ok(())
    }
}

impl std::error::Error for QueryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand for run-time type errors.
pub(crate) fn type_error(message: impl Into<String>) -> QueryError {
    QueryError::runtime(ErrorKind::TypeError, "InvalidArgumentType", message)
}

/// Shorthand for run-time argument errors.
pub(crate) fn argument_error(detail: &'static str, message: impl Into<String>) -> QueryError {
    QueryError::runtime(ErrorKind::ArgumentError, detail, message)
}

/// Shorthand for compile-time errors of the language's rules (the TCK
/// classifies them as syntax errors, with a detail code).
pub(crate) fn semantic(detail: &'static str, message: impl Into<String>) -> QueryError {
    QueryError::compile(ErrorKind::SyntaxError, detail, message)
}

/// Shorthand for parts of the language not run yet.
pub(crate) fn unsupported(what: impl Into<String>) -> QueryError {
    QueryError::compile(
        ErrorKind::Unsupported,
        "Unsupported",
        format!("{} is not supported yet", what.into()),
    )
}

/// The result of query compilation and evaluation steps.
pub(crate) type QResult<T> = std::result::Result<T, QueryError>;

/// When a statement must stop: its time limit, counted from its start.
/// Stops a running statement from another thread: pass a clone in
/// [`crate::query::QueryOptions::interrupt`], then call
/// [`Interrupt::interrupt`]. The statement stops where it would notice
/// its time limit (between batches of rows, every 1,024 hops of a walk)
/// with an [`ErrorKind::Interrupted`] error, its writes undone.
///
/// ```
/// use quiverdb::query::{Interrupt, QueryOptions};
/// let stop = Interrupt::new();
/// let options = QueryOptions::default().with_interrupt(stop.clone());
/// // ... from another thread, while a statement runs with `options`:
/// stop.interrupt();
/// assert!(stop.is_interrupted());
/// stop.clear(); // for the next statement
/// # drop(options);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A handle not yet triggered.
    #[must_use]
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Stops the statements running with this handle, and those started
    /// with it until [`Interrupt::clear`].
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Lets statements run with this handle again.
    pub fn clear(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// Whether it has been triggered (and not cleared).
    #[must_use]
    pub fn is_interrupted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl PartialEq for Interrupt {
    fn eq(&self, other: &Interrupt) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Interrupt {}

/// When a running statement stops: its time limit, its interrupt, or
/// both.
#[derive(Clone, Debug)]
pub(crate) struct Deadline {
    at: Option<(Instant, Duration)>,
    interrupt: Option<Interrupt>,
}

impl Deadline {
    /// The deadline `limit` from now, or at `interrupt`; `None` when
    /// there is neither.
    pub fn new(limit: Option<Duration>, interrupt: Option<&Interrupt>) -> Option<Deadline> {
        (limit.is_some() || interrupt.is_some()).then(|| Deadline {
            at: limit.map(|limit| (Instant::now() + limit, limit)),
            interrupt: interrupt.cloned(),
        })
    }

    /// A [`ErrorKind::Timeout`] error once the deadline has passed, an
    /// [`ErrorKind::Interrupted`] one once the interrupt is triggered.
    pub fn check(&self) -> QResult<()> {
        if self
            .interrupt
            .as_ref()
            .is_some_and(Interrupt::is_interrupted)
        {
            return Err(QueryError::runtime(
                ErrorKind::Interrupted,
                "Terminated",
                "the statement was interrupted and stopped",
            ));
        }
        match self.at {
            Some((at, limit)) if Instant::now() >= at => Err(QueryError::runtime(
                ErrorKind::Timeout,
                "TimeLimitExceeded",
                format!(
                    "the statement ran past its time limit of {} ms and was stopped",
                    limit.as_millis()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// How a statement's steps run: its deadline, and whether the
/// optimiser's rules are off (`QueryOptions::naive`).
#[derive(Clone, Debug)]
pub(crate) struct Running {
    pub deadline: Option<Deadline>,
    pub naive: bool,
    /// When the statement started, in nanoseconds since 1970 (UTC): what
    /// `date()`, `datetime()`, ... read.
    pub clock: i128,
    /// The statement runs in a transaction of its own
    /// (`Database::execute`), which `CALL { ... } IN TRANSACTIONS` may
    /// commit batch by batch.
    pub implicit: bool,
}

/// Checks an optional deadline.
pub(crate) fn check_deadline(d: Option<&Deadline>) -> QResult<()> {
    d.map_or(Ok(()), Deadline::check)
}
