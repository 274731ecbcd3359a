//! Contract tests: every operation against recorded real responses.
