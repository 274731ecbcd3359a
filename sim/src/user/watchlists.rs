//! User watchlists: created with an id, a name and rows of conids (or headers), listed,
//! shown and deleted (`/iserver/watchlist*`; shapes from the spec's `watchlistDataExample`,
//! `singleWatchlistExample`, `watchlistDeleteSuccessExample` and cpapi-v1 "Create a Watchlist").

/// One row of a watchlist: an instrument or a section header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Row {
    Conid(u64),
    Header(String),
}

/// One watchlist.
#[derive(Debug, Clone)]
pub(crate) struct Watchlist {
    pub id: String,
    pub name: String,
    pub rows: Vec<Row>,
    pub modified_ms: i64,
}

/// The user's watchlists, in creation order.
#[derive(Debug, Default)]
pub(crate) struct Watchlists {
    lists: Vec<Watchlist>,
}

impl Watchlists {
    /// Create, or replace a list with the same id (IBKR's create doubles as update).
    pub(crate) fn save(&mut self, list: Watchlist) {
        match self.lists.iter_mut().find(|l| l.id == list.id) {
            Some(existing) => *existing = list,
            None => self.lists.push(list),
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Watchlist> {
        self.lists.iter().find(|l| l.id == id)
    }

    pub(crate) fn all(&self) -> &[Watchlist] {
        &self.lists
    }

    /// Remove a list; false when there is none with this id.
    pub(crate) fn delete(&mut self, id: &str) -> bool {
        let before = self.lists.len();
        self.lists.retain(|l| l.id != id);
        self.lists.len() != before
    }
}
