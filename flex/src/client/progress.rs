//! Progress reports of a fetch, delivered to a callback set on the client builder.

use crate::client::error_code::FlexErrorCode;
use std::sync::Arc;
use std::time::Duration;

/// One step of [`crate::FlexClient::fetch`], reported to the callback given to
/// [`crate::FlexClientBuilder::on_progress`] (called synchronously; keep it quick).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlexProgress {
    /// Sending SendRequest (attempt n, from 1).
    Requesting {
        /// Attempt number.
        attempt: u32,
    },
    /// Waiting before the next request.
    Waiting {
        /// How long.
        delay: Duration,
        /// The answer that made us wait (`None` before the first poll).
        because: Option<FlexErrorCode>,
    },
    /// Sending GetStatement (poll n, from 1).
    Polling {
        /// Poll number.
        attempt: u32,
    },
    /// The statement arrived.
    Done {
        /// Its size in bytes.
        bytes: usize,
    },
}

/// The progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(&FlexProgress) + Send + Sync>;
