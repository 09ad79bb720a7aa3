//! Analyzers: how a text becomes the terms a full-text index keeps, each
//! with its position (the token's ordinal in the text, counting tokens an
//! analyzer drops, so phrases do not match across a removed word).
//!
//! The same analyzer reads the indexed values and the query's words, so
//! a query finds what the text said however it was written.

use std::fmt;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

use crate::error::{Error, Result};

/// How an index splits and normalises text. The names are Neo4j's
/// (`fulltext.analyzer` in `CREATE FULLTEXT INDEX ... OPTIONS`), plus
/// `alphanumeric`, the tokenizer tantivy uses by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Analyzer {
    /// `standard-no-stop-words` (the default, as in Neo4j): Unicode word
    /// segmentation (UAX #29), words without a letter or digit dropped,
    /// lowercased.
    #[default]
    StandardNoStopWords,
    /// `standard`: as `standard-no-stop-words`, then English stop words
    /// ("the", "of", "and", ...: Lucene's list) dropped.
    Standard,
    /// `english`: as `standard`, then a trailing possessive `'s` removed
    /// and every word reduced to its Snowball English stem ("running",
    /// "runs" and "run" are one term).
    English,
    /// `simple`: runs of letters, lowercased (digits and punctuation
    /// split words).
    Simple,
    /// `alphanumeric`: runs of letters and digits, lowercased, words of 40
    /// bytes or more dropped — tantivy's default tokenizer, for indexes
    /// whose scores must match it.
    Alphanumeric,
    /// `whitespace`: split at white space; case kept.
    Whitespace,
    /// `keyword`: the whole value is one term, unchanged.
    Keyword,
    /// `cjk`: as Lucene's `CJKAnalyzer` — Unicode word segmentation,
    /// full-width ASCII folded to ASCII, lowercased; each run of adjacent
    /// Chinese, Japanese or Korean characters becomes its overlapping
    /// bigrams (a lone one stays a unigram); English stop words dropped.
    Cjk,
}

/// Lucene's English stop words (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`).
const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// The English stop words of the `standard` and `english` analyzers.
#[must_use]
pub fn stop_words() -> &'static [&'static str] {
    &STOP_WORDS
}

/// Words of this many bytes or more are dropped by `alphanumeric`.
const LONG_WORD: usize = 40;

/// A term and its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The term.
    pub term: String,
    /// Its position among the text's words.
    pub position: u32,
}

impl Analyzer {
    /// Every analyzer, for listing.
    pub const ALL: [Analyzer; 8] = [
        Analyzer::StandardNoStopWords,
        Analyzer::Standard,
        Analyzer::English,
        Analyzer::Simple,
        Analyzer::Alphanumeric,
        Analyzer::Whitespace,
        Analyzer::Keyword,
        Analyzer::Cjk,
    ];

    /// The analyzer's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Analyzer::StandardNoStopWords => "standard-no-stop-words",
            Analyzer::Standard => "standard",
            Analyzer::English => "english",
            Analyzer::Simple => "simple",
            Analyzer::Alphanumeric => "alphanumeric",
            Analyzer::Whitespace => "whitespace",
            Analyzer::Keyword => "keyword",
            Analyzer::Cjk => "cjk",
        }
    }

    /// The analyzer named `name` (case-insensitive).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown name, listing the known
    /// ones.
    pub fn from_name(name: &str) -> Result<Analyzer> {
        Analyzer::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<_> = Analyzer::ALL.iter().map(|a| a.name()).collect();
                Error::invalid(format!(
                    "unknown full-text analyzer '{name}': the analyzers are {}",
                    known.join(", ")
                ))
            })
    }

    /// The tokens of `text`, in order.
    #[must_use]
    pub fn tokens(self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.each(text, &mut |term, position| {
            out.push(Token {
                term: term.to_owned(),
                position,
            });
        });
        out
    }

    /// Calls `emit(term, position)` for every token of `text` (the term
    /// lent from a buffer reused from token to token).
    pub(crate) fn each(self, text: &str, emit: &mut dyn FnMut(&str, u32)) {
        let mut position = 0u32;
        let mut term = String::new();
        let mut next = |emit: &mut dyn FnMut(&str, u32), term: Option<&str>| {
            if let Some(term) = term {
                emit(term, position);
            }
            position = position.saturating_add(1);
        };
        match self {
            Analyzer::StandardNoStopWords | Analyzer::Standard | Analyzer::English => {
                let stemmer =
                    (self == Analyzer::English).then(|| Stemmer::create(Algorithm::English));
                for word in text.unicode_words() {
                    lowercase_into(word, &mut term);
                    if self != Analyzer::StandardNoStopWords && STOP_WORDS.contains(&term.as_str())
                    {
                        next(emit, None);
                        continue;
                    }
                    if let Some(stemmer) = &stemmer {
                        for possessive in ["'s", "\u{2019}s"] {
                            if let Some(stripped) = term.strip_suffix(possessive) {
                                let len = stripped.len();
                                term.truncate(len);
                                break;
                            }
                        }
                        let stem = stemmer.stem(&term).into_owned();
                        next(emit, Some(&stem));
                    } else {
                        next(emit, Some(&term));
                    }
                }
            }
            Analyzer::Simple => {
                for word in text
                    .split(|c: char| !c.is_alphabetic())
                    .filter(|w| !w.is_empty())
                {
                    lowercase_into(word, &mut term);
                    next(emit, Some(&term));
                }
            }
            Analyzer::Alphanumeric => {
                for word in text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    if word.len() < LONG_WORD {
                        lowercase_into(word, &mut term);
                        next(emit, Some(&term));
                    } else {
                        next(emit, None);
                    }
                }
            }
            Analyzer::Whitespace => {
                for word in text.split_whitespace() {
                    next(emit, Some(word));
                }
            }
            Analyzer::Keyword => next(emit, Some(text)),
            Analyzer::Cjk => cjk(text, emit),
        }
    }

    /// `term` as a query's prefix, wildcard or fuzzy word is compared with
    /// indexed terms: lowercased where the analyzer lowercases (it is not
    /// split or stemmed: Lucene's `normalize`).
    #[must_use]
    pub(crate) fn normalise(self, term: &str) -> String {
        match self {
            Analyzer::Whitespace | Analyzer::Keyword => term.to_owned(),
            _ => lowercase(term),
        }
    }
}

/// The `cjk` analyzer's tokens: runs of adjacent CJK words (UAX #29 makes
/// each Han or Hiragana character a word of its own) become their
/// overlapping bigrams (a lone character a unigram); other words are
/// folded, lowercased and stop-word filtered.
fn cjk(text: &str, emit: &mut dyn FnMut(&str, u32)) {
    let mut position = 0u32;
    let mut run: Vec<char> = Vec::new();
    let mut run_end = 0;
    let mut term = String::new();
    let flush = |run: &mut Vec<char>, position: &mut u32, emit: &mut dyn FnMut(&str, u32)| {
        let mut gram = String::new();
        let grams = run.windows(2).map(<[char]>::to_vec);
        let single = (run.len() == 1).then(|| run.clone());
        for chars in single.into_iter().chain(grams) {
            gram.clear();
            gram.extend(chars);
            emit(&gram, *position);
            *position = position.saturating_add(1);
        }
        run.clear();
    };
    for (at, word) in text.unicode_word_indices() {
        if word.chars().all(is_cjk) {
            if !run.is_empty() && at != run_end {
                flush(&mut run, &mut position, emit);
            }
            run.extend(word.chars().map(fold_width));
            run_end = at + word.len();
            continue;
        }
        flush(&mut run, &mut position, emit);
        term.clear();
        term.extend(word.chars().map(fold_width).flat_map(char::to_lowercase));
        if !STOP_WORDS.contains(&term.as_str()) {
            emit(&term, position);
        }
        position = position.saturating_add(1);
    }
    flush(&mut run, &mut position, emit);
}

/// Whether `c` is a Chinese, Japanese or Korean character that Lucene's
/// CJK bigram filter pairs: Han ideographs, Hiragana, Katakana (full and
/// half width) and Hangul.
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3040..=0x30FF            // Hiragana, Katakana
            | 0x31F0..=0x31FF      // Katakana phonetic extensions
            | 0x3400..=0x4DBF      // CJK extension A
            | 0x4E00..=0x9FFF      // CJK unified ideographs
            | 0xF900..=0xFAFF      // CJK compatibility ideographs
            | 0xFF66..=0xFF9F      // half-width Katakana
            | 0x1100..=0x11FF      // Hangul Jamo
            | 0x3130..=0x318F      // Hangul compatibility Jamo
            | 0xAC00..=0xD7AF      // Hangul syllables
            | 0x20000..=0x2FA1F // CJK extensions B on, compatibility supplement
    )
}

/// Full-width ASCII (U+FF01-U+FF5E) as ASCII, as Lucene's
/// `CJKWidthFilter` folds it; other characters unchanged.
fn fold_width(c: char) -> char {
    match u32::from(c) {
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Lowercase, character by character (as tantivy's `LowerCaser`: no
/// word-final sigma rule).
fn lowercase(word: &str) -> String {
    let mut out = String::new();
    lowercase_into(word, &mut out);
    out
}

/// [`lowercase`] into `out` (its buffer reused).
fn lowercase_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
}

impl fmt::Display for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(a: Analyzer, text: &str) -> Vec<(String, u32)> {
        a.tokens(text)
            .into_iter()
            .map(|t| (t.term, t.position))
            .collect()
    }

    fn words(a: Analyzer, text: &str) -> Vec<String> {
        a.tokens(text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn standard_segments_words_by_unicode_rules() {
        let text = "The quick (\"brown\") fox can't jump 32.3 feet, right? Ünïcode, 中文";
        assert_eq!(
            words(Analyzer::StandardNoStopWords, text),
            [
                "the",
                "quick",
                "brown",
                "fox",
                "can't",
                "jump",
                "32.3",
                "feet",
                "right",
                "ünïcode",
                "中",
                "文"
            ]
        );
        // Stop words leave a gap in the positions.
        assert_eq!(
            terms(Analyzer::Standard, "the cat and the hat"),
            [("cat".to_owned(), 1), ("hat".to_owned(), 4)]
        );
    }

    #[test]
    fn english_stems_and_drops_stop_words_and_possessives() {
        assert_eq!(
            words(
                Analyzer::English,
                "The runner's running shoes were connected to networks"
            ),
            ["runner", "run", "shoe", "were", "connect", "network"]
        );
        assert_eq!(words(Analyzer::English, "Libraries"), ["librari"]);
    }

    #[test]
    fn alphanumeric_is_tantivys_default_tokenizer() {
        assert_eq!(
            terms(Analyzer::Alphanumeric, "C++ bindings for libfoo-2.0; Größe"),
            [
                ("c".to_owned(), 0),
                ("bindings".to_owned(), 1),
                ("for".to_owned(), 2),
                ("libfoo".to_owned(), 3),
                ("2".to_owned(), 4),
                ("0".to_owned(), 5),
                ("größe".to_owned(), 6),
            ]
        );
        let long = "a".repeat(40);
        assert_eq!(
            terms(Analyzer::Alphanumeric, &format!("x {long} y")),
            [("x".to_owned(), 0), ("y".to_owned(), 2)]
        );
        assert_eq!(words(Analyzer::Alphanumeric, &"b".repeat(39)).len(), 1);
    }

    #[test]
    fn simple_whitespace_and_keyword() {
        assert_eq!(words(Analyzer::Simple, "R2-D2 rocks"), ["r", "d", "rocks"]);
        assert_eq!(
            words(Analyzer::Whitespace, " Foo-Bar  baz\n"),
            ["Foo-Bar", "baz"]
        );
        assert_eq!(words(Analyzer::Keyword, "Foo Bar"), ["Foo Bar"]);
        assert_eq!(Analyzer::Keyword.normalise("AbC"), "AbC");
        assert_eq!(Analyzer::English.normalise("AbC"), "abc");
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for a in Analyzer::ALL {
            assert_eq!(Analyzer::from_name(a.name()).ok(), Some(a));
        }
        assert_eq!(Analyzer::from_name("ENGLISH").ok(), Some(Analyzer::English));
        let err = Analyzer::from_name("klingon").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("klingon") && e.contains("english")));
    }

    #[test]
    fn cjk_makes_bigrams_of_cjk_runs_and_words_of_the_rest() {
        assert_eq!(
            terms(Analyzer::Cjk, "图灵测试 is the Turing Test"),
            [
                ("图灵".to_owned(), 0),
                ("灵测".to_owned(), 1),
                ("测试".to_owned(), 2),
                ("turing".to_owned(), 5),
                ("test".to_owned(), 6),
            ]
        );
        // A lone character is a unigram; a break between runs ends one;
        // full-width ASCII is folded; Katakana and Hangul pair too.
        assert_eq!(words(Analyzer::Cjk, "中 文"), ["中", "文"]);
        assert_eq!(
            words(Analyzer::Cjk, "ＡＢＣ 東京タワー"),
            ["abc", "東京", "京タ", "タワ", "ワー"]
        );
        assert_eq!(words(Analyzer::Cjk, "한국어"), ["한국", "국어"]);
        assert_eq!(Analyzer::from_name("CJK").unwrap(), Analyzer::Cjk);
    }
}
