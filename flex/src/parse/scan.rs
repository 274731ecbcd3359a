//! A fast scanner over the raw attribute text of a start tag, borrowing every name and
//! value from the input; only values containing `&`, a tab, a newline or a carriage
//! return are normalised (and so allocated).

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
    ) -> Option<Result<(&'a str, &'a str, bool), ScanError>> {
        self.position = self.text.len();
        Some(Err(ScanError {
            offset,
            message: message.into(),
            entity: false,
        }))
    }
}

impl<'a> Iterator for AttributeScanner<'a> {
    /// (name, raw value, whether the value needs [`normalise_value`]) — the value is still
    /// escaped.
    type Item = Result<(&'a str, &'a str, bool), ScanError>;

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
        // `&` (an entity) and tab, LF, CR (normalised to spaces) need work; so do the other
        // control bytes below CR, which are not allowed in XML and are left as they are.
        let mut special = false;
        while end < bytes.len() && bytes[end] != quote {
            let b = bytes[end];
            special |= (b == b'&') | (b <= b'\r');
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
        Some(Ok((name, &self.text[value_start..end], special)))
    }
}

/// Normalises an attribute value as XML 1.0 requires (§3.3.3): each literal tab, newline,
/// carriage return or CRLF becomes one space, then entities and character references are
/// replaced (`&#10;` stays a newline). Borrows when there is nothing to do.
#[inline]
pub(crate) fn normalise_value(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.bytes().any(|b| b == b'&' || b <= b'\r') {
        return Ok(Cow::Borrowed(raw));
    }
    normalise_slow(raw)
}

#[cold]
fn normalise_slow(raw: &str) -> Result<Cow<'_, str>, String> {
    let attribute = quick_xml::events::attributes::Attribute {
        key: quick_xml::name::QName(""),
        value: Cow::Borrowed(raw),
    };
    attribute
        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(&str, &str)> {
        AttributeScanner::new(text)
            .map(|r| r.unwrap())
            .map(|(name, value, _)| (name, value))
            .collect()
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
    fn values_are_normalised_only_when_needed() {
        assert!(matches!(
            normalise_value("plain").unwrap(),
            Cow::Borrowed("plain")
        ));
        assert_eq!(normalise_value("A &amp; B &#65;").unwrap(), "A & B A");
        assert_eq!(normalise_value("A\r\nB\tC\nD&#10;").unwrap(), "A B C D\n");
        assert!(normalise_value("A & B").is_err());
        let flags: Vec<bool> = AttributeScanner::new(" a=\"x\" b=\"x&amp;\" c=\"x\ny\"")
            .map(|r| r.unwrap().2)
            .collect();
        assert_eq!(flags, [false, true, true]);
    }
}
