//! The Flex service's memory: issued reference codes, polls per code, last request per token.

use std::collections::HashMap;
use std::time::Instant;

/// State of the simulated Flex Web Service.
#[derive(Debug, Default)]
pub(crate) struct FlexDesk {
    /// Reference code → how many GetStatement polls it has had.
    pub references: HashMap<String, u32>,
    /// Token → when its last admitted request arrived.
    pub last_request: HashMap<String, Instant>,
}
