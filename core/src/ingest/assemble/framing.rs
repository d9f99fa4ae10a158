//! How an instance's lines become entries: one framer per [`Framing`]. A framer sees every
//! physical line of the instance's files in order and hands complete entries (and the pieces
//! it joined) to the [`Assembler`], which parses payloads, folds and counts for all of them.

use super::*;

/// Lines into entries, for one framing.
pub(super) trait Framer {
    /// One physical line (`cut`: it was longer than an entry may be, and cut).
    fn line<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        b: &[u8],
        cut: bool,
    );

    /// The instance's files are read: an entry still open ends.
    fn end<S: EntrySink>(&mut self, a: &mut Assembler<'_, S>);
}

/// The framer of an instance, by its [`Framing`].
pub(super) enum AnyFramer {
    Runtime(Runtime),
    Plain(Plain),
    JsonDocs(JsonDocs),
    JournalExport(JournalExport),
}

impl AnyFramer {
    /// The framer for `framing`; a plain log's entries may also start where `format_def`
    /// matches, and may hold cluster-info dump `sections`.
    pub(super) fn new(
        framing: Framing,
        format_def: Option<&'static DefinedFormat>,
        sections: bool,
    ) -> AnyFramer {
        match framing {
            Framing::Runtime => AnyFramer::Runtime(Runtime::default()),
            Framing::Plain => AnyFramer::Plain(Plain {
                stamped: false,
                format_def,
                sections,
            }),
            Framing::JsonDocs => AnyFramer::JsonDocs(JsonDocs::default()),
            Framing::JournalExport => AnyFramer::JournalExport(JournalExport::default()),
        }
    }
}

impl Framer for AnyFramer {
    #[inline]
    fn line<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        b: &[u8],
        cut: bool,
    ) {
        match self {
            AnyFramer::Runtime(f) => f.line(a, file_pos, number, b, cut),
            AnyFramer::Plain(f) => f.line(a, file_pos, number, b, cut),
            AnyFramer::JsonDocs(f) => f.line(a, file_pos, number, b, cut),
            AnyFramer::JournalExport(f) => f.line(a, file_pos, number, b, cut),
        }
    }

    fn end<S: EntrySink>(&mut self, a: &mut Assembler<'_, S>) {
        match self {
            AnyFramer::Runtime(f) => f.end(a),
            AnyFramer::Plain(f) => f.end(a),
            AnyFramer::JsonDocs(f) => f.end(a),
            AnyFramer::JournalExport(f) => f.end(a),
        }
    }
}

/// CRI or docker json-file lines: `P` pieces and json-file pieces without a newline are
/// joined per stream up to the line that ends them.
#[derive(Default)]
pub(super) struct Runtime {
    dates: DateCache,
}

impl Framer for Runtime {
    #[inline]
    fn line<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        b: &[u8],
        cut: bool,
    ) {
        if b.first() == Some(&b'{') {
            match parse_docker_line(b) {
                Ok(d) => self.docker(a, file_pos, number, d, cut),
                Err(e) => match parse_cri_line_cached(b, &mut self.dates) {
                    Ok(c) => self.cri(a, file_pos, number, c, cut),
                    Err(_) => self.unparsed(a, file_pos, number, b, &e.to_string(), cut),
                },
            }
        } else {
            match parse_cri_line_cached(b, &mut self.dates) {
                Ok(c) => self.cri(a, file_pos, number, c, cut),
                Err(e) => match parse_docker_line(b) {
                    Ok(d) => self.docker(a, file_pos, number, d, cut),
                    Err(_) => self.unparsed(a, file_pos, number, b, &e.to_string(), cut),
                },
            }
        }
    }

    fn end<S: EntrySink>(&mut self, _: &mut Assembler<'_, S>) {}
}

impl Runtime {
    fn cri<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        c: CriLine<'_>,
        cut: bool,
    ) {
        a.last_ts = Some(c.ts_nanos);
        let k = slot(Some(c.stream));
        if a.pending[k].active {
            a.pending[k].joined += 1;
            a.pending[k].truncated |= cut;
            a.stats[file_pos].joined += 1;
            a.pending[k].append(c.message);
            if !c.partial {
                a.emit_pending(k, false);
            }
        } else if c.partial {
            let p = &mut a.pending[k];
            p.start(Some(c.ts_nanos), Some(c.stream), file_pos, number);
            p.truncated = cut;
            p.append(c.message);
        } else {
            let origin = Origin {
                ts: Some(c.ts_nanos),
                stream: Some(c.stream),
                file_pos,
                line: number,
                joined: 0,
                partial: false,
                truncated: cut,
                report_overflow: false,
                from_json: false,
                unparsed: false,
            };
            a.emit(c.message, origin);
        }
    }

    fn docker<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        d: DockerLine<'_>,
        cut: bool,
    ) {
        let ts = match d.ts_nanos {
            Some(t) => {
                a.last_ts = Some(t);
                Some(t)
            }
            None => {
                let what = if d.bad_time { "an invalid" } else { "no" };
                a.line_problem(
                    file_pos,
                    number,
                    Severity::Warning,
                    format!("json-file line has {what} \"time\": it takes the time of the line before it"),
                );
                a.stats[file_pos].errors += 1;
                a.last_ts
            }
        };
        let k = slot(d.stream);
        if a.pending[k].active {
            a.pending[k].joined += 1;
            a.pending[k].truncated |= cut;
            a.stats[file_pos].joined += 1;
            a.pending[k].from_json = true;
            a.pending[k].append_json(d.log);
            if !d.partial {
                strip_newline(&mut a.pending[k].bytes);
                a.emit_pending(k, false);
            }
        } else if d.partial {
            let p = &mut a.pending[k];
            p.start(ts, d.stream, file_pos, number);
            p.truncated = cut;
            p.from_json = true;
            p.append_json(d.log);
        } else {
            let mut scratch = std::mem::take(&mut a.scratch);
            let message = json_message(d.log, &mut scratch);
            let origin = Origin {
                ts,
                stream: d.stream,
                file_pos,
                line: number,
                joined: 0,
                partial: false,
                truncated: cut,
                report_overflow: false,
                from_json: true,
                unparsed: false,
            };
            a.emit(message, origin);
            a.scratch = scratch;
        }
    }

    fn unparsed<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        bytes: &[u8],
        why: &str,
        cut: bool,
    ) {
        a.stats[file_pos].unparsed += 1;
        a.line_problem(
            file_pos,
            number,
            Severity::Error,
            format!("unparsed line kept as is: {why}"),
        );
        let origin = Origin {
            ts: a.last_ts,
            stream: None,
            file_pos,
            line: number,
            joined: 0,
            partial: false,
            truncated: cut,
            report_overflow: false,
            from_json: false,
            unparsed: true,
        };
        a.emit(bytes, origin);
    }
}

/// Plain lines: an entry starts at a line that starts like one, and other lines continue it.
pub(super) struct Plain {
    /// A line of this instance started like an entry, so lines that do not continue the
    /// entry before them.
    stamped: bool,
    /// The instance's format, when it is defined as data (its regex tells where entries
    /// start).
    format_def: Option<&'static DefinedFormat>,
    /// The files hold cluster-info dump sections.
    sections: bool,
}

impl Framer for Plain {
    /// A line of a plain log: starts an entry, or continues the one before it.
    fn line<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        b: &[u8],
        cut: bool,
    ) {
        if self.sections
            && b.starts_with(b"==== ")
            && let Some(marker) = crate::sources::layout::section_marker(b)
        {
            // A section marker ends the entry before it, sets the container of the entries
            // after it, and is counted as joined (it is structure, not an entry).
            if a.pending[slot(None)].active {
                a.emit_pending(slot(None), false);
            }
            a.section = marker.map(|(ns, pod, c)| (ns.to_string(), pod.to_string(), c.to_string()));
            self.stamped = false;
            a.stats[file_pos].joined += 1;
            return;
        }
        let starts = starts_like_entry(b) || self.format_def.is_some_and(|d| d.is_match(b));
        self.stamped |= starts;
        let k = slot(None);
        let continues = a.pending[k].active
            && !starts
            && (self.stamped
                || matches!(b.first(), Some(b' ' | b'\t'))
                || b.iter().all(u8::is_ascii_whitespace));
        if continues {
            let p = &mut a.pending[k];
            p.joined += 1;
            p.truncated |= cut;
            p.append(b"\n");
            p.append(b);
            a.stats[file_pos].joined += 1;
        } else {
            if a.pending[k].active {
                a.emit_pending(k, false);
            }
            let p = &mut a.pending[k];
            p.start(None, None, file_pos, number);
            p.truncated = cut;
            p.append(b);
        }
    }

    fn end<S: EntrySink>(&mut self, a: &mut Assembler<'_, S>) {
        // A plain log's last entry ends with its last line.
        if a.pending[2].active {
            a.emit_pending(2, false);
        }
    }
}

/// JSON documents over several lines.
#[derive(Default)]
pub(super) struct JsonDocs {
    docs: DocState,
}

impl Framer for JsonDocs {
    /// A line of multi-line JSON documents: each object at the top level, or inside a top-level
    /// array, is an entry. A line that starts no object is joined to the object it is part of
    /// (or, for `[`, `]` and `,` between objects, counted as joined).
    fn line<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        b: &[u8],
        cut: bool,
    ) {
        let k = slot(None);
        let mut d = self.docs;
        let mut seg_start = if a.pending[k].active {
            a.pending[k].append(b"\n");
            Some(0)
        } else {
            None
        };
        let mut started = false;
        for (i, &c) in b.iter().enumerate() {
            if d.in_string {
                if d.escape {
                    d.escape = false;
                } else if c == b'\\' {
                    d.escape = true;
                } else if c == b'"' {
                    d.in_string = false;
                }
                continue;
            }
            let base = u32::from(d.in_array);
            match c {
                b'"' => d.in_string = true,
                b'[' if d.depth == 0 => {
                    d.in_array = true;
                    d.depth = 1;
                }
                b'{' | b'[' => {
                    if d.depth == base && !a.pending[k].active {
                        started = true;
                        seg_start = Some(i);
                        let p = &mut a.pending[k];
                        p.start(None, None, file_pos, number);
                        p.truncated = cut;
                    }
                    d.depth += 1;
                }
                b'}' | b']' => {
                    d.depth = d.depth.saturating_sub(1);
                    if d.depth == 0 && d.in_array && c == b']' {
                        d.in_array = false;
                    } else if d.depth == base && a.pending[k].active {
                        let from = seg_start.take().unwrap_or(0);
                        a.pending[k].append(&b[from..=i]);
                        a.emit_pending(k, false);
                    }
                }
                _ => {}
            }
        }
        if let Some(from) = seg_start
            && a.pending[k].active
        {
            a.pending[k].append(&b[from..]);
        }
        if !started {
            a.stats[file_pos].joined += 1;
            if a.pending[k].active {
                a.pending[k].joined += 1;
                a.pending[k].truncated |= cut;
            }
        }
        self.docs = d;
    }

    fn end<S: EntrySink>(&mut self, a: &mut Assembler<'_, S>) {
        // A JSON document still open at the end is cut short: kept, and reported.
        if a.pending[2].active {
            let (file_pos, line) = (a.pending[2].file_pos, a.pending[2].line);
            a.line_problem(
                file_pos,
                line,
                Severity::Warning,
                "JSON document never closed (the file is cut short): kept as a partial entry"
                    .into(),
            );
            a.emit_pending(2, true);
        }
    }
}

/// `journalctl -o export` records.
#[derive(Default)]
pub(super) struct JournalExport {
    export: ExportState,
}

impl Framer for JournalExport {
    /// A line of `journalctl -o export`: a field, the name or a piece of a binary field, or the
    /// blank line that ends a record. A record becomes the JSON object `journalctl -o json`
    /// would print, and is read as such.
    fn line<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
        b: &[u8],
        cut: bool,
    ) {
        let k = slot(None);
        let x = &mut self.export;
        if let Some((_, data, _)) = &mut x.binary {
            if !data.is_empty() || x.binary_started {
                data.push(b'\n');
            }
            x.binary_started = true;
            data.extend_from_slice(b);
            a.stats[file_pos].joined += 1;
            a.pending[k].joined += 1;
            self.finish_binary_field(a, file_pos, number);
            return;
        }
        if b.is_empty() {
            if a.pending[k].active {
                a.stats[file_pos].joined += 1;
                a.pending[k].joined += 1;
                self.emit_export_record(a);
            } else {
                a.stats[file_pos].joined += 1;
            }
            return;
        }
        if a.pending[k].active {
            a.stats[file_pos].joined += 1;
            a.pending[k].joined += 1;
        } else {
            let p = &mut a.pending[k];
            p.start(None, None, file_pos, number);
            self.export.fields.clear();
        }
        a.pending[k].truncated |= cut;
        match memchr::memchr(b'=', b) {
            Some(eq) => {
                let key = String::from_utf8_lossy(&b[..eq]).into_owned();
                self.export.fields.push((key, b[eq + 1..].to_vec()));
            }
            None => {
                let key = String::from_utf8_lossy(b).into_owned();
                self.export.binary = Some((key, Vec::new(), 0));
                self.export.binary_started = false;
            }
        }
    }

    fn end<S: EntrySink>(&mut self, a: &mut Assembler<'_, S>) {
        // An export record ends with the file even without its blank line.
        if a.pending[2].active {
            self.emit_export_record(a);
        }
    }
}

impl JournalExport {
    /// Completes a binary export field once its length and bytes are in.
    fn finish_binary_field<S: EntrySink>(
        &mut self,
        a: &mut Assembler<'_, S>,
        file_pos: usize,
        number: u64,
    ) {
        let Some((key, data, n)) = self.export.binary.take() else {
            return;
        };
        let need = (data.len() >= 8)
            .then(|| u64::from_le_bytes(data[..8].try_into().expect("8 bytes")) as usize);
        match need {
            Some(len) if data.len() >= 8 + len => {
                if data.len() > 8 + len {
                    a.line_problem(
                        file_pos,
                        number,
                        Severity::Warning,
                        format!("journal export field {key} is longer than its length says: cut"),
                    );
                }
                self.export.fields.push((key, data[8..8 + len].to_vec()));
            }
            _ => self.export.binary = Some((key, data, n)),
        }
    }

    fn emit_export_record<S: EntrySink>(&mut self, a: &mut Assembler<'_, S>) {
        let k = slot(None);
        let mut map = serde_json::Map::new();
        for (key, v) in self.export.fields.drain(..) {
            let value = match String::from_utf8(v) {
                Ok(s) => serde_json::Value::String(s),
                Err(e) => serde_json::Value::Array(
                    e.into_bytes()
                        .into_iter()
                        .map(serde_json::Value::from)
                        .collect(),
                ),
            };
            map.insert(key, value);
        }
        let json = serde_json::Value::Object(map).to_string();
        let p = &mut a.pending[k];
        p.bytes.clear();
        p.bytes.extend_from_slice(json.as_bytes());
        a.emit_pending(k, false);
    }
}
