//! podsift-core's error: what can go wrong in a public call, with the error of the library
//! underneath kept inside its variant.

use std::io;

/// An error of podsift-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Text given to podsift does not parse or is out of range: a query, a selector, a level
    /// list, a format or rules file, a duration, a time. The message says what and where.
    #[error("{0}")]
    Invalid(String),
    /// A read was cancelled (through [`crate::ingest::Progress`]).
    #[error("cancelled")]
    Cancelled,
    /// Building, querying or writing a table failed in polars (SQL errors among them).
    #[error(transparent)]
    Table(#[from] polars::prelude::PolarsError),
    /// Reading input or writing output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// From the Parquet writer.
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    /// From arrow-rs (Arrow IPC, the arrays handed to it).
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

/// A result of podsift-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Invalid`] with this message.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::Invalid(message.to_string())
    }
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::Invalid(message)
    }
}
