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
    let lazy = ctx.execute(query)?;
    check_joins(&lazy, MAX_CROSS_JOIN_ROWS)?;
    let mut out = lazy.collect()?;
    name_counts(&mut out, query);
    Ok(out)
}

/// Most rows a cross join (`CROSS JOIN`, `FROM a, b`, a join on an inequality) may give: past
/// it the query is refused before it runs, instead of taking every byte of memory (a 3-way
/// cross join of a 3,000-entry sample is 27 billion rows).
pub const MAX_CROSS_JOIN_ROWS: u64 = 100_000_000;

/// Refuses a query whose plan has a cross join of more than `budget` rows (by the heights of
/// the tables under it; filters are assumed to keep every row, so the bound is an upper one).
fn check_joins(lazy: &LazyFrame, budget: u64) -> crate::Result<()> {
    use polars_plan::plans::IR;
    use polars_utils::arena::{Arena, Node};

    type Worst = Option<(String, f64)>;
    fn rows(arena: &Arena<IR>, node: Node, budget: u64, worst: &mut Worst) -> f64 {
        let ir = arena.get(node);
        let mut inputs = Vec::new();
        ir.copy_inputs(&mut inputs);
        let sizes: Vec<f64> = inputs
            .iter()
            .map(|&n| rows(arena, n, budget, worst))
            .collect();
        match ir {
            IR::DataFrameScan { df, .. } => df.height() as f64,
            IR::Join { options, .. } if options.args.how == JoinType::Cross => {
                let product: f64 = sizes.iter().product();
                if product > budget as f64 && worst.is_none() {
                    let sides: Vec<String> = sizes.iter().map(|n| format!("{n:.0}")).collect();
                    *worst = Some((sides.join(" x "), product));
                }
                product
            }
            IR::Union { .. } => sizes.iter().sum(),
            _ => sizes.iter().copied().fold(0.0, f64::max),
        }
    }

    let plan = lazy.clone().to_alp_optimized()?;
    let mut worst = None;
    rows(&plan.lp_arena, plan.lp_top, budget, &mut worst);
    match worst {
        Some((sides, product)) => Err(crate::Error::Invalid(format!(
            "the query joins every row with every row ({sides} = {product:.2e} rows), more than podsift's SQL runs ({budget} rows): filter the tables first (WHERE, or a subquery) or join on a key (JOIN ... ON a.x = b.x)"
        ))),
        None => Ok(()),
    }
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
