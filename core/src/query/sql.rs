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
    let mut ctx = SQLContext::new();
    for (name, df) in more {
        ctx.register(name, df.lazy());
    }
    if mentions_table(query, FIELDS_TABLE) {
        ctx.register(FIELDS_TABLE, fields_table(&logs)?.lazy());
    }
    ctx.register("logs", logs.lazy());
    ctx.register("sources", sources.lazy());
    Ok(ctx.execute(query)?.collect()?)
}

/// Whether `name` appears in `query` as a word (so `fields` is built only when asked for).
pub(crate) fn mentions_table(query: &str, name: &str) -> bool {
    query
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(name))
}
