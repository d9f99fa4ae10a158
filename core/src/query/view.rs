//! The Discover view's questions asked of a [`LogTable`], plain or packed, with the same calls:
//! which rows a set of queries keeps, a field's top values, the structured field keys, an
//! entry as JSON. A packed table answers them a run of blocks at a time, unpacking only the
//! columns a query looks at.

use super::discover::{
    Codes, FieldValues, Rows, count_values, entry_json, field_keys, matching_rows, rows_kept,
    spread, top_values,
};
use super::search::{Field, Query};
use crate::schema::logs as col;
use crate::table::{LogTable, PackedLogs};

impl PackedLogs {
    /// Whether each row (time order) matches `query`: evaluated in read order over the
    /// blocks a run at a time, only the columns it looks at unpacked.
    pub fn evaluate(&self, query: &Query) -> crate::Result<Vec<bool>> {
        let mut message = false;
        let mut fields = false;
        let mut names: Vec<&str> = Vec::new();
        for f in query.fields() {
            match f {
                Field::Message => message = true,
                Field::Structured(_) => fields = true,
                Field::Level => names.push(col::LEVEL),
                Field::Column(c) | Field::Number(c) => names.push(c),
            }
        }
        self.evaluate_with(message, fields, &names, |df| query.evaluate(df))
    }
}

impl LogTable {
    /// The rows every query matches.
    pub fn matching_rows(&self, queries: &[Query]) -> crate::Result<Rows> {
        let p = match self {
            LogTable::Frame(df) => return matching_rows(df, queries),
            LogTable::Packed(p) => p,
        };
        let mut keep: Option<Vec<bool>> = None;
        for q in queries.iter().filter(|q| !q.is_all()) {
            let bits = p.evaluate(q)?;
            match &mut keep {
                None => keep = Some(bits),
                Some(k) => k.iter_mut().zip(bits).for_each(|(k, b)| *k &= b),
            }
        }
        Ok(rows_kept(keep, p.height()))
    }

    /// See [`top_values`]; a packed table's `message` is counted in the sample too.
    pub fn top_values(
        &self,
        rows: &[u32],
        field: &str,
        n: usize,
        sample: usize,
    ) -> crate::Result<FieldValues> {
        match self {
            LogTable::Frame(df) => top_values(df, rows, field, n, sample),
            LogTable::Packed(p) => {
                if p.holds(field) {
                    return Ok(count_values(&p.codes(field)?, rows, n));
                }
                let picked = spread(rows, sample);
                let all: Rows = (0..picked.len() as u32).collect();
                if field == col::MESSAGE {
                    let df = p.take(&picked, Some(&[col::MESSAGE]))?;
                    return Ok(count_values(&Codes::of(&df, col::MESSAGE)?, &all, n));
                }
                let df = p.take(&picked, Some(&[col::FIELDS]))?;
                top_values(&df, &all, field, n, usize::MAX)
            }
        }
    }

    /// See [`field_keys`].
    pub fn field_keys(&self, rows: &[u32], sample: usize) -> crate::Result<Vec<(String, u64)>> {
        match self {
            LogTable::Frame(df) => field_keys(df, rows, sample),
            LogTable::Packed(p) => {
                let picked = spread(rows, sample);
                let df = p.take(&picked, Some(&[col::FIELDS]))?;
                let all: Rows = (0..picked.len() as u32).collect();
                field_keys(&df, &all, usize::MAX)
            }
        }
    }

    /// Row `row` as pretty JSON (see [`entry_json`]).
    pub fn entry_json(&self, row: u32) -> String {
        match self {
            LogTable::Frame(df) => entry_json(df, row),
            LogTable::Packed(p) => match p.take(&[row], None) {
                Ok(df) => entry_json(&df, 0),
                Err(_) => String::new(),
            },
        }
    }

    /// Row `row`'s message as a person reads it ([`super::discover::shown_message`]): a
    /// structured entry's `msg`, a line's text after its time, level and header.
    pub fn shown_message(&self, row: u32) -> String {
        let Ok(df) = self.take_columns(&[row], Some(&[col::MESSAGE, col::FORMAT, col::FIELDS]))
        else {
            return String::new();
        };
        let text = |c: &str| -> String {
            match df.column(c).and_then(|c| c.get(0)) {
                Ok(v) if !v.is_null() => v.str_value().into_owned(),
                _ => String::new(),
            }
        };
        let (message, format) = (text(col::MESSAGE), text(col::FORMAT));
        let Ok(pairs) = df
            .column(col::FIELDS)
            .map_err(crate::Error::from)
            .and_then(crate::table::FieldPairs::of)
        else {
            return message;
        };
        super::discover::shown_message(&format, &message, |k| pairs.get(0, k)).into_owned()
    }
}
