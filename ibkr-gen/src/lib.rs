//! Generated client.
