//! The first stage: a statement's text to its syntax tree.
//!
//! The only file that names the parser, the `open-cypher` crate (a
//! lossless lexer and a LALRPOP parser of the openCypher 2024.3 grammar:
//! a typed, spanned syntax tree with diagnostics that point at the spot);
//! the compiler reads its tree through [`ast`]. Before parsing, the
//! statement's prefixes are read off and blanked (so error positions stay
//! those of the text as given): `EXPLAIN` or `PROFILE`, and Neo4j's
//! `CYPHER` with a language version (`5` or `25`) and query options
//! (`runtime=…`, `planner=…`: accepted and ignored, there being one
//! engine here), in either order.

pub(crate) use open_cypher::{Span, ast};

use super::error::{ErrorKind, QResult, QueryError};

/// A statement, parsed.
pub(crate) struct Parsed {
    /// Run, explain or profile it.
    pub mode: Mode,
    /// The text with its prefixes blanked: what error positions point
    /// into.
    pub text: String,
    /// Its syntax tree.
    pub body: Body,
}

/// A statement's syntax tree: a query, or an index or constraint command.
pub(crate) enum Body {
    Query(ast::Query),
    Schema(Box<ast::Node<ast::SchemaCommand>>),
}

/// `EXPLAIN`, `PROFILE` or neither, read off the statement's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Run,
    Explain,
    Profile,
}

/// The Cypher language versions a `CYPHER` prefix may name.
pub const CYPHER_VERSIONS: [&str; 2] = ["5", "25"];

/// Parses one statement: its prefixes, then the query.
///
/// A statement that is not valid Cypher fails with a
/// [`ErrorKind::SyntaxError`] naming the line and column, as does an
/// empty text, more than one statement, brackets nested deeper than
/// [`MAX_NESTING`] and a `CYPHER` version other than [`CYPHER_VERSIONS`].
pub(crate) fn parse(text: &str) -> QResult<Parsed> {
    let (mode, text) = prefixes(text)?;
    let text = show_call(&text).unwrap_or(text);
    check_nesting(&text)?;
    let parsed = open_cypher::parse(&text).map_err(|errors| {
        let first = errors.diagnostics().first();
        let offset = first.map_or(0, |d| d.primary_span.start);
        let message = first.map_or_else(|| "invalid statement".to_owned(), |d| d.message.clone());
        QueryError::compile(ErrorKind::SyntaxError, "InvalidSyntax", message).at(&text, offset)
    })?;
    let mut statements = parsed.program.statements.into_iter();
    let statement = match (statements.next(), statements.next()) {
        (Some(one), None) => one,
        (None, _) => {
            return Err(QueryError::compile(
                ErrorKind::SyntaxError,
                "InvalidSyntax",
                "the statement is empty",
            ));
        }
        (Some(_), Some(second)) => {
            return Err(QueryError::compile(
                ErrorKind::SyntaxError,
                "InvalidSyntax",
                "one statement at a time",
            )
            .at(&text, second.span.start));
        }
    };
    let body = match statement.kind {
        ast::StatementKind::Query(query) => Body::Query(query.query),
        ast::StatementKind::Schema(command) => Body::Schema(command),
        _ => {
            return Err(QueryError::compile(
                ErrorKind::SyntaxError,
                "InvalidSyntax",
                "the statement could not be parsed",
            ));
        }
    };
    Ok(Parsed { mode, text, body })
}

/// Reads the leading `EXPLAIN` / `PROFILE` and `CYPHER …` prefixes off
/// `text`, each at most once, blanking them.
fn prefixes(text: &str) -> QResult<(Mode, String)> {
    let mut blanked = text.to_owned();
    let mut mode = None;
    let mut cypher = false;
    let mut at = 0;
    loop {
        let (start, word) = next_word(&blanked, at);
        let upper = word.to_ascii_uppercase();
        let end = start + word.len();
        let followed = blanked[end..].starts_with(char::is_whitespace);
        match upper.as_str() {
            "EXPLAIN" | "PROFILE" if mode.is_none() && followed => {
                mode = Some(if upper == "EXPLAIN" {
                    Mode::Explain
                } else {
                    Mode::Profile
                });
                blank(&mut blanked, start, end);
                at = end;
            }
            "CYPHER" if !cypher && followed => {
                cypher = true;
                blank(&mut blanked, start, end);
                at = end;
                // A version, then options, each a word of its own.
                let (start, word) = next_word(&blanked, at);
                if word.starts_with(|c: char| c.is_ascii_digit()) {
                    if !CYPHER_VERSIONS.contains(&word) {
                        return Err(QueryError::compile(
                            ErrorKind::SyntaxError,
                            "UnsupportedCypherVersion",
                            format!(
                                "CYPHER {word} is not a version QuiverDB speaks; it speaks {}",
                                CYPHER_VERSIONS.join(" and ")
                            ),
                        )
                        .at(&blanked, start));
                    }
                    at = start + word.len();
                    blank(&mut blanked, start, at);
                }
                loop {
                    let (start, word) = next_word(&blanked, at);
                    if !is_option(word) {
                        break;
                    }
                    at = start + word.len();
                    blank(&mut blanked, start, at);
                }
            }
            _ => return Ok((mode.unwrap_or(Mode::Run), blanked)),
        }
    }
}

/// The columns of `SHOW INDEXES`, as Neo4j 5 names them: those it shows,
/// then those only `YIELD` names.
pub(crate) const SHOW_INDEXES: &[&str] = &[
    "id",
    "name",
    "state",
    "populationPercent",
    "type",
    "entityType",
    "labelsOrTypes",
    "properties",
    "indexProvider",
    "owningConstraint",
    "lastRead",
    "readCount",
    "trackedSince",
    "options",
    "failureMessage",
    "createStatement",
];

/// How many of [`SHOW_INDEXES`] a plain `SHOW INDEXES` returns.
pub(crate) const SHOWN_INDEX_COLUMNS: usize = 12;

/// The columns of `SHOW CONSTRAINTS`.
pub(crate) const SHOW_CONSTRAINTS: &[&str] = &[
    "id",
    "name",
    "type",
    "entityType",
    "labelsOrTypes",
    "properties",
    "ownedIndex",
    "propertyType",
    "options",
    "createStatement",
];

/// How many of [`SHOW_CONSTRAINTS`] a plain `SHOW CONSTRAINTS` returns.
pub(crate) const SHOWN_CONSTRAINT_COLUMNS: usize = 8;

/// `SHOW [kind] INDEXES | CONSTRAINTS` followed by `YIELD …` or `WHERE …`
/// as the procedure call it runs — `CALL quiver.showIndexes(kind) YIELD
/// …` (for `WHERE`, or `YIELD *`, the columns a plain `SHOW` returns, or
/// every column) — so the rest (`WHERE`, `RETURN`) is an ordinary query.
/// Error positions then point into the call. `None` for anything else.
fn show_call(text: &str) -> Option<String> {
    let (start, word) = next_word(text, 0);
    if !word.eq_ignore_ascii_case("SHOW") {
        return None;
    }
    let what = |w: &str| {
        let u = w.to_ascii_uppercase();
        match u.as_str() {
            "INDEX" | "INDEXES" => Some(false),
            "CONSTRAINT" | "CONSTRAINTS" => Some(true),
            _ => None,
        }
    };
    let (at, word) = next_word(text, start + word.len());
    let (kind, constraints, at) = if let Some(c) = what(word) {
        (None, c, at + word.len())
    } else {
        let (next, second) = next_word(text, at + word.len());
        let c = what(second)?;
        if !word.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        (Some(word.to_ascii_uppercase()), c, next + second.len())
    };
    let (columns, shown, procedure) = if constraints {
        (
            SHOW_CONSTRAINTS,
            SHOWN_CONSTRAINT_COLUMNS,
            "quiver.showConstraints",
        )
    } else {
        (SHOW_INDEXES, SHOWN_INDEX_COLUMNS, "quiver.showIndexes")
    };
    let listed = |n: usize| {
        columns[..n]
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kind = kind.map_or_else(|| "null".to_owned(), |k| format!("'{k}'"));
    let head = format!("CALL {procedure}({kind}) ");
    let (at, word) = next_word(text, at);
    match word.to_ascii_uppercase().as_str() {
        "WHERE" => Some(format!("{head}YIELD {} {}", listed(shown), &text[at..])),
        _ if word
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case("YIELD")) =>
        {
            let (star, next) = next_word(text, at + 5);
            if next.starts_with('*') {
                Some(format!(
                    "{head}YIELD {} {}",
                    listed(columns.len()),
                    &text[star + 1..]
                ))
            } else {
                Some(format!("{head}{}", &text[at..]))
            }
        }
        _ => None,
    }
}

/// The next word of `text` from `at` (whitespace skipped) and where it
/// starts: up to the next whitespace or bracket.
fn next_word(text: &str, at: usize) -> (usize, &str) {
    let rest = &text[at..];
    let start = at + (rest.len() - rest.trim_start().len());
    let word = text[start..]
        .split(|c: char| c.is_whitespace() || "([{".contains(c))
        .next()
        .unwrap_or("");
    (start, word)
}

/// A query option such as `runtime=slotted`.
fn is_option(word: &str) -> bool {
    word.split_once('=').is_some_and(|(key, value)| {
        !key.is_empty()
            && !value.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

fn blank(text: &mut String, start: usize, end: usize) {
    text.replace_range(start..end, &" ".repeat(end - start));
}

/// Brackets nested deeper than this are refused before parsing (the
/// syntax tree and its compilation recurse once per level).
pub const MAX_NESTING: usize = 200;

/// Refuses a statement whose brackets nest deeper than [`MAX_NESTING`]
/// (outside string literals and comments).
fn check_nesting(text: &str) -> Result<(), QueryError> {
    let mut depth = 0usize;
    for (offset, c) in code_chars(text) {
        match c {
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

/// The characters of `text` (with their byte offsets) outside string
/// literals, quoted names and comments.
fn code_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut line_comment = false;
    let mut block_comment = false;
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if line_comment {
                line_comment = c != '\n';
            } else if block_comment {
                if c == '*' && next == Some('/') {
                    chars.next();
                    block_comment = false;
                }
            } else if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            } else {
                match (c, next) {
                    ('\'' | '"' | '`', _) => quote = Some(c),
                    ('/', Some('/')) => line_comment = true,
                    ('/', Some('*')) => block_comment = true,
                    _ => return Some((i, c)),
                }
            }
        }
        None
    })
}

/// Splits a script into its statements: the complete ones (each ended
/// by `;` outside strings, quoted names and comments; the `;` dropped,
/// blank ones skipped) and the incomplete rest.
///
/// ```
/// let (done, rest) = quiverdb::query::split_statements("RETURN ';' AS s; MATCH (n)");
/// assert_eq!(done, ["RETURN ';' AS s"]);
/// assert_eq!(rest, "MATCH (n)");
/// ```
#[must_use]
pub fn split_statements(text: &str) -> (Vec<String>, String) {
    let mut statements = Vec::new();
    let mut start = 0;
    for (i, c) in code_chars(text) {
        if c == ';' {
            let statement = text[start..i].trim();
            if !statement.is_empty() {
                statements.push(statement.to_owned());
            }
            start = i + 1;
        }
    }
    (statements, text[start..].trim().to_owned())
}
