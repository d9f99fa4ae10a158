//! The Discover query language: what people type in Kibana's or lnav's search bar, over the
//! `logs` table.
//!
//! ```text
//! level:error pod:api-* "connection reset" -container:istio-proxy
//! (status:500 OR status:503) AND NOT namespace:kube-system
//! message:/timeout after \d+ms/  restart:>0  level:warn+  user.id:42  trace_id:*
//! ```
//!
//! - Terms next to each other must all hold (`AND` may be written); `OR` (or `||`) joins
//!   alternatives and binds looser than `AND`; `-term`, `!term` and `NOT term` negate;
//!   parentheses group.
//! - A bare word or `"quoted phrase"` is looked for in the message, ignoring case; a word
//!   with `*` or `?` is a glob over the message's text. `/regex/` searches the message (as
//!   written, so `(?i)` for no case).
//! - `field:(a OR b)` and `field:(a -b)` group values of one field; inside the group the
//!   values are joined as terms are.
//! - `field:value` compares a column (`node`, `namespace`/`ns`, `pod`, `container`,
//!   `component`, `stream`, `format`, `source`, `level`, `level_raw`, `message`/`msg`,
//!   `restart`, `line`) or, for any other name, a structured field of JSON and logfmt entries.
//!   The value is a glob matched against the whole value ignoring case (`pod:api-*`), a
//!   `"quoted value"` (the whole value, ignoring case; for `message`, a phrase in it), a
//!   `/regex/` searched in the value, `*` (the field is there), or for numbers `>N`, `>=N`,
//!   `<N`, `<=N`. `level:warn+` is warn and every level above it; `level:>=warn` too.
//!
//! Parsing gives a [`Query`] or an error with the character position of the problem;
//! evaluation over a table gives one bool per row (see [`Query::evaluate`]).

use std::fmt;

use polars::prelude::{
    BooleanChunked, CategoricalMapping, DataFrame, DataType, Float64Chunked, NewChunkedArray,
    StringChunked,
};
use regex::Regex;

use crate::level::Level;
use crate::query::filter::LevelSet;
use crate::table::FieldPairs;

/// A parsed query.
#[derive(Clone, Debug)]
pub enum Query {
    /// Matches every row (the empty query).
    All,
    /// Every part holds.
    And(Vec<Query>),
    /// At least one part holds.
    Or(Vec<Query>),
    /// The part does not hold.
    Not(Box<Query>),
    /// A condition on the message or a field.
    Term(Term),
}

/// Where a term looks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The entry's message text.
    Message,
    /// A string column of `logs` (its schema name).
    Column(&'static str),
    /// The normalized level.
    Level,
    /// A number column of `logs` (`restart`, `line`).
    Number(&'static str),
    /// A structured field of the entry, by key.
    Structured(String),
}

/// How a value is compared.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// The text contains this (lowercase), ignoring case.
    Contains(String),
    /// The whole text equals this (lowercase), ignoring case.
    Equals(String),
    /// The regex finds a match (globs become anchored, case-insensitive regexes).
    Regex(Regex),
    /// The field has a value.
    Exists,
    /// A numeric comparison.
    Compare(Cmp, f64),
    /// One of these levels.
    Levels(LevelSet),
}

/// A numeric comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `=`
    Eq,
}

impl Cmp {
    /// Whether `a <op> b`.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Eq => a == b,
        }
    }
}

/// One condition.
#[derive(Clone, Debug)]
pub struct Term {
    /// Where it looks.
    pub field: Field,
    /// How it compares.
    pub matcher: Matcher,
}

impl Matcher {
    /// Whether `text` matches.
    pub(crate) fn matches_text(&self, text: &str) -> bool {
        match self {
            Matcher::Contains(needle) => contains_ignore_case(text, needle),
            Matcher::Equals(want) if text.is_ascii() => text.eq_ignore_ascii_case(want),
            Matcher::Equals(want) => text.to_lowercase() == *want,
            Matcher::Regex(re) => re.is_match(text),
            Matcher::Exists => true,
            Matcher::Compare(op, n) => text.trim().parse::<f64>().is_ok_and(|v| op.holds(v, *n)),
            // The level column holds the names of `Level::as_str` (`unknown` too).
            Matcher::Levels(levels) => Level::ALL
                .into_iter()
                .find(|l| l.as_str() == text)
                .or_else(|| Level::from_name(text))
                .is_some_and(|l| levels.contains(l)),
        }
    }
}

/// Whether `hay` contains `needle` (lowercase) ignoring case.
pub(crate) fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        if n.len() > h.len() {
            return false;
        }
        let first = n[0];
        let upper = first.to_ascii_uppercase();
        return h
            .windows(n.len())
            .any(|w| (w[0] == first || w[0] == upper) && w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

/// A query that does not parse: what is wrong and where (a character offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// Character offset in the query text.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.at + 1, self.message)
    }
}

impl std::error::Error for QueryError {}

/// The field a name in a query means.
pub(crate) fn field_of(name: &str) -> Field {
    use crate::schema::logs as col;
    match name.to_ascii_lowercase().as_str() {
        "message" | "msg" => Field::Message,
        "level" => Field::Level,
        "node" => Field::Column(col::NODE),
        "namespace" | "ns" => Field::Column(col::NAMESPACE),
        "pod" => Field::Column(col::POD),
        "pod_uid" => Field::Column(col::POD_UID),
        "container" => Field::Column(col::CONTAINER),
        "component" => Field::Column(col::COMPONENT),
        "stream" => Field::Column(col::STREAM),
        "format" => Field::Column(col::FORMAT),
        "source" => Field::Column(col::SOURCE),
        "level_raw" => Field::Column(col::LEVEL_RAW),
        "restart" => Field::Number(col::RESTART),
        "line" => Field::Number(col::LINE),
        _ => Field::Structured(name.to_string()),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Not,
    And,
    Or,
    /// `field:` followed by a value.
    Field(String),
    Word(String),
    Phrase(String),
    Regex(String),
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Whether the next token is a field's value (a `-` there is part of the value).
    let mut value_next = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            value_next = false;
            continue;
        }
        let start = i;
        if c == '(' {
            // After `field:`, a group of that field's values: `pod:(api-* OR web-*)`.
            out.push((start, Tok::LParen));
            i += 1;
            value_next = false;
            continue;
        }
        if c == ')' {
            out.push((start, Tok::RParen));
            i += 1;
            value_next = false;
            continue;
        }
        if !value_next && (c == '-' || c == '!') {
            out.push((start, Tok::Not));
            i += 1;
            continue;
        }
        if c == '"' || c == '/' {
            // A phrase keeps what a backslash escapes; a regex keeps its backslashes except
            // before `/`.
            let (text, next) = delimited(&chars, i, c).ok_or_else(|| QueryError {
                at: start,
                message: if c == '"' {
                    "a quote is not closed".into()
                } else {
                    "a /regex/ is not closed".into()
                },
            })?;
            i = next;
            out.push((
                start,
                if c == '"' {
                    Tok::Phrase(text)
                } else {
                    Tok::Regex(text)
                },
            ));
            value_next = false;
            continue;
        }
        // A word: up to whitespace or a closing parenthesis.
        let mut s = String::new();
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ')' {
            if chars[i] == '\\' && i + 1 < chars.len() {
                s.push(chars[i + 1]);
                i += 2;
                continue;
            }
            s.push(chars[i]);
            i += 1;
            // `field:` ends the word when what comes before is a field name.
            // (`http://...` is a word, not the field `http`.)
            let url = chars.get(i) == Some(&'/') && chars.get(i + 1) == Some(&'/');
            if !(value_next || url)
                && s.ends_with(':')
                && s.len() > 1
                && s[..s.len() - 1]
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'))
            {
                break;
            }
        }
        if !value_next
            && s.len() > 1
            && s.ends_with(':')
            && !s[..s.len() - 1].contains(':')
            && !s[..s.len() - 1].contains('/')
        {
            s.pop();
            if chars.get(i).is_none_or(|c| c.is_whitespace()) {
                return Err(QueryError {
                    at: start,
                    message: format!("`{s}:` needs a value (`{s}:*` for any)"),
                });
            }
            out.push((start, Tok::Field(s)));
            value_next = true;
            continue;
        }
        value_next = false;
        let tok = match s.as_str() {
            "AND" | "&&" => Tok::And,
            "OR" | "||" => Tok::Or,
            "NOT" => Tok::Not,
            _ => Tok::Word(s),
        };
        out.push((start, tok));
    }
    Ok(out)
}

/// The text between the delimiter `close` at `open` and the next unescaped one, and the
/// index after it; `None` when it is not closed.
fn delimited(chars: &[char], open: usize, close: char) -> Option<(String, usize)> {
    let mut i = open + 1;
    let mut s = String::new();
    loop {
        match *chars.get(i)? {
            '\\' if i + 1 < chars.len() && (close == '"' || chars[i + 1] == close) => {
                s.push(chars[i + 1]);
                i += 2;
            }
            ch if ch == close => return Some((s, i + 1)),
            ch => {
                s.push(ch);
                i += 1;
            }
        }
    }
}

/// Inside `name:( ... )`: the field's name as written and the field.
type Group<'a> = Option<(&'a str, &'a Field)>;

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |(a, _)| *a)
    }

    /// Terms joined by OR; inside `name:( ... )` (`group`), values of that field.
    fn or(&mut self, group: Group<'_>) -> Result<Query, QueryError> {
        let mut parts = vec![self.and(group)?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            parts.push(self.and(group)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Query::All)
        } else {
            Query::Or(parts)
        })
    }

    fn and(&mut self, group: Group<'_>) -> Result<Query, QueryError> {
        let mut parts = vec![self.unary(group)?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.pos += 1;
                    parts.push(self.unary(group)?);
                }
                None | Some(Tok::Or | Tok::RParen) => break,
                Some(_) => parts.push(self.unary(group)?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Query::All)
        } else {
            Query::And(parts)
        })
    }

    fn unary(&mut self, group: Group<'_>) -> Result<Query, QueryError> {
        if self.peek() == Some(&Tok::Not) {
            self.pos += 1;
            return Ok(Query::Not(Box::new(self.unary(group)?)));
        }
        match group {
            None => self.primary(),
            Some((name, field)) => self.group_value(name, field),
        }
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let at = self.at();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return Err(QueryError {
                at,
                message: "a term is missing at the end".into(),
            });
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let q = self.or(None)?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(QueryError {
                        at: self.at(),
                        message: "a `(` is not closed".into(),
                    });
                }
                self.pos += 1;
                Ok(q)
            }
            Tok::RParen => Err(QueryError {
                at,
                message: "a `)` without its `(`".into(),
            }),
            Tok::And | Tok::Or => Err(QueryError {
                at,
                message: "AND/OR needs a term on each side".into(),
            }),
            Tok::Not => Err(QueryError {
                at,
                message: "NOT needs a term".into(),
            }),
            Tok::Word(w) => Ok(Query::Term(Term {
                field: Field::Message,
                matcher: if w.contains(['*', '?']) {
                    glob(&w, false).map_err(|m| QueryError { at, message: m })?
                } else {
                    Matcher::Contains(w.to_lowercase())
                },
            })),
            Tok::Phrase(p) => Ok(Query::Term(Term {
                field: Field::Message,
                matcher: Matcher::Contains(p.to_lowercase()),
            })),
            Tok::Regex(r) => Ok(Query::Term(Term {
                field: Field::Message,
                matcher: Matcher::Regex(regex(&r).map_err(|m| QueryError { at, message: m })?),
            })),
            Tok::Field(name) => {
                let field = field_of(&name);
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    return self.group(&name, &field);
                }
                let vat = self.at();
                let Some((_, value)) = self.toks.get(self.pos).cloned() else {
                    return Err(QueryError {
                        at,
                        message: format!("`{name}:` needs a value"),
                    });
                };
                self.pos += 1;
                let matcher = value_matcher(&field, value)
                    .map_err(|message| QueryError { at: vat, message })?;
                Ok(Query::Term(Term { field, matcher }))
            }
        }
    }
}

impl Parser {
    /// The rest of `name:( ... )` after its `(`: values of one field joined by AND, OR, NOT
    /// and parentheses, as terms are.
    fn group(&mut self, name: &str, field: &Field) -> Result<Query, QueryError> {
        let q = self.or(Some((name, field)))?;
        if self.peek() != Some(&Tok::RParen) {
            return Err(QueryError {
                at: self.at(),
                message: format!("the `(` after `{name}:` is not closed"),
            });
        }
        self.pos += 1;
        Ok(q)
    }

    /// One value inside `name:( ... )` (or a nested group).
    fn group_value(&mut self, name: &str, field: &Field) -> Result<Query, QueryError> {
        let at = self.at();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return Err(QueryError {
                at,
                message: format!("a value of `{name}:` is missing at the end"),
            });
        };
        self.pos += 1;
        match tok {
            Tok::LParen => self.group(name, field),
            Tok::Field(inner) => Err(QueryError {
                at,
                message: format!("`{inner}:` inside `{name}:( ... )`: a group holds values"),
            }),
            Tok::RParen | Tok::And | Tok::Or | Tok::Not => Err(QueryError {
                at,
                message: format!("`{name}:( ... )` needs a value here"),
            }),
            value => {
                let matcher =
                    value_matcher(field, value).map_err(|message| QueryError { at, message })?;
                Ok(Query::Term(Term {
                    field: field.clone(),
                    matcher,
                }))
            }
        }
    }
}

fn regex(r: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(r)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| format!("invalid regex /{r}/: {e}"))
}

/// A glob (`*`, `?`) as a regex ignoring case: over the whole value when `whole`, else
/// anywhere in the text.
fn glob(g: &str, whole: bool) -> Result<Matcher, String> {
    let mut re = String::from("(?i)");
    if whole {
        re.push('^');
    }
    for c in g.chars() {
        match c {
            '*' => re.push_str(if whole { ".*" } else { r"\S*" }),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    if whole {
        re.push('$');
    }
    Ok(Matcher::Regex(regex(&re)?))
}

fn value_matcher(field: &Field, value: Tok) -> Result<Matcher, String> {
    let word = match value {
        Tok::Regex(r) => return Ok(Matcher::Regex(regex(&r)?)),
        Tok::Phrase(p) => {
            return Ok(match field {
                Field::Message => Matcher::Contains(p.to_lowercase()),
                Field::Level => Matcher::Levels(LevelSet::parse(&p).map_err(|e| e.to_string())?),
                _ => Matcher::Equals(p.to_lowercase()),
            });
        }
        Tok::Word(w) => w,
        Tok::And | Tok::Or | Tok::Not => {
            return Err("a field needs a value, not AND/OR/NOT".into());
        }
        _ => return Err("a field needs a value".into()),
    };
    if word == "*" {
        return Ok(Matcher::Exists);
    }
    if let Some((op, rest)) = comparison(&word) {
        if *field == Field::Level {
            let level = Level::parse_cli(rest).ok_or_else(|| {
                format!("unknown level {rest:?}: trace, debug, info, warn, error or fatal")
            })?;
            let severity = |l: Level| f64::from(l as u8);
            return LevelSet::of(
                Level::ALL
                    .into_iter()
                    .filter(|l| *l != Level::Unknown && op.holds(severity(*l), severity(level))),
            )
            .map(Matcher::Levels)
            .ok_or_else(|| format!("no level is {word}"));
        }
        let n: f64 = rest
            .parse()
            .map_err(|_| format!("`{word}`: a comparison needs a number"))?;
        return Ok(Matcher::Compare(op, n));
    }
    match field {
        Field::Level => LevelSet::parse(&word)
            .map(Matcher::Levels)
            .map_err(|e| e.to_string()),
        Field::Number(_) => word
            .parse::<f64>()
            .map(|n| Matcher::Compare(Cmp::Eq, n))
            .map_err(|_| format!("`{word}` is not a number")),
        _ if word.contains(['*', '?']) => glob(&word, true),
        Field::Message => Ok(Matcher::Contains(word.to_lowercase())),
        _ => Ok(Matcher::Equals(word.to_lowercase())),
    }
}

fn comparison(w: &str) -> Option<(Cmp, &str)> {
    for (p, op) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
    ] {
        if let Some(rest) = w.strip_prefix(p)
            && !rest.is_empty()
        {
            return Some((op, rest));
        }
    }
    None
}

impl Query {
    /// Parses a query; the empty (or blank) query is [`Query::All`].
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let toks = lex(text)?;
        if toks.is_empty() {
            return Ok(Query::All);
        }
        let mut p = Parser {
            toks,
            pos: 0,
            len: text.chars().count(),
        };
        let q = p.or(None)?;
        if p.pos < p.toks.len() {
            return Err(QueryError {
                at: p.at(),
                message: "a `)` without its `(`".into(),
            });
        }
        Ok(q)
    }

    /// Whether the query matches every row (it is empty).
    pub(crate) fn is_all(&self) -> bool {
        matches!(self, Query::All)
    }

    /// Every field the query looks at.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        self.walk(&mut |t| {
            if !out.contains(&t.field) {
                out.push(t.field.clone());
            }
        });
        out
    }

    fn walk(&self, f: &mut impl FnMut(&Term)) {
        match self {
            Query::All => {}
            Query::And(parts) | Query::Or(parts) => parts.iter().for_each(|p| p.walk(f)),
            Query::Not(q) => q.walk(f),
            Query::Term(t) => f(t),
        }
    }
}

/// Splits a query's text into its top-level AND parts (as written), for filter chips: each
/// can be removed on its own and the rest still parses. A query with a top-level OR is one
/// chip.
pub fn chips(text: &str) -> Vec<String> {
    let Ok(toks) = lex(text) else {
        return vec![text.trim().to_string()];
    };
    if toks.is_empty() {
        return Vec::new();
    }
    let starts: Vec<usize> = toks.iter().map(|(a, _)| *a).collect();
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut begin: Option<usize> = None;
    let mut pending_not = false;
    for (k, (at, tok)) in toks.iter().enumerate() {
        match tok {
            Tok::Or if depth == 0 => return vec![text.trim().to_string()],
            Tok::And if depth == 0 => continue,
            Tok::LParen => depth += 1,
            Tok::RParen => depth -= 1,
            _ => {}
        }
        if begin.is_none() {
            begin = Some(*at);
        }
        pending_not =
            matches!(tok, Tok::Not | Tok::Field(_)) || (pending_not && *tok == Tok::LParen);
        if depth == 0 && !pending_not {
            let end = starts.get(k + 1).copied().unwrap_or(chars.len());
            let from = begin.take().unwrap_or(*at);
            let s: String = chars[from..end].iter().collect();
            let s = s.trim();
            let s = s.strip_suffix(" AND").unwrap_or(s).trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
        }
    }
    if let Some(from) = begin {
        let s: String = chars[from..].iter().collect();
        if !s.trim().is_empty() {
            out.push(s.trim().to_string());
        }
    }
    out
}

/// Row-by-row values of one column, as the terms read them.
enum Values {
    Text(StringChunked),
    /// A categorical column: per row a category id (`u32::MAX` for null), each category
    /// matched once.
    Categories {
        ids: Vec<u32>,
        mapping: std::sync::Arc<CategoricalMapping>,
    },
    Number(Float64Chunked),
    /// The `fields` pairs, read in place.
    Pairs(FieldPairs),
}

impl Query {
    /// One bool per row of `logs` (a `logs` table, [`crate::schema::logs`]): whether the row
    /// matches. Rows without the value a term looks at do not match it.
    pub fn evaluate(&self, logs: &DataFrame) -> crate::Result<BooleanChunked> {
        let mut cache: Vec<(Field, Values)> = Vec::new();
        for f in self.fields() {
            let v = values_of(logs, &f)?;
            cache.push((f, v));
        }
        let bits = self.eval(logs.height(), &cache);
        Ok(BooleanChunked::from_slice("match".into(), &bits))
    }

    fn eval(&self, n: usize, cache: &[(Field, Values)]) -> Vec<bool> {
        match self {
            Query::All => vec![true; n],
            Query::And(parts) => {
                let mut out = vec![true; n];
                for p in parts {
                    for (o, b) in out.iter_mut().zip(p.eval(n, cache)) {
                        *o &= b;
                    }
                }
                out
            }
            Query::Or(parts) => {
                let mut out = vec![false; n];
                for p in parts {
                    for (o, b) in out.iter_mut().zip(p.eval(n, cache)) {
                        *o |= b;
                    }
                }
                out
            }
            Query::Not(q) => q.eval(n, cache).into_iter().map(|b| !b).collect(),
            Query::Term(t) => {
                let Some((_, values)) = cache.iter().find(|(f, _)| *f == t.field) else {
                    return vec![false; n];
                };
                term_bits(t, values, n)
            }
        }
    }
}

fn values_of(logs: &DataFrame, field: &Field) -> crate::Result<Values> {
    use crate::schema::logs as col;
    let name = match field {
        Field::Message => col::MESSAGE,
        Field::Level => col::LEVEL,
        Field::Column(name) => name,
        Field::Number(name) => {
            return Ok(Values::Number(
                logs.column(name)?.cast(&DataType::Float64)?.f64()?.clone(),
            ));
        }
        Field::Structured(_) => {
            return Ok(Values::Pairs(FieldPairs::of(logs.column(col::FIELDS)?)?));
        }
    };
    let c = logs.column(name)?;
    if let DataType::Categorical(_, mapping) | DataType::Enum(_, mapping) = c.dtype() {
        let ids = c.to_physical_repr().cast(&DataType::UInt32)?;
        return Ok(Values::Categories {
            ids: ids.u32()?.iter().map(|id| id.unwrap_or(u32::MAX)).collect(),
            mapping: mapping.clone(),
        });
    }
    Ok(Values::Text(c.cast(&DataType::String)?.str()?.clone()))
}

fn term_bits(t: &Term, values: &Values, n: usize) -> Vec<bool> {
    let mut out = vec![false; n];
    match values {
        Values::Text(ca) => {
            // Few distinct values (pods, levels): each is matched once.
            let mut seen: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
            let few = !matches!(t.field, Field::Message);
            for (o, v) in out.iter_mut().zip(ca.iter()) {
                let Some(v) = v else { continue };
                *o = if few {
                    *seen.entry(v).or_insert_with(|| text_matches(&t.matcher, v))
                } else {
                    text_matches(&t.matcher, v)
                };
            }
        }
        Values::Number(ca) => {
            for (o, v) in out.iter_mut().zip(ca.iter()) {
                let Some(v) = v else { continue };
                *o = match &t.matcher {
                    Matcher::Compare(op, want) => op.holds(v, *want),
                    Matcher::Exists => true,
                    m => m.matches_text(&format_number(v)),
                };
            }
        }
        Values::Categories { ids, mapping } => {
            let mut seen: std::collections::HashMap<u32, bool> = std::collections::HashMap::new();
            for (o, &id) in out.iter_mut().zip(ids) {
                if id == u32::MAX {
                    continue;
                }
                *o = *seen.entry(id).or_insert_with(|| {
                    mapping
                        .cat_to_str(id)
                        .is_some_and(|v| text_matches(&t.matcher, v))
                });
            }
        }
        Values::Pairs(pairs) => {
            let Field::Structured(name) = &t.field else {
                return out;
            };
            for (row, o) in out.iter_mut().enumerate() {
                *o = pairs
                    .row(row)
                    .any(|(k, v)| k == name && text_matches(&t.matcher, v));
            }
        }
    }
    out
}

fn text_matches(m: &Matcher, v: &str) -> bool {
    match m {
        Matcher::Exists => !v.is_empty(),
        m => m.matches_text(v),
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(q: &Query) -> String {
        match q {
            Query::All => "ALL".into(),
            Query::And(p) => format!(
                "(and {})",
                p.iter().map(text_of).collect::<Vec<_>>().join(" ")
            ),
            Query::Or(p) => format!(
                "(or {})",
                p.iter().map(text_of).collect::<Vec<_>>().join(" ")
            ),
            Query::Not(q) => format!("(not {})", text_of(q)),
            Query::Term(t) => {
                let f = match &t.field {
                    Field::Message => "msg".to_string(),
                    Field::Column(c) | Field::Number(c) => (*c).to_string(),
                    Field::Level => "level".into(),
                    Field::Structured(s) => format!("f.{s}"),
                };
                let m = match &t.matcher {
                    Matcher::Contains(s) => format!("~{s}"),
                    Matcher::Equals(s) => format!("={s}"),
                    Matcher::Regex(r) => format!("/{}/", r.as_str()),
                    Matcher::Exists => "*".into(),
                    Matcher::Compare(op, n) => format!("{op:?}{n}"),
                    Matcher::Levels(set) => Level::ALL
                        .into_iter()
                        .filter(|l| set.contains(*l))
                        .map(Level::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                };
                format!("{f}{m}")
            }
        }
    }

    #[test]
    fn parses_the_issue_example() {
        let q = Query::parse(r#"level:error pod:api-* "connection reset" -container:istio-proxy"#)
            .expect("parses");
        assert_eq!(
            text_of(&q),
            "(and levelerror pod/(?i)^api\\-.*$/ msg~connection reset (not container=istio-proxy))"
        );
    }

    #[test]
    fn precedence_groups_and_negation() {
        let q = Query::parse("a b OR c AND NOT (d OR ns:kube-*)").expect("parses");
        assert_eq!(
            text_of(&q),
            "(or (and msg~a msg~b) (and msg~c (not (or msg~d namespace/(?i)^kube\\-.*$/))))"
        );
        let q = Query::parse("!level:debug || status:>=500 restart:>0").expect("parses");
        assert_eq!(
            text_of(&q),
            "(or (not leveldebug) (and f.statusGe500 restartGt0))"
        );
    }

    #[test]
    fn levels_and_values() {
        let q = Query::parse("level:warn+").expect("parses");
        assert_eq!(text_of(&q), "levelwarn,error,fatal");
        let q = Query::parse("level:>=error").expect("parses");
        assert_eq!(text_of(&q), "levelerror,fatal");
        let q = Query::parse(r#"msg:/timeout after \d+ms/ trace_id:* user.id:"Ann Lee" x-y"#)
            .expect("parses");
        assert_eq!(
            text_of(&q),
            r"(and msg/timeout after \d+ms/ f.trace_id* f.user.id=ann lee msg~x-y)"
        );
        // A dash inside a value or word is not a negation; a URL is a word.
        let q = Query::parse("pod:-x http://a/b").expect("parses");
        assert_eq!(text_of(&q), "(and pod=-x msg~http://a/b)");
    }

    #[test]
    fn field_groups() {
        let q = Query::parse("pod:(api-* OR web-1) level:(error OR warn)").expect("parses");
        assert_eq!(
            text_of(&q),
            "(and (or pod/(?i)^api\\-.*$/ pod=web-1) (or levelerror levelwarn))"
        );
        let q =
            Query::parse(r#"-status:(>=500 -503) user.id:("Ann Lee" OR (b c))"#).expect("parses");
        assert_eq!(
            text_of(&q),
            "(and (not (and f.statusGe500 (not f.status=503))) \
             (or f.user.id=ann lee (and f.user.id=b f.user.id=c)))"
        );
        // An ordinary group after a term still groups terms.
        let q = Query::parse("a (b OR c)").expect("parses");
        assert_eq!(text_of(&q), "(and msg~a (or msg~b msg~c))");
        for (q, at, has) in [
            ("pod:(a OR b", 11, "not closed"),
            ("pod:(ns:x)", 5, "holds values"),
            ("pod:(a OR)", 9, "needs a value"),
            ("level:(error OR nope)", 16, "unknown level"),
        ] {
            let e = Query::parse(q).expect_err(q);
            assert_eq!(e.at, at, "{q}: {e}");
            assert!(e.message.contains(has), "{q}: {e}");
        }
        assert_eq!(chips("pod:(a OR b) c"), vec!["pod:(a OR b)", "c"]);
    }

    #[test]
    fn errors_say_where() {
        for (q, at, has) in [
            ("\"open", 0, "quote"),
            ("(a b", 4, "not closed"),
            ("a)", 1, "without"),
            ("level:nope", 6, "unknown level"),
            ("restart:>x", 8, "number"),
            ("msg:/(/", 4, "invalid regex"),
            ("a OR", 4, "missing"),
            ("pod: x", 0, "needs a value"),
        ] {
            let e = Query::parse(q).expect_err(q);
            assert_eq!(e.at, at, "{q}: {e}");
            assert!(e.message.contains(has), "{q}: {e}");
        }
        assert!(Query::parse("  ").expect("empty").is_all());
    }

    #[test]
    fn matching_text() {
        let m = |q: &str| match Query::parse(q).expect("parses") {
            Query::Term(t) => t.matcher,
            other => panic!("{other:?}"),
        };
        assert!(m("Reset").matches_text("connection RESET by peer"));
        assert!(!m("reset").matches_text("connection refused"));
        assert!(m("pod:API-*").matches_text("api-7d9f"));
        assert!(!m("pod:api-*").matches_text("my-api-7d9f"));
        assert!(m("status:>=500").matches_text("503"));
        assert!(!m("status:>=500").matches_text("404"));
        assert!(m("conn*reset").matches_text("a connection-reset b"));
        assert!(contains_ignore_case("Ünïcode ÄBC", "äbc"));
        assert!(m("level:unknown").matches_text("unknown"));
        assert!(!m("level:warn+").matches_text("unknown"));
        assert!(m("level:warn+").matches_text("fatal"));
        assert!(m("ns:Kube-System").matches_text("kube-system"));
    }

    #[test]
    fn chips_split_top_level_and() {
        assert_eq!(
            chips(r#"level:error pod:api-* "connection reset" -container:istio-proxy"#),
            vec![
                "level:error",
                "pod:api-*",
                "\"connection reset\"",
                "-container:istio-proxy"
            ]
        );
        assert_eq!(
            chips("a AND (b OR c) NOT d"),
            vec!["a", "(b OR c)", "NOT d"]
        );
        assert_eq!(chips("a OR b"), vec!["a OR b"]);
        assert!(chips("").is_empty());
    }
}
