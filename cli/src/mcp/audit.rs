//! The audit file: one JSON line per trading call (`preview_order`, `place_order`,
//! `modify_order`, `cancel_order`, `cancel_all_orders`), refused calls included, appended
//! as the call ends: the time, the tool, the ticket or order id, the outcome and IBKR's
//! order ids.
//!
//! [`Audit`] owns the open file behind one mutex; a line is written with one `write_all`
//! of a complete line and flushed while the lock is held (never across an `.await`), so
//! lines of concurrent calls never interleave.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

/// The default file: `mcp-audit.jsonl` in the user's data directory
/// (`~/.local/share/ibkr/` on Linux, `~/Library/Application Support/rs.ibkr.ibkr/` on
/// macOS, `%APPDATA%\ibkr\ibkr\data\` on Windows).
pub fn default_path() -> PathBuf {
    directories::ProjectDirs::from("rs", "ibkr", "ibkr")
        .map(|d| d.data_dir().join("mcp-audit.jsonl"))
        .unwrap_or_else(|| PathBuf::from("mcp-audit.jsonl"))
}

/// One trading call, as it is written.
pub struct Entry<'a> {
    pub tool: &'a str,
    /// `placed`, `refused`, `declined`, `unanswered_question`, `partly_placed`,
    /// `state_unknown`, `rejected`, `previewed`, `cancel_requested`, `error`, ...
    pub outcome: &'a str,
    /// The ticket, or the order id for a cancel.
    pub ticket: Value,
    /// IBKR's order ids (live orders), when there are any.
    pub order_ids: Vec<String>,
    /// The client order ids sent (what to look for when the state is unknown).
    pub client_order_ids: Vec<String>,
    /// The refusal or error text, when there is one.
    pub message: Option<String>,
}

/// The open audit file.
pub struct Audit {
    path: PathBuf,
    file: Mutex<File>,
}

impl Audit {
    /// Open (create) `path` for appending; its folder is created if missing.
    pub fn open(path: &Path) -> std::io::Result<Audit> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Audit {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one line. A failed write is returned so the caller can say so in the tool
    /// result; it never ends the server.
    pub fn record(&self, e: Entry<'_>) -> std::io::Result<()> {
        let line = json!({
            "time": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            "tool": e.tool,
            "outcome": e.outcome,
            "ticket": e.ticket,
            "order_ids": e.order_ids,
            "client_order_ids": e.client_order_ids,
            "message": e.message,
        });
        let mut text = line.to_string();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(text.as_bytes())?;
        file.flush()
    }
}
