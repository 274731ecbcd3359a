//! The simulated market: instruments, quotes, history, option chains, number formats.

pub(crate) mod catalog;
pub(crate) mod format;
pub(crate) mod history;
pub(crate) mod options;
pub(crate) mod quotes;
pub(crate) mod scanner;
pub(crate) mod walk;
