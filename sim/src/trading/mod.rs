//! The simulated broker: order tickets, questions, fills, account books and valuations.

pub(crate) mod book;
pub(crate) mod desk;
pub(crate) mod fills;
pub(crate) mod precautions;
pub(crate) mod questions;
pub(crate) mod seeded_history;
pub(crate) mod ticket;
pub(crate) mod valuation;
