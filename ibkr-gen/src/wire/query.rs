//! IBKR reads array query parameters as one comma-separated value (`conids=1,2`);
//! progenitor sends repeated keys (`conids=1&conids=2`). This joins them.

/// Rewrite `url`'s query so each key appears once, repeated values comma-joined in order.
/// Leaves the URL untouched when no key repeats.
pub(crate) fn comma_join_repeated_keys(url: &mut reqwest::Url) {
    let Some(query) = url.query() else { return };
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    let mut repeated = false;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match keys.iter_mut().find(|(key, _)| *key == k) {
            Some((_, values)) => {
                values.push(v.into_owned());
                repeated = true;
            }
            None => keys.push((k.into_owned(), vec![v.into_owned()])),
        }
    }
    if !repeated {
        return;
    }
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let rebuilt: Vec<String> = keys
        .iter()
        .map(|(k, values)| {
            let joined: Vec<String> = values.iter().map(|v| encode(v)).collect();
            // The commas stay literal: they are the separator, not data.
            format!("{}={}", encode(k), joined.join(","))
        })
        .collect();
    url.set_query(Some(&rebuilt.join("&")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_become_one_comma_joined_value() {
        let mut url: reqwest::Url = "https://h/v1/api/x?conids=1&fields=31&conids=2&fields=84"
            .parse()
            .unwrap();
        comma_join_repeated_keys(&mut url);
        assert_eq!(url.query(), Some("conids=1,2&fields=31,84"));
    }

    #[test]
    fn a_query_without_repeats_is_left_alone() {
        let mut url: reqwest::Url = "https://h/x?period=1y&bar=1d&outsideRth=false"
            .parse()
            .unwrap();
        comma_join_repeated_keys(&mut url);
        assert_eq!(url.query(), Some("period=1y&bar=1d&outsideRth=false"));
    }
}
