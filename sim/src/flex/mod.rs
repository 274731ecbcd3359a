//! The simulated Flex Web Service: configuration, envelopes, the statement it serves.

pub(crate) mod config;
pub(crate) mod desk;
pub(crate) mod envelope;
pub(crate) mod statement;
