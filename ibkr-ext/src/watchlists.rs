//! The login's watchlists: list, show, create (or replace), delete.
//!
//! An id the login does not have is refused with [`Error::NotFound`]: `show` and `delete`
//! look it up first, so a typo never deletes anything.

use ibkr_gen::trading::types;
use serde_json::json;

use crate::error::{Error, Result};
use crate::portfolio::conid_i32;
use crate::{Conid, Ibkr};

/// A watchlist as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchlistSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether IBKR lets you change it.
    pub read_only: bool,
}

/// A watchlist with its instruments.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Watchlist {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether IBKR lets you change it.
    pub read_only: bool,
    /// The instruments, in order.
    pub instruments: Vec<WatchlistInstrument>,
}

/// One instrument of a watchlist.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchlistInstrument {
    /// The contract.
    pub conid: Conid,
    /// The ticker.
    pub symbol: String,
    /// The asset class (`STK`, ...).
    pub asset_class: String,
    /// IBKR's full name of the contract.
    pub name: String,
}

impl Ibkr {
    /// The login's own watchlists (`/iserver/watchlists?SC=USER_WATCHLIST`).
    pub async fn watchlists(&self) -> Result<Vec<WatchlistSummary>> {
        let r = self
            .api()
            .list_watchlists()
            .sc(types::ListWatchlistsSc::UserWatchlist)
            .await?;
        Ok(r.data
            .map(|d| {
                d.user_lists
                    .into_iter()
                    .filter_map(|w| {
                        Some(WatchlistSummary {
                            id: w.id?,
                            name: w.name.unwrap_or_default(),
                            read_only: w.read_only.unwrap_or(false),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn require_watchlist(&self, operation: &'static str, id: &str) -> Result<()> {
        let lists = self.watchlists().await?;
        if lists.iter().any(|w| w.id == id) {
            return Ok(());
        }
        let known = lists
            .iter()
            .map(|w| format!("{} ({})", w.id, w.name))
            .collect::<Vec<_>>();
        Err(Error::NotFound {
            operation,
            what: format!(
                "no watchlist with id {id:?}; {}",
                if known.is_empty() {
                    "this login has none".to_string()
                } else {
                    format!("the login has: {}", known.join(", "))
                }
            ),
        })
    }

    /// One watchlist with its instruments.
    pub async fn watchlist(&self, id: &str) -> Result<Watchlist> {
        let id = id.trim();
        self.require_watchlist("getWatchlist", id).await?;
        let w = self.api().get_watchlist().id(id).await?;
        Ok(Watchlist {
            id: w.id.unwrap_or_else(|| id.to_string()),
            name: w.name.unwrap_or_default(),
            read_only: w.read_only.unwrap_or(false),
            instruments: w
                .instruments
                .into_iter()
                .filter_map(|i| {
                    Some(WatchlistInstrument {
                        conid: Conid(i64::from(i.conid?)),
                        symbol: i.ticker.or(i.name.clone()).unwrap_or_default(),
                        asset_class: i.asset_class.unwrap_or_default(),
                        name: i.full_name.or(i.name).unwrap_or_default(),
                    })
                })
                .collect(),
        })
    }

    /// Create the watchlist `id` named `name` with these contracts, in order (an existing
    /// list with the same id is replaced, as IBKR does). Returns it as IBKR now shows it.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// use ibkr_ext::Conid;
    /// let w = ibkr.create_watchlist("1001", "Tech", &[Conid(265598), Conid(8314)]).await?;
    /// println!("{} holds {} instruments", w.name, w.instruments.len());
    /// # Ok(()) }
    /// ```
    pub async fn create_watchlist(
        &self,
        id: &str,
        name: &str,
        conids: &[Conid],
    ) -> Result<Watchlist> {
        let (id, name) = (id.trim(), name.trim());
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::InvalidRequest {
                operation: "createWatchlist",
                reason: format!("a watchlist id is a number IBKR does not use yet, not {id:?}"),
            });
        }
        if name.is_empty() {
            return Err(Error::InvalidRequest {
                operation: "createWatchlist",
                reason: "a watchlist needs a name".into(),
            });
        }
        let rows = conids
            .iter()
            .map(|c| conid_i32("createWatchlist", *c).map(|c| json!({ "C": c })))
            .collect::<Result<Vec<_>>>()?;
        let body = types::CreateWatchlistBody {
            id: id.to_string(),
            name: name.to_string(),
            rows,
        };
        self.api().create_watchlist().body(body).await?;
        self.watchlist(id).await
    }

    /// Delete the watchlist `id`; an id the login does not have is refused (nothing is sent).
    pub async fn delete_watchlist(&self, id: &str) -> Result<()> {
        let id = id.trim();
        self.require_watchlist("deleteWatchlist", id).await?;
        self.api().delete_watchlist().id(id).await?;
        Ok(())
    }
}
