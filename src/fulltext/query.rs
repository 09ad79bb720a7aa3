//! Full-text queries in Lucene's classic syntax, as Neo4j's full-text
//! procedures accept them:
//!
//! * `word` — a term, read by the index's analyzer (a word the analyzer
//!   splits into several terms matches any of them; a stop word matches
//!   nothing);
//! * `"two words"` — a phrase: the terms at consecutive positions;
//!   `"two words"~3` allows that many moves;
//! * `title:word`, `title:"a phrase"`, `title:(a b)` — in one property
//!   only (otherwise in any indexed property, each scored apart);
//! * `a AND b`, `a && b`, `+a b` (`a` required), `a OR b`, `a || b`,
//!   `NOT a`, `!a`, `-a` (excluded), `( ... )` — with Lucene's rules: the
//!   default operator is OR, `AND` makes both sides required, and a query
//!   of only exclusions matches nothing;
//! * `pre*`, `te?t` — wildcards (`*` any run, `?` one character), scored
//!   constant (the boost), as Lucene rewrites them;
//! * `word~`, `word~1` — fuzzy: terms within that many edits (default 2,
//!   at most 2; a swap of neighbours is one edit), the 50 closest;
//! * `word^2.5`, `"a phrase"^2`, `(a b)^3` — boosts;
//! * `*:*` — every document (score 1);
//! * `\` escapes any special character: `+ - && || ! ( ) { } [ ] ^ " ~ * ? : \ /`.
//!
//! Ranges (`[a TO b]`) and regular expressions (`/re/`) are refused with
//! the position, as is any other malformed query.

use crate::error::{Error, Result};

/// Whether a clause must, may or must not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occur {
    /// Required (`+`, `AND`).
    Must,
    /// Optional (the default).
    Should,
    /// Excluded (`-`, `!`, `NOT`).
    MustNot,
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Query {
    /// A word, to be analysed.
    Term {
        /// The property it is limited to.
        field: Option<String>,
        /// The word as written (unescaped).
        text: String,
        /// Its boost.
        boost: f32,
    },
    /// A quoted phrase, to be analysed.
    Phrase {
        /// The property it is limited to.
        field: Option<String>,
        /// The text between the quotes.
        text: String,
        /// Moves allowed.
        slop: u32,
        /// Its boost.
        boost: f32,
    },
    /// A word with `*` or `?`.
    Wildcard {
        /// The property it is limited to.
        field: Option<String>,
        /// The pattern.
        pattern: String,
        /// Its boost.
        boost: f32,
    },
    /// `word~n`.
    Fuzzy {
        /// The property it is limited to.
        field: Option<String>,
        /// The word.
        text: String,
        /// Edits allowed (0 to 2).
        distance: u8,
        /// Its boost.
        boost: f32,
    },
    /// Clauses.
    Boolean {
        /// Each clause and whether it must match.
        clauses: Vec<(Occur, Query)>,
        /// Its boost.
        boost: f32,
    },
    /// `*:*`.
    All {
        /// Its boost.
        boost: f32,
    },
}

/// Parses `text`.
///
/// # Errors
/// [`Error::FulltextQuery`] with the character position of the problem.
pub fn parse(text: &str) -> Result<Query> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parser { chars, at: 0 };
    let q = p.query(None)?;
    p.skip_space();
    if p.at < p.chars.len() {
        return Err(Parser::error(p.at, "unexpected ')'"));
    }
    Ok(q)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

const SPECIAL: &str = "+-&|!(){}[]^\"~*?:\\/";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Conj {
    None,
    And,
    Or,
}

impl Parser {
    fn error(at: usize, message: impl Into<String>) -> Error {
        Error::FulltextQuery {
            position: at,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// Whether the next word is `word`, followed by a space or `(`.
    fn keyword(&self, word: &str) -> bool {
        let n = word.len();
        let matches = self.chars.len() >= self.at + n
            && self.chars[self.at..self.at + n]
                .iter()
                .copied()
                .eq(word.chars());
        matches
            && self
                .chars
                .get(self.at + n)
                .is_none_or(|c| c.is_whitespace() || *c == '(' || *c == '"')
    }

    fn operator(&mut self, word: &str, symbol: &str) -> bool {
        if self.keyword(word) {
            self.at += word.len();
            return true;
        }
        let n = symbol.chars().count();
        if self.chars.len() >= self.at + n
            && self.chars[self.at..self.at + n]
                .iter()
                .copied()
                .eq(symbol.chars())
        {
            self.at += n;
            return true;
        }
        false
    }

    /// Clauses until the end or `)` (when `open` is the `(`'s position).
    fn query(&mut self, open: Option<usize>) -> Result<Query> {
        let mut clauses: Vec<(Occur, Query)> = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => {
                    if let Some(open) = open {
                        return Err(Self::error(open, "'(' is never closed"));
                    }
                    break;
                }
                Some(')') if open.is_some() => break,
                Some(')') => return Err(Self::error(self.at, "unexpected ')'")),
                _ => {}
            }
            let start = self.at;
            let conj = if self.operator("AND", "&&") {
                Conj::And
            } else if self.operator("OR", "||") {
                Conj::Or
            } else {
                Conj::None
            };
            if conj != Conj::None {
                if clauses.is_empty() {
                    return Err(Self::error(start, "an operator needs a clause before it"));
                }
                self.skip_space();
            }
            let mod_at = self.at;
            let occur = if self.operator("NOT", "!") {
                Some(Occur::MustNot)
            } else if self.peek() == Some('-') {
                self.at += 1;
                Some(Occur::MustNot)
            } else if self.peek() == Some('+') {
                self.at += 1;
                Some(Occur::Must)
            } else {
                None
            };
            self.skip_space();
            if self.peek().is_none() || self.peek() == Some(')') {
                let at = if conj == Conj::None { mod_at } else { start };
                return Err(Self::error(at, "an operator needs a clause after it"));
            }
            let clause = self.clause()?;
            // Lucene's classic rules (QueryParserBase.addClause, default
            // operator OR).
            if conj == Conj::And
                && let Some(last) = clauses.last_mut()
                && last.0 != Occur::MustNot
            {
                last.0 = Occur::Must;
            }
            let occur = match occur {
                Some(Occur::MustNot) => Occur::MustNot,
                Some(Occur::Must) => Occur::Must,
                _ if conj == Conj::And => Occur::Must,
                _ => Occur::Should,
            };
            clauses.push((occur, clause));
        }
        if open.is_some() {
            self.at += 1; // the ')'
        }
        if clauses.len() == 1 && clauses[0].0 == Occur::Should {
            return Ok(clauses.pop().map_or(Query::All { boost: 1.0 }, |(_, q)| q));
        }
        Ok(Query::Boolean {
            clauses,
            boost: 1.0,
        })
    }

    /// `[field:] (word | "phrase" | ( query )) [~n] [^boost]`.
    #[allow(clippy::too_many_lines, reason = "one arm per clause kind")]
    fn clause(&mut self) -> Result<Query> {
        let start = self.at;
        let mut field = None;
        if self.peek() != Some('"') && self.peek() != Some('(') {
            let save = self.at;
            let (word, wild) = self.word()?;
            if self.peek() == Some(':') && !word.is_empty() {
                self.at += 1;
                if word == "*" && self.peek() == Some('*') {
                    self.at += 1;
                    let boost = self.boost()?;
                    return Ok(Query::All { boost });
                }
                if wild {
                    return Err(Self::error(start, "a field name cannot hold '*' or '?'"));
                }
                field = Some(word);
            } else {
                self.at = save;
            }
        }
        match self.peek() {
            Some('(') => {
                let open = self.at;
                self.at += 1;
                let inner = self.query(Some(open))?;
                let boost = self.boost()?;
                Ok(with_field(inner, field.as_deref(), boost))
            }
            Some('"') => {
                let open = self.at;
                self.at += 1;
                let mut text = String::new();
                loop {
                    match self.peek() {
                        None => return Err(Self::error(open, "a '\"' is never closed")),
                        Some('"') => break,
                        Some('\\') => {
                            self.at += 1;
                            let c = self
                                .peek()
                                .ok_or_else(|| Self::error(self.at - 1, "'\\' at the end"))?;
                            text.push(c);
                        }
                        Some(c) => text.push(c),
                    }
                    self.at += 1;
                }
                self.at += 1;
                let mut slop = 0;
                if self.peek() == Some('~') {
                    self.at += 1;
                    slop = self.number()?.map_or(0, |n| n as u32);
                }
                let boost = self.boost()?;
                Ok(Query::Phrase {
                    field,
                    text,
                    slop,
                    boost,
                })
            }
            Some('[' | '{') => Err(Self::error(self.at, "range queries are not supported")),
            Some('/') => Err(Self::error(
                self.at,
                "regular expression queries are not supported",
            )),
            Some(c) if is_special(c) && c != '*' && c != '?' && c != '\\' => {
                Err(Self::error(self.at, format!("unexpected '{c}'")))
            }
            None => Err(Self::error(self.at, "a clause is missing")),
            _ => {
                let word_at = self.at;
                let (text, wild) = self.word()?;
                if text.is_empty() {
                    return Err(Self::error(word_at, "a clause is missing"));
                }
                if self.peek() == Some('~') {
                    let tilde = self.at;
                    self.at += 1;
                    // Lucene reads a fraction below 1 as a similarity; the
                    // edit distances are whole numbers from 0 to 2.
                    let start = self.at;
                    while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                        self.at += 1;
                    }
                    let written: String = self.chars[start..self.at].iter().collect();
                    let distance = match written.as_str() {
                        "" | "2" | "2.0" => 2,
                        "1" | "1.0" => 1,
                        "0" | "0.0" => 0,
                        _ => {
                            return Err(Self::error(
                                tilde,
                                "a fuzzy word allows 0, 1 or 2 edits (word~, word~1, word~2)",
                            ));
                        }
                    };
                    if wild {
                        return Err(Self::error(
                            tilde,
                            "a word cannot be both fuzzy and a wildcard",
                        ));
                    }
                    let boost = self.boost()?;
                    return Ok(Query::Fuzzy {
                        field,
                        text,
                        distance,
                        boost,
                    });
                }
                let boost = self.boost()?;
                if wild {
                    return Ok(Query::Wildcard {
                        field,
                        pattern: text,
                        boost,
                    });
                }
                Ok(Query::Term { field, text, boost })
            }
        }
    }

    /// A run of word characters (escapes undone) and whether it holds an
    /// unescaped `*` or `?`.
    fn word(&mut self) -> Result<(String, bool)> {
        let mut out = String::new();
        let mut wild = false;
        let mut first = true;
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.at += 1;
                let e = self
                    .peek()
                    .ok_or_else(|| Self::error(self.at - 1, "'\\' at the end"))?;
                out.push(e);
            } else if c == '*' || c == '?' {
                wild = true;
                out.push(c);
            } else if (c == '-' || c == '+') && !first {
                out.push(c);
            } else if c.is_whitespace() || is_special(c) {
                break;
            } else {
                out.push(c);
            }
            first = false;
            self.at += 1;
        }
        Ok((out, wild))
    }

    /// An optional number after `~` or `^`.
    fn number(&mut self) -> Result<Option<f32>> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
            self.at += 1;
        }
        if self.at == start {
            return Ok(None);
        }
        let text: String = self.chars[start..self.at].iter().collect();
        text.parse::<f32>()
            .map(Some)
            .map_err(|_| Self::error(start, format!("'{text}' is not a number")))
    }

    fn boost(&mut self) -> Result<f32> {
        if self.peek() != Some('^') {
            return Ok(1.0);
        }
        let at = self.at;
        self.at += 1;
        match self.number()? {
            Some(b) if b.is_finite() && b >= 0.0 => Ok(b),
            _ => Err(Self::error(at, "'^' needs a boost: a number, at least 0")),
        }
    }
}

fn is_special(c: char) -> bool {
    SPECIAL.contains(c)
}

/// `inner` limited to `field` where its clauses name none, its boost
/// multiplied by `boost`.
fn with_field(inner: Query, field: Option<&str>, boost: f32) -> Query {
    let set = |f: Option<String>| f.or_else(|| field.map(str::to_owned));
    match inner {
        Query::Term {
            field: f,
            text,
            boost: b,
        } => Query::Term {
            field: set(f),
            text,
            boost: b * boost,
        },
        Query::Phrase {
            field: f,
            text,
            slop,
            boost: b,
        } => Query::Phrase {
            field: set(f),
            text,
            slop,
            boost: b * boost,
        },
        Query::Wildcard {
            field: f,
            pattern,
            boost: b,
        } => Query::Wildcard {
            field: set(f),
            pattern,
            boost: b * boost,
        },
        Query::Fuzzy {
            field: f,
            text,
            distance,
            boost: b,
        } => Query::Fuzzy {
            field: set(f),
            text,
            distance,
            boost: b * boost,
        },
        Query::Boolean { clauses, boost: b } => Query::Boolean {
            clauses: clauses
                .into_iter()
                .map(|(o, q)| (o, with_field(q, field, 1.0)))
                .collect(),
            boost: b * boost,
        },
        Query::All { boost: b } => Query::All { boost: b * boost },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(t: &str) -> Query {
        Query::Term {
            field: None,
            text: t.to_owned(),
            boost: 1.0,
        }
    }

    fn boolean(clauses: Vec<(Occur, Query)>) -> Query {
        Query::Boolean {
            clauses,
            boost: 1.0,
        }
    }

    #[test]
    fn operators_follow_lucenes_classic_rules() {
        use Occur::*;
        assert_eq!(parse("a").unwrap(), term("a"));
        assert_eq!(
            parse("a b").unwrap(),
            boolean(vec![(Should, term("a")), (Should, term("b"))])
        );
        assert_eq!(
            parse("a AND b OR c").unwrap(),
            boolean(vec![
                (Must, term("a")),
                (Must, term("b")),
                (Should, term("c"))
            ])
        );
        assert_eq!(
            parse("+a -b !c NOT d").unwrap(),
            boolean(vec![
                (Must, term("a")),
                (MustNot, term("b")),
                (MustNot, term("c")),
                (MustNot, term("d"))
            ])
        );
        assert_eq!(
            parse("a && b || c").unwrap(),
            parse("a AND b OR c").unwrap()
        );
        // "and" in lower case is a word; a hyphen inside a word is kept.
        assert_eq!(
            parse("wi-fi and").unwrap(),
            boolean(vec![(Should, term("wi-fi")), (Should, term("and"))])
        );
    }

    #[test]
    fn fields_phrases_wildcards_fuzzy_and_boosts() {
        assert_eq!(
            parse(r#"title:"graph db"~2^3"#).unwrap(),
            Query::Phrase {
                field: Some("title".into()),
                text: "graph db".into(),
                slop: 2,
                boost: 3.0
            }
        );
        assert_eq!(
            parse("body:(a b)^2").unwrap(),
            Query::Boolean {
                clauses: vec![
                    (
                        Occur::Should,
                        Query::Term {
                            field: Some("body".into()),
                            text: "a".into(),
                            boost: 1.0
                        }
                    ),
                    (
                        Occur::Should,
                        Query::Term {
                            field: Some("body".into()),
                            text: "b".into(),
                            boost: 1.0
                        }
                    )
                ],
                boost: 2.0
            }
        );
        assert_eq!(
            parse("lib*").unwrap(),
            Query::Wildcard {
                field: None,
                pattern: "lib*".into(),
                boost: 1.0
            }
        );
        assert_eq!(
            parse("roam~1").unwrap(),
            Query::Fuzzy {
                field: None,
                text: "roam".into(),
                distance: 1,
                boost: 1.0
            }
        );
        assert_eq!(
            parse(r"c\+\+ a\:b").unwrap(),
            boolean(vec![
                (Occur::Should, term("c++")),
                (Occur::Should, term("a:b"))
            ])
        );
        assert_eq!(parse("*:*").unwrap(), Query::All { boost: 1.0 });
    }

    #[test]
    fn errors_name_the_position() {
        let position = |q: &str| match parse(q) {
            Err(Error::FulltextQuery { position, .. }) => Some(position),
            _ => None,
        };
        assert_eq!(position("(a b"), Some(0));
        assert_eq!(position("a \"b c"), Some(2));
        assert_eq!(position("a)"), Some(1));
        assert_eq!(position("AND a"), Some(0));
        assert_eq!(position("a AND"), Some(2));
        assert_eq!(position("x [a TO b]"), Some(2));
        assert_eq!(position("a^"), Some(1));
        assert_eq!(position("a~3"), Some(1));
        assert_eq!(position("a b\\"), Some(3));
        assert_eq!(position("a:"), Some(2));
    }
}
