//! Cypher statements.
//!
//! A statement is parsed by the `open-cypher` crate (a lossless lexer and
//! a LALRPOP parser of the openCypher 2024.3 grammar, checked against every
//! query of the TCK: a typed, spanned syntax tree with diagnostics that
//! point at the spot), checked and compiled here to a plan over rows of
//! slots ([`compile`]), then run ([`exec`]).
//!
//! What runs today: expressions (literals, parameters, lists, maps,
//! arithmetic, comparison, three-valued boolean logic, `IN`, string
//! predicates, `=~`, `IS [NOT] NULL`, `CASE`, indexing and slicing, list
//! comprehensions, quantifiers, `reduce`, map projections, the scalar
//! functions of [`func`]), `UNWIND`, `WITH` (with `WHERE`), `RETURN`,
//! `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT`, aggregation and `UNION [ALL]`.
//! Graph clauses (`MATCH`, `CREATE`, `MERGE`, `SET`, `DELETE`, ...) and
//! `CALL` are refused with an [`ErrorKind::Unsupported`] error:
//! docs/QUERY.md says what comes next.

#![allow(
    clippy::cast_possible_wrap,
    reason = "lengths of in-memory lists and strings fit in an i64"
)]

mod compile;
mod error;
mod exec;
mod expr;
mod func;
mod value;

pub use error::{ErrorKind, Phase, QueryError};
pub use expr::Params;
pub use value::{CypherValue, format_float};

/// The result of a statement: its column names and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    columns: Vec<String>,
    rows: Vec<Vec<CypherValue>>,
}

impl QueryResult {
    /// The column names, in order.
    #[must_use]
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows, each with one value per column.
    #[must_use]
    pub fn rows(&self) -> &[Vec<CypherValue>] {
        &self.rows
    }

    /// The rows, owned.
    #[must_use]
    pub fn into_rows(self) -> Vec<Vec<CypherValue>> {
        self.rows
    }
}

/// Parses, checks and runs `text` with `params`.
///
/// A statement that is not valid Cypher fails with a
/// [`ErrorKind::SyntaxError`] naming the line and column; one that breaks
/// the language's rules with a [`ErrorKind::SemanticError`] (both at
/// [`Phase::Compile`], before anything runs); a value of the wrong type met
/// while running with a [`ErrorKind::TypeError`] at [`Phase::Runtime`].
pub fn run(text: &str, params: &Params) -> Result<QueryResult, QueryError> {
    check_nesting(text)?;
    let parsed = open_cypher::parse(text).map_err(|errors| {
        let first = errors.diagnostics().first();
        let offset = first.map_or(0, |d| d.primary_span.start);
        let message = first.map_or_else(|| "invalid statement".to_owned(), |d| d.message.clone());
        QueryError::compile(ErrorKind::SyntaxError, "InvalidSyntax", message).at(text, offset)
    })?;
    let statement = match parsed.program.statements.as_slice() {
        [one] => one,
        [] => {
            return Err(QueryError::compile(
                ErrorKind::SyntaxError,
                "InvalidSyntax",
                "the statement is empty",
            ));
        }
        [_, second, ..] => {
            return Err(QueryError::compile(
                ErrorKind::SyntaxError,
                "InvalidSyntax",
                "one statement at a time",
            )
            .at(text, second.span.start));
        }
    };
    let open_cypher::ast::StatementKind::Query(query) = &statement.kind else {
        return Err(QueryError::compile(
            ErrorKind::SyntaxError,
            "InvalidSyntax",
            "the statement could not be parsed",
        ));
    };
    if query.mode.is_some() {
        return Err(error::unsupported("EXPLAIN and PROFILE"));
    }
    let plan = compile::compile(text, &query.query, params)?;
    let rows = exec::run(&plan, params)?;
    Ok(QueryResult {
        columns: plan.columns,
        rows,
    })
}

/// Brackets nested deeper than this are refused before parsing (the
/// syntax tree and its compilation recurse once per level).
pub const MAX_NESTING: usize = 200;

/// Refuses a statement whose brackets nest deeper than [`MAX_NESTING`]
/// (outside string literals).
fn check_nesting(text: &str) -> Result<(), QueryError> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (offset, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(QueryError::compile(
                        ErrorKind::SyntaxError,
                        "NestingTooDeep",
                        format!("brackets nest deeper than {MAX_NESTING} levels"),
                    )
                    .at(text, offset));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
