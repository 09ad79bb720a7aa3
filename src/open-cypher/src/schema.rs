//! Neo4j's index and constraint commands — `CREATE ... INDEX`, `CREATE
//! CONSTRAINT`, `DROP INDEX | CONSTRAINT`, `SHOW INDEXES | CONSTRAINTS` —
//! read from the lexer's tokens by hand (QuiverDB's addition; see
//! FORK.md). A statement that does not start like one of them is left to
//! the query grammar.

use lalrpop_util::ParseError;

use crate::ast::{
    ConstraintDefinition, ConstraintRequirement, IndexDefinition, Name, Node, Program,
    SchemaCommand, SchemaTarget, StatementKind,
};
use crate::parser::{LalrpopError, ParserToken, name, parse_expr_fragment, parser_tokens};
use crate::span::Span;
use crate::token::{Keyword, Token, TokenKind};

/// The statement, when `tokens` start a schema command.
pub(crate) fn parse(source: &str, tokens: &[Token]) -> Option<Result<Program, LalrpopError>> {
    let tokens: Vec<&Token> = tokens.iter().filter(|t| !t.is_trivia()).collect();
    let mut end = tokens.len();
    if end > 0 && tokens[end - 1].kind == TokenKind::Semicolon {
        end -= 1;
    }
    let mut p = Cursor {
        source,
        tokens: &tokens[..end],
        at: 0,
    };
    let command = if p.keyword(Keyword::Create) {
        let kinds = ["RANGE", "TEXT", "POINT", "VECTOR", "FULLTEXT", "LOOKUP"];
        let kind_at = p.at + 1;
        if p.word_at(kind_at, "CONSTRAINT") {
            p.at = kind_at + 1;
            p.constraint().map(SchemaCommand::CreateConstraint)
        } else if p.word_at(kind_at, "INDEX") {
            p.at = kind_at + 1;
            p.index(None).map(SchemaCommand::CreateIndex)
        } else if kinds.iter().any(|k| p.word_at(kind_at, k)) && p.word_at(kind_at + 1, "INDEX") {
            let kind = p.name_at(kind_at);
            p.at = kind_at + 2;
            p.index(kind).map(SchemaCommand::CreateIndex)
        } else {
            return None;
        }
    } else if p.word_at(0, "DROP") && (p.word_at(1, "INDEX") || p.word_at(1, "CONSTRAINT")) {
        let constraint = p.word_at(1, "CONSTRAINT");
        p.at = 2;
        p.drop(constraint)
    } else if p.word_at(0, "SHOW") {
        p.at = 1;
        p.show()?
    } else {
        return None;
    };
    Some(command.and_then(|command| {
        if let Some(extra) = p.tokens.get(p.at) {
            return Err(p.unexpected(extra, "the end of the statement"));
        }
        let span = Span::new(
            tokens.first().map_or(0, |t| t.span.start),
            tokens.last().map_or(0, |t| t.span.end),
        );
        let statement = Node::new(
            StatementKind::Schema(Box::new(Node::new(command, span))),
            span,
        );
        Ok(Program::new(vec![statement], span))
    }))
}

struct Cursor<'a> {
    source: &'a str,
    tokens: &'a [&'a Token],
    at: usize,
}

impl Cursor<'_> {
    fn text(&self, index: usize) -> &str {
        let t = self.tokens[index];
        &self.source[t.span.start..t.span.end]
    }

    fn kind(&self, index: usize) -> Option<TokenKind> {
        self.tokens.get(index).map(|t| t.kind)
    }

    fn word_at(&self, index: usize, word: &str) -> bool {
        matches!(
            self.kind(index),
            Some(TokenKind::Identifier | TokenKind::Keyword(_))
        ) && self.text(index).eq_ignore_ascii_case(word)
    }

    fn name_at(&self, index: usize) -> Option<Name> {
        let t = self.tokens.get(index)?;
        let escaped = t.kind == TokenKind::EscapedIdentifier;
        matches!(
            t.kind,
            TokenKind::Identifier | TokenKind::EscapedIdentifier | TokenKind::Keyword(_)
        )
        .then(|| name(self.source, t.span.start, t.span.end, escaped))
    }

    fn keyword(&self, keyword: Keyword) -> bool {
        self.kind(self.at) == Some(TokenKind::Keyword(keyword))
    }

    fn unexpected(&self, token: &Token, expected: &str) -> LalrpopError {
        ParseError::UnrecognizedToken {
            token: (
                token.span.start,
                ParserToken::from(token.kind),
                token.span.end,
            ),
            expected: vec![expected.to_owned()],
        }
    }

    fn expected(&self, what: &str) -> LalrpopError {
        match self.tokens.get(self.at) {
            Some(t) => self.unexpected(t, what),
            None => ParseError::UnrecognizedEof {
                location: self.tokens.last().map_or(0, |t| t.span.end),
                expected: vec![what.to_owned()],
            },
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), LalrpopError> {
        if self.word_at(self.at, word) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.expected(word))
        }
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<(), LalrpopError> {
        if self.kind(self.at) == Some(kind) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn take_name(&mut self, what: &str) -> Result<Name, LalrpopError> {
        let n = self.name_at(self.at).ok_or_else(|| self.expected(what))?;
        self.at += 1;
        Ok(n)
    }

    /// A parameter's name (`$name`, without the `$`) at `index`.
    fn parameter_at(&self, index: usize) -> Option<Name> {
        let t = self.tokens.get(index)?;
        (t.kind == TokenKind::Parameter).then(|| {
            let text = &self.source[t.span.start..t.span.end];
            let escaped = text.starts_with("$`");
            name(self.source, t.span.start + 1, t.span.end, escaped)
        })
    }

    /// A name, written out or given by a parameter (then `true`).
    fn name_or_parameter(&mut self) -> Option<(Name, bool)> {
        if let Some(n) = self.parameter_at(self.at) {
            self.at += 1;
            return Some((n, true));
        }
        let n = self.name_at(self.at)?;
        self.at += 1;
        Some((n, false))
    }

    /// `[name | $name] [IF NOT EXISTS]` after `INDEX` or `CONSTRAINT`.
    fn name_and_guard(&mut self) -> (Option<Name>, bool, bool) {
        let guard = |p: &Self, i: usize| {
            p.word_at(i, "IF") && p.word_at(i + 1, "NOT") && p.word_at(i + 2, "EXISTS")
        };
        let mut name = None;
        let mut parameter = false;
        if !guard(self, self.at)
            && !self.word_at(self.at, "FOR")
            && !self.word_at(self.at, "ON")
            && let Some((n, p)) = self.name_or_parameter()
        {
            name = Some(n);
            parameter = p;
        }
        let if_not_exists = guard(self, self.at);
        if if_not_exists {
            self.at += 3;
        }
        (name, parameter, if_not_exists)
    }

    /// `(v:A)`, `(v:A|B)` or `()-[v:T]-()` (arrows allowed).
    fn target(&mut self) -> Result<SchemaTarget, LalrpopError> {
        self.expect(TokenKind::LeftParen, "(")?;
        let relationship = self.kind(self.at) == Some(TokenKind::RightParen);
        if relationship {
            self.at += 1;
            while matches!(
                self.kind(self.at),
                Some(TokenKind::Minus | TokenKind::Less | TokenKind::LeftArrow)
            ) {
                self.at += 1;
            }
            self.expect(TokenKind::LeftBracket, "[")?;
        }
        let variable = self.take_name("a variable")?;
        self.expect(TokenKind::Colon, ":")?;
        let mut labels = vec![self.take_name("a label")?];
        while self.kind(self.at) == Some(TokenKind::Pipe) {
            self.at += 1;
            labels.push(self.take_name("a label")?);
        }
        if relationship {
            self.expect(TokenKind::RightBracket, "]")?;
            while matches!(
                self.kind(self.at),
                Some(TokenKind::Minus | TokenKind::Greater | TokenKind::RightArrow)
            ) {
                self.at += 1;
            }
            self.expect(TokenKind::LeftParen, "(")?;
        }
        self.expect(TokenKind::RightParen, ")")?;
        Ok(SchemaTarget {
            variable,
            labels,
            relationship,
        })
    }

    /// `v.p`, `(v.p, v.q)` or `[v.p, v.q]`: the keys.
    fn properties(&mut self) -> Result<Vec<Name>, LalrpopError> {
        let close = match self.kind(self.at) {
            Some(TokenKind::LeftParen) => Some(TokenKind::RightParen),
            Some(TokenKind::LeftBracket) => Some(TokenKind::RightBracket),
            _ => None,
        };
        if close.is_some() {
            self.at += 1;
        }
        let mut keys = Vec::new();
        loop {
            self.take_name("a variable")?;
            self.expect(TokenKind::Dot, ".")?;
            keys.push(self.take_name("a property key")?);
            if close.is_some() && self.kind(self.at) == Some(TokenKind::Comma) {
                self.at += 1;
                continue;
            }
            break;
        }
        if let Some(close) = close {
            self.expect(close, "a closing bracket")?;
        }
        Ok(keys)
    }

    /// `OPTIONS map`, when there.
    fn options(&mut self) -> Result<Option<crate::ast::Expr>, LalrpopError> {
        if !self.word_at(self.at, "OPTIONS") {
            return Ok(None);
        }
        let rest: Vec<Token> = self.tokens[self.at + 1..].iter().map(|t| **t).collect();
        if rest.is_empty() {
            self.at += 1;
            return Err(self.expected("a map of options"));
        }
        let expr = parse_expr_fragment(self.source, &parser_tokens(&rest))?;
        self.at = self.tokens.len();
        Ok(Some(expr))
    }

    fn index(&mut self, kind: Option<Name>) -> Result<IndexDefinition, LalrpopError> {
        let (name, name_is_parameter, if_not_exists) = self.name_and_guard();
        self.expect_word("FOR")?;
        let target = self.target()?;
        self.expect_word("ON")?;
        if self.word_at(self.at, "EACH") {
            self.at += 1;
        }
        let properties = self.properties()?;
        let options = self.options()?;
        Ok(IndexDefinition {
            kind,
            name,
            name_is_parameter,
            if_not_exists,
            target,
            properties,
            options,
        })
    }

    fn constraint(&mut self) -> Result<ConstraintDefinition, LalrpopError> {
        let (name, name_is_parameter, if_not_exists) = self.name_and_guard();
        // FOR ... REQUIRE (Neo4j 5), or ON ... ASSERT (4.x).
        let old = self.word_at(self.at, "ON");
        self.at += 1;
        if !old && !self.word_at(self.at - 1, "FOR") {
            self.at -= 1;
            return Err(self.expected("FOR"));
        }
        let target = self.target()?;
        self.expect_word(if old { "ASSERT" } else { "REQUIRE" })?;
        let properties = self.properties()?;
        self.expect_word("IS")?;
        let requirement = if self.word_at(self.at, "NOT") && self.word_at(self.at + 1, "NULL") {
            self.at += 2;
            ConstraintRequirement::NotNull
        } else if self.kind(self.at) == Some(TokenKind::DoubleColon)
            || self.word_at(self.at, "TYPED")
        {
            self.at += 1;
            let from = self.tokens.get(self.at).map_or(0, |t| t.span.start);
            while self.tokens.get(self.at).is_some() && !self.word_at(self.at, "OPTIONS") {
                self.at += 1;
            }
            let to = self.tokens[self.at - 1].span.end;
            ConstraintRequirement::Type(self.source[from..to].to_owned())
        } else {
            if self.word_at(self.at, "NODE")
                || self.word_at(self.at, "RELATIONSHIP")
                || self.word_at(self.at, "REL")
            {
                self.at += 1;
            }
            if self.word_at(self.at, "UNIQUE") {
                self.at += 1;
                ConstraintRequirement::Unique
            } else if self.word_at(self.at, "KEY") {
                self.at += 1;
                ConstraintRequirement::Key
            } else {
                return Err(self.expected("UNIQUE, KEY, NOT NULL or :: TYPE"));
            }
        };
        let options = self.options()?;
        Ok(ConstraintDefinition {
            name,
            name_is_parameter,
            if_not_exists,
            target,
            properties,
            requirement,
            options,
        })
    }

    fn drop(&mut self, constraint: bool) -> Result<SchemaCommand, LalrpopError> {
        let (name, name_is_parameter) = self
            .name_or_parameter()
            .ok_or_else(|| self.expected("a name"))?;
        let if_exists = self.word_at(self.at, "IF") && self.word_at(self.at + 1, "EXISTS");
        if if_exists {
            self.at += 2;
        }
        Ok(SchemaCommand::Drop {
            constraint,
            name,
            name_is_parameter,
            if_exists,
        })
    }

    /// `SHOW [kind] INDEX | INDEXES | CONSTRAINT | CONSTRAINTS`; `None`
    /// for another `SHOW` (left to the query grammar, which refuses it).
    fn show(&mut self) -> Option<Result<SchemaCommand, LalrpopError>> {
        let plural = |p: &Self, i: usize, word: &str| {
            p.word_at(i, word)
                || p.word_at(i, &format!("{word}S"))
                || p.word_at(i, &format!("{word}ES"))
        };
        let mut kind = None;
        if !plural(self, self.at, "INDEX") && !plural(self, self.at, "CONSTRAINT") {
            kind = self.name_at(self.at);
            self.at += 1;
        }
        let constraints = if plural(self, self.at, "INDEX") {
            false
        } else if plural(self, self.at, "CONSTRAINT") {
            true
        } else {
            return None;
        };
        self.at += 1;
        Some(Ok(SchemaCommand::Show { constraints, kind }))
    }
}
