//! Account ids in what the wire logs: `U1234567` → `U***4567`.

/// `U1234567` → `U***4567` (also DU/DF/DFP paper and advisor ids), for logs.
pub fn mask_accounts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if at_word_start && bytes[i].is_ascii_uppercase() {
            let letters = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase())
                .count();
            let digits = bytes[i + letters..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = i + letters + digits;
            let word_ends = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
            if (1..=3).contains(&letters) && (6..=10).contains(&digits) && word_ends {
                out.push_str(&text[i..i + letters]);
                out.push_str("***");
                out.push_str(&text[end - 4..end]);
                i = end;
                continue;
            }
        }
        let Some(ch) = text[i..].chars().next() else {
            break;
        };
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_masked_in_paths() {
        assert_eq!(
            mask_accounts("/iserver/account/U1234567/orders"),
            "/iserver/account/U***4567/orders"
        );
        assert_eq!(
            mask_accounts("/portfolio/DU7654321/ledger"),
            "/portfolio/DU***4321/ledger"
        );
        // Conids and other numbers are left alone.
        assert_eq!(
            mask_accounts("/iserver/contract/265598/info"),
            "/iserver/contract/265598/info"
        );
        assert_eq!(
            mask_accounts("/iserver/marketdata/history"),
            "/iserver/marketdata/history"
        );
    }
}
