//! An ordered list of attribute names and values stored in one buffer: the untyped part
//! of every row, and the whole of a generic row.

use serde::ser::{SerializeMap, Serializer};
use std::fmt;

/// Attributes in document order, all as (unescaped) text, stored compactly.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttributeList {
    text: String,
    /// (name start, name end = value start, value end) into `text`.
    spans: Vec<(u32, u32, u32)>,
}

impl AttributeList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an attribute (duplicates are kept).
    pub fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(name);
        let middle = self.text.len() as u32;
        self.text.push_str(value);
        self.spans.push((start, middle, self.text.len() as u32));
    }

    /// The value of the first attribute with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// All attributes in document order as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.spans.iter().map(|&(s, m, e)| {
            (
                &self.text[s as usize..m as usize],
                &self.text[m as usize..e as usize],
            )
        })
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Removes all attributes, keeping the allocation.
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// Writes the attributes into a serde map (used by the generic JSON view).
    pub(crate) fn serialize_into<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        Ok(())
    }
}

impl fmt::Debug for AttributeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl serde::Serialize for AttributeList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        self.serialize_into(&mut map)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::AttributeList;

    #[test]
    fn attributes_keep_document_order_and_duplicates() {
        let mut list = AttributeList::new();
        list.push("symbol", "AAPL");
        list.push("quantity", "");
        list.push("symbol", "MSFT");
        let all: Vec<_> = list.iter().collect();
        assert_eq!(
            all,
            [("symbol", "AAPL"), ("quantity", ""), ("symbol", "MSFT")]
        );
        assert_eq!(list.get("symbol"), Some("AAPL"));
        assert_eq!(list.get("missing"), None);
        assert_eq!(
            format!("{list:?}"),
            r#"{"symbol": "AAPL", "quantity": "", "symbol": "MSFT"}"#
        );
    }
}
