//! SQL over the tables, with polars' SQL engine: `logs`, `sources`, and `fields` (`logs`
//! exploded into one row per structured field, built only when a query names it).

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::schema::logs as col;

/// Name of the `fields` view.
pub(crate) const FIELDS_TABLE: &str = "fields";

/// `logs` with one row per structured field: `ts`, `namespace`, `pod`, `container`,
/// `source_id`, `line`, `key`, `value`.
pub(crate) fn fields_table(logs: &DataFrame) -> crate::Result<DataFrame> {
    Ok(logs
        .select([
            col::TS,
            col::NAMESPACE,
            col::POD,
            col::CONTAINER,
            col::SOURCE_ID,
            col::LINE,
            col::FIELDS,
        ])?
        .explode([col::FIELDS])?
        .unnest([col::FIELDS], None)?
        .lazy()
        .filter(polars::prelude::col(col::FIELD_KEY).is_not_null())
        .collect()?)
}

/// Runs `query` over `logs` and `sources`.
pub fn run_sql(logs: DataFrame, sources: DataFrame, query: &str) -> crate::Result<DataFrame> {
    run_sql_with(logs, sources, Vec::new(), query)
}

/// [`run_sql`] with more tables (`audit`, `events`) by name.
pub fn run_sql_with(
    logs: DataFrame,
    sources: DataFrame,
    more: Vec<(&str, DataFrame)>,
    query: &str,
) -> crate::Result<DataFrame> {
    read_only(query)?;
    let mut ctx = SQLContext::new();
    for (name, df) in more {
        ctx.register(name, as_text(df));
    }
    if mentions_table(query, FIELDS_TABLE) {
        ctx.register(FIELDS_TABLE, as_text(fields_table(&logs)?));
    }
    ctx.register("logs", as_text(logs));
    ctx.register("sources", as_text(sources));
    let mut out = ctx.execute(query)?.collect()?;
    name_counts(&mut out, query);
    Ok(out)
}

/// podsift's SQL reads the tables: a query is a `SELECT` (or `WITH ... SELECT`, `VALUES`,
/// `SHOW TABLES`, `DESCRIBE`, `EXPLAIN`). Anything else (`DROP`, `INSERT`, `UPDATE`, `CREATE`)
/// is refused in a sentence, not run (a `DROP` printed nothing) nor answered with the parser's
/// dump of the statement.
fn read_only(query: &str) -> crate::Result<()> {
    let first = query
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match first.as_str() {
        "SELECT" | "WITH" | "VALUES" | "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" | "FROM"
        | "TABLE" => Ok(()),
        "" => Err(crate::Error::Invalid(
            "an empty query: write a SELECT".into(),
        )),
        other => Err(crate::Error::Invalid(format!(
            "podsift's SQL reads the tables: a query is a SELECT (or WITH ... SELECT, SHOW TABLES, DESCRIBE, EXPLAIN); {other} statements are not run"
        ))),
    }
}

/// A table for SQL: its categorical columns (namespace, pod, ...) read as text, so that every
/// string function and `LIKE` works on them as on any text column (polars' SQL refuses them on
/// categoricals). Lazily: only the columns a query uses are cast. `level` stays an `Enum`, so
/// that `level >= 'warn'` compares by severity.
fn as_text(df: DataFrame) -> LazyFrame {
    let cats: Vec<Expr> = df
        .schema()
        .iter()
        .filter(|(_, dtype)| matches!(dtype, DataType::Categorical(..)))
        .map(|(name, _)| polars::prelude::col(name.clone()).cast(DataType::String))
        .collect();
    if cats.is_empty() {
        df.lazy()
    } else {
        df.lazy().with_columns(cats)
    }
}

/// `count(*)` without an alias is named `count`, as people expect, not polars' `len`.
fn name_counts(out: &mut DataFrame, query: &str) {
    let squeezed: String = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if squeezed.contains("count(*)")
        && !out.schema().contains("count")
        && !mentions_table(query, "len")
        && out.schema().contains("len")
    {
        let _ = out.rename("len", "count".into());
    }
}

/// Whether `name` appears in `query` as a word (so `fields` is built only when asked for).
pub(crate) fn mentions_table(query: &str, name: &str) -> bool {
    query
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(name))
}
