//! A fast scanner over the raw attribute text of a start tag, borrowing every name and
//! value from the input; only values containing `&` are unescaped (and so allocated).

use std::borrow::Cow;

/// Why the attribute text could not be read, at which byte of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) offset: usize,
    pub(crate) message: String,
    pub(crate) entity: bool,
}

/// Iterates `name="value"` pairs (either quote) of a tag's attribute text.
pub(crate) struct AttributeScanner<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> AttributeScanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, position: 0 }
    }

    fn fail(
        &mut self,
        offset: usize,
        message: impl Into<String>,
    ) -> Option<Result<(&'a str, &'a str), ScanError>> {
        self.position = self.text.len();
        Some(Err(ScanError {
            offset,
            message: message.into(),
            entity: false,
        }))
    }
}

impl<'a> Iterator for AttributeScanner<'a> {
    /// (name, raw value) — the value is still escaped.
    type Item = Result<(&'a str, &'a str), ScanError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // Plain byte loops: names and values are short, so they beat memchr's setup cost.
        let bytes = self.text.as_bytes();
        let mut i = self.position;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            self.position = i;
            return None;
        }
        let name_start = i;
        while i < bytes.len() && bytes[i] != b'=' {
            i += 1;
        }
        if i >= bytes.len() {
            return self.fail(name_start, "attribute without `=value`");
        }
        let eq = i;
        let name = self.text[name_start..eq].trim_end();
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == b'<')
        {
            return self.fail(name_start, "malformed attribute name");
        }
        i = eq + 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return self.fail(i, format!("value of attribute `{name}` is not quoted")),
        };
        let value_start = i + 1;
        let mut end = value_start;
        while end < bytes.len() && bytes[end] != quote {
            end += 1;
        }
        if end >= bytes.len() {
            return self.fail(
                i,
                format!("value of attribute `{name}` has no closing quote"),
            );
        }
        self.position = end + 1;
        if self.position < bytes.len() && !bytes[self.position].is_ascii_whitespace() {
            return self.fail(self.position, "attributes must be separated by whitespace");
        }
        Some(Ok((name, &self.text[value_start..end])))
    }
}

/// Unescapes an attribute value (entities and character references); borrows when there
/// is nothing to unescape.
#[inline]
pub(crate) fn unescape_value(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.as_bytes().contains(&b'&') {
        return Ok(Cow::Borrowed(raw));
    }
    quick_xml::escape::unescape(raw).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(&str, &str)> {
        AttributeScanner::new(text).map(|r| r.unwrap()).collect()
    }

    #[test]
    fn both_quote_styles_and_loose_whitespace_are_read() {
        assert_eq!(
            all(" a=\"1\" b='x y'\n  c = \"\" "),
            [("a", "1"), ("b", "x y"), ("c", "")]
        );
    }

    #[test]
    fn broken_attribute_text_is_an_error_with_its_offset() {
        let err = AttributeScanner::new(" a=\"1\" b=2")
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.offset, 9);
        assert!(AttributeScanner::new(" a=\"1").next().unwrap().is_err());
        assert!(AttributeScanner::new(" novalue").next().unwrap().is_err());
        assert!(
            AttributeScanner::new(" a=\"1\"b=\"2\"")
                .next()
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn values_are_unescaped_only_when_needed() {
        assert!(matches!(
            unescape_value("plain").unwrap(),
            Cow::Borrowed("plain")
        ));
        assert_eq!(unescape_value("A &amp; B &#65;").unwrap(), "A & B A");
        assert!(unescape_value("A & B").is_err());
    }
}
