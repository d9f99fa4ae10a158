//! The shape of the first JSON value in a head: its scalar fields and containers by path, read
//! without a full parse, so a value cut off by the end of the head (a 2 MB one-line list) still
//! shows its first keys.
//!
//! Paths join object keys with `/`; of an array only the first element is looked into (as `0`):
//! `items/0/metadata/name`. Values deeper than the depth asked for are skipped with a bracket
//! count, so hostile nesting costs no stack.

/// A value at a path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    /// A string (unescaped for the common escapes, cut at 256 bytes).
    Str(String),
    /// A number, as written.
    Num(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object (its fields are listed under its path).
    Object,
    /// An array (its first element is listed under `<path>/0`).
    Array,
}

/// What was seen of the first JSON value.
#[derive(Debug, Default)]
pub(crate) struct Skim {
    /// Every value seen, by path, in order (the root is the empty path).
    pub(crate) fields: Vec<(String, Val)>,
    /// The first value ended inside the head.
    pub(crate) complete: bool,
    /// Another value follows the first (JSON lines, or documents one after another).
    pub(crate) more: bool,
}

impl Skim {
    /// The value at `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&Val> {
        self.fields.iter().find(|(p, _)| p == path).map(|(_, v)| v)
    }

    /// The string at `path`.
    pub(crate) fn str(&self, path: &str) -> Option<&str> {
        match self.get(path)? {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether anything is at `path`.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// The keys directly under the object at `path` (`""` for the root).
    pub(crate) fn keys<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter_map(move |(p, _)| {
            let rest = if path.is_empty() {
                p.as_str()
            } else {
                p.strip_prefix(path)?.strip_prefix('/')?
            };
            (!rest.is_empty() && !rest.contains('/')).then_some(rest)
        })
    }
}

/// Most fields kept: a head of a large object has thousands.
const MAX_FIELDS: usize = 4096;

/// Reads the first JSON value of `head` down to `max_depth` levels. `None` when the head does
/// not start with `{` or `[`, or is not JSON as far as it goes.
pub(crate) fn skim(head: &[u8], max_depth: usize) -> Option<Skim> {
    let mut p = Parser {
        b: head,
        i: 0,
        out: Skim::default(),
        max_depth,
    };
    p.ws();
    if !matches!(p.peek(), Some(b'{' | b'[')) {
        return None;
    }
    match p.value(&mut String::new(), 0) {
        Ok(()) => {
            p.out.complete = true;
            p.ws();
            p.out.more = p.peek().is_some();
        }
        Err(Stop::End) => {}
        Err(Stop::Bad) => return None,
    }
    Some(p.out)
}

enum Stop {
    /// The head ended.
    End,
    /// Not JSON.
    Bad,
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    out: Skim,
    max_depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn next(&mut self) -> Result<u8, Stop> {
        self.ws();
        let c = self.peek().ok_or(Stop::End)?;
        self.i += 1;
        Ok(c)
    }

    fn push(&mut self, path: &str, v: Val) {
        if self.out.fields.len() < MAX_FIELDS {
            self.out.fields.push((path.to_string(), v));
        }
    }

    /// One value at `path`, recorded down to `max_depth`.
    fn value(&mut self, path: &mut String, depth: usize) -> Result<(), Stop> {
        self.ws();
        let c = self.peek().ok_or(Stop::End)?;
        if matches!(c, b'{' | b'[') && depth >= self.max_depth {
            self.push(path, if c == b'{' { Val::Object } else { Val::Array });
            return self.skip_container();
        }
        match c {
            b'{' => {
                self.i += 1;
                self.push(path, Val::Object);
                let mut first = true;
                loop {
                    match self.next()? {
                        b'}' => return Ok(()),
                        b',' if !first => {}
                        b'"' if first => self.i -= 1,
                        _ => return Err(Stop::Bad),
                    }
                    first = false;
                    if self.next()? != b'"' {
                        return Err(Stop::Bad);
                    }
                    let key = self.string()?;
                    if self.next()? != b':' {
                        return Err(Stop::Bad);
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('/');
                    }
                    path.push_str(&key);
                    let r = self.value(path, depth + 1);
                    path.truncate(len);
                    r?;
                }
            }
            b'[' => {
                self.i += 1;
                self.push(path, Val::Array);
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('/');
                }
                path.push('0');
                let fields = self.out.fields.len();
                let r = self.value(path, depth + 1);
                path.truncate(len);
                r?;
                // After a scalar (fluent-bit's `[time, record]`), the second element too.
                let scalar_first = matches!(
                    self.out.fields.get(fields),
                    Some((_, Val::Num(_) | Val::Str(_)))
                );
                let mut index = 1;
                loop {
                    match self.next()? {
                        b']' => return Ok(()),
                        b',' if index == 1 && scalar_first => {
                            if !path.is_empty() {
                                path.push('/');
                            }
                            path.push('1');
                            let r = self.value(path, depth + 1);
                            path.truncate(len);
                            r?;
                        }
                        b',' => self.skip_value()?,
                        _ => return Err(Stop::Bad),
                    }
                    index += 1;
                }
            }
            b'"' => {
                self.i += 1;
                let s = self.string()?;
                self.push(path, Val::Str(s));
                Ok(())
            }
            _ => {
                let v = self.scalar()?;
                self.push(path, v);
                Ok(())
            }
        }
    }

    /// A string's text after its opening quote, up to and past the closing one.
    fn string(&mut self) -> Result<String, Stop> {
        let mut s = Vec::new();
        loop {
            let c = *self.b.get(self.i).ok_or(Stop::End)?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or(Stop::End)?;
                    self.i += 1;
                    if s.len() < 256 {
                        s.push(match e {
                            b'n' => b'\n',
                            b't' => b'\t',
                            b'r' => b'\r',
                            other => other,
                        });
                    }
                }
                b'\n' => return Err(Stop::Bad),
                _ => {
                    if s.len() < 256 {
                        s.push(c);
                    }
                }
            }
        }
        Ok(String::from_utf8_lossy(&s).into_owned())
    }

    /// A number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<Val, Stop> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
        {
            self.i += 1;
        }
        if self.i == self.b.len() {
            return Err(Stop::End);
        }
        match &self.b[start..self.i] {
            b"true" => Ok(Val::Bool(true)),
            b"false" => Ok(Val::Bool(false)),
            b"null" => Ok(Val::Null),
            n if !n.is_empty()
                && (n[0].is_ascii_digit() || n[0] == b'-')
                && n.iter().all(|c| c.is_ascii_digit() || b"-+.eE".contains(c)) =>
            {
                Ok(Val::Num(String::from_utf8_lossy(n).into_owned()))
            }
            _ => Err(Stop::Bad),
        }
    }

    /// Skips one value of any kind.
    fn skip_value(&mut self) -> Result<(), Stop> {
        self.ws();
        match self.peek().ok_or(Stop::End)? {
            b'{' | b'[' => self.skip_container(),
            b'"' => {
                self.i += 1;
                self.string().map(drop)
            }
            _ => self.scalar().map(drop),
        }
    }

    /// Skips an object or array by counting brackets outside strings.
    fn skip_container(&mut self) -> Result<(), Stop> {
        let mut depth = 0usize;
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1).ok_or(Stop::Bad)?;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'"' => {
                    // Skip the string.
                    loop {
                        let c = *self.b.get(self.i).ok_or(Stop::End)?;
                        self.i += 1;
                        match c {
                            b'"' => break,
                            b'\\' => self.i += 1,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Err(Stop::End)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_a_cut_value() {
        // A list cut inside its first item: the fields before the cut are there.
        let s = skim(
            br#"{"apiVersion":"v1","items":[{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"containers":[{"name":"c"}]},"status":{"pha"#,
            4,
        )
        .unwrap();
        assert!(!s.complete);
        assert_eq!(s.str("apiVersion"), Some("v1"));
        assert_eq!(s.str("items/0/metadata/name"), Some("a"));
        assert_eq!(s.get("items/0/spec/containers"), Some(&Val::Array));
        // Depth 4 stops at items/0/spec/containers: its elements are skipped.
        assert_eq!(s.get("items/0/spec/containers/0"), None);
        assert_eq!(s.get("items/0/metadata/labels/x"), None);
        assert_eq!(
            s.keys("items/0").collect::<Vec<_>>(),
            ["metadata", "spec", "status"]
        );
        // Only the first element of an array is looked into.
        let s = skim(br#"[{"a":1},{"b":2}] {"c":3}"#, 4).unwrap();
        assert!(s.complete && s.more);
        assert_eq!(s.get("0/a"), Some(&Val::Num("1".into())));
        assert!(!s.has("1/b") && !s.has("0/b"));
        // fluent-bit's `[time, record]`: the record too.
        let s = skim(br#"[1722451635.0,{"kind":"Event"},{"x":1}]"#, 4).unwrap();
        assert_eq!(s.str("1/kind"), Some("Event"));
        assert!(!s.has("2/x"));
        // Escapes, literals and nested arrays.
        let s = skim(br#"{"m":"a\"b\\n","t":true,"n":null,"x":[[1,2],[3]]}"#, 4).unwrap();
        assert_eq!(s.str("m"), Some("a\"b\\n"));
        assert_eq!(s.get("t"), Some(&Val::Bool(true)));
        assert_eq!(s.get("n"), Some(&Val::Null));
        assert_eq!(s.get("x/0/0"), Some(&Val::Num("1".into())));
        // Not JSON: text, a broken object; deep nesting costs no stack.
        assert!(skim(b"hello", 4).is_none());
        assert!(skim(b"{\"a\" 1}", 4).is_none());
        assert!(skim(b"{a: 1}", 4).is_none());
        let deep = "[".repeat(100_000);
        let s = skim(deep.as_bytes(), 4).unwrap();
        assert!(!s.complete);
    }
}
