//! Query errors, classified as the openCypher TCK classifies them.

use std::fmt;
use std::time::{Duration, Instant};

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
    /// The statement uses a part of the language this build does not run.
    Unsupported,
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
            ErrorKind::Unsupported => "Unsupported",
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

/// A statement that could not be compiled or run.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl std::error::Error for QueryError {}

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
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    /// The deadline `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// A [`ErrorKind::Timeout`] error once the deadline has passed.
    pub fn check(self) -> QResult<()> {
        if Instant::now() < self.at {
            return Ok(());
        }
        Err(QueryError::runtime(
            ErrorKind::Timeout,
            "TimeLimitExceeded",
            format!(
                "the statement ran past its time limit of {} ms and was stopped",
                self.limit.as_millis()
            ),
        ))
    }
}

/// Checks an optional deadline.
pub(crate) fn check_deadline(d: Option<Deadline>) -> QResult<()> {
    d.map_or(Ok(()), Deadline::check)
}
