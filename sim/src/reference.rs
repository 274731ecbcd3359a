//! Reference: every simulated endpoint and every modelled quirk, with its source.
//!
//! (Filled in below.)
