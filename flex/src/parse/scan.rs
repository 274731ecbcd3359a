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
    /// The text has no `&`, tab, LF or CR: no value needs normalising.
    plain: bool,
}

impl<'a> AttributeScanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        // Two SIMD passes over the whole tag instead of a test per byte of every value.
        let plain = memchr::memchr3(b'&', b'\n', b'\t', bytes).is_none()
            && memchr::memchr(b'\r', bytes).is_none();
        Self {
            text,
            position: 0,
            plain,
        }
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

/// What a byte is to the scanner, one table lookup per byte.
const PLAIN: u8 = 0;
/// Whitespace (as `u8::is_ascii_whitespace`): ends a name, separates attributes.
const SPACE: u8 = 1;
/// `=`, `"`, `'` or `<`: ends a name (only `=` well).
const NAME_END: u8 = 2;
/// In a value: `&` (an entity), or tab, LF or CR (normalised to spaces).
const SPECIAL: u8 = 4;
/// A quote: may end a value.
const QUOTE: u8 = 8;

const fn classes() -> [u8; 256] {
    let mut table = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let mut class = PLAIN;
        if byte.is_ascii_whitespace() {
            class |= SPACE | NAME_END;
        }
        if matches!(byte, b'&' | b'\t' | b'\n' | b'\r') {
            class |= SPECIAL;
        }
        if byte == b'=' || byte == b'<' {
            class |= NAME_END;
        }
        if byte == b'"' || byte == b'\'' {
            class |= NAME_END | QUOTE;
        }
        table[b] = class;
        b += 1;
    }
    table
}

static CLASS: [u8; 256] = classes();

#[inline(always)]
fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

impl<'a> Iterator for AttributeScanner<'a> {
    /// (name, raw value, whether the value needs [`normalise_value`]) — the value is still
    /// escaped.
    type Item = Result<(&'a str, &'a str, bool), ScanError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // The well-formed case, `name="value"`, eight bytes at a time (SWAR): no call, and
        // one branch per word rather than per byte. Anything else takes the slow path.
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        let mut i = self.position;
        while i < len && class(bytes[i]) & SPACE != 0 {
            i += 1;
        }
        if i >= len {
            self.position = i;
            return None;
        }
        let name_start = i;
        // The first byte that ends a name: `=` if the name is well formed.
        let name_end = loop {
            if i + 8 <= len {
                let word = load(bytes, i);
                // Below `(`: whitespace, both quotes (and `!`..`&`, which no XML name
                // has: the slow path reads them as before). `<` and `=` are 0x3C and 0x3D,
                // so one compare with the low bit cleared finds both.
                let stop = below_bytes(word, b'(') | equal_bytes(word & !ONES, b'<');
                if stop != 0 {
                    break i + first_byte(stop);
                }
                i += 8;
            } else {
                match bytes[i..].iter().position(|&b| class(b) & NAME_END != 0) {
                    Some(p) => break i + p,
                    None => return self.next_slow(),
                }
            }
        };
        let open = name_end + 1;
        if name_end == name_start
            || bytes[name_end] != b'='
            || open >= len
            || class(bytes[open]) & QUOTE == 0
        {
            return self.next_slow();
        }
        let quote = bytes[open];
        let mut j = open + 1;
        let close = loop {
            if j + 8 <= len {
                let found = equal_bytes(load(bytes, j), quote);
                if found != 0 {
                    break j + first_byte(found);
                }
                j += 8;
            } else {
                match bytes[j..].iter().position(|&b| b == quote) {
                    Some(p) => break j + p,
                    None => return self.next_slow(),
                }
            }
        };
        if close + 1 < len && class(bytes[close + 1]) & SPACE == 0 {
            return self.next_slow();
        }
        let value = &bytes[open + 1..close];
        let special = !self.plain && value.iter().any(|&b| class(b) & SPECIAL != 0);
        self.position = close + 1;
        // Both ends of each slice sit next to an ASCII byte: char boundaries.
        Some(Ok((
            &self.text[name_start..name_end],
            &self.text[open + 1..close],
            special,
        )))
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Eight bytes from `i` (which has eight bytes after it), first byte lowest.
#[inline(always)]
fn load(bytes: &[u8], i: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[i..i + 8]);
    u64::from_le_bytes(word)
}

/// The high bit of each byte of `word` equal to `b`. Exact up to the first such byte
/// (a borrow can only mark bytes after a real match), which is all [`first_byte`] reads.
#[inline(always)]
fn equal_bytes(word: u64, b: u8) -> u64 {
    let x = word ^ (ONES * u64::from(b));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The high bit of each byte of `word` below `n` (`n` <= 128), exact up to the first.
#[inline(always)]
fn below_bytes(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS
}

/// Index of the first byte marked in a non-zero mask.
#[inline(always)]
fn first_byte(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

impl<'a> AttributeScanner<'a> {
    /// The same as `next`, a byte at a time: what is not well-formed gets its exact error.
    #[cold]
    fn next_slow(&mut self) -> Option<Result<(&'a str, &'a str, bool), ScanError>> {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        let mut i = self.position;
        while i < len && class(bytes[i]) & SPACE != 0 {
            i += 1;
        }
        if i >= len {
            self.position = i;
            return None;
        }
        let name_start = i;
        while i < len && class(bytes[i]) & NAME_END == 0 {
            i += 1;
        }
        let name_end = i;
        while i < len && class(bytes[i]) & SPACE != 0 {
            i += 1;
        }
        if i >= len || bytes[i] != b'=' || name_end == name_start {
            return if bytes[name_start..].contains(&b'=') {
                self.fail(name_start, "malformed attribute name")
            } else {
                self.fail(name_start, "attribute without `=value`")
            };
        }
        // The name ends at an ASCII byte, so this is a char boundary.
        let name = &self.text[name_start..name_end];
        i += 1;
        while i < len && class(bytes[i]) & SPACE != 0 {
            i += 1;
        }
        let quote = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return self.fail(i, format!("value of attribute `{name}` is not quoted")),
        };
        let value_start = i + 1;
        let mut end = value_start;
        let mut special = false;
        loop {
            while end < len && class(bytes[end]) & (SPECIAL | QUOTE) == 0 {
                end += 1;
            }
            if end >= len {
                return self.fail(
                    i,
                    format!("value of attribute `{name}` has no closing quote"),
                );
            }
            let b = bytes[end];
            if b == quote {
                break;
            }
            special |= class(b) & SPECIAL != 0;
            end += 1;
        }
        self.position = end + 1;
        if self.position < len && class(bytes[self.position]) & SPACE == 0 {
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
    if !raw
        .bytes()
        .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r'))
    {
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

    /// The memchr path and the byte-at-a-time path read every text alike.
    #[test]
    fn the_fast_and_the_slow_path_agree() {
        let texts = [
            " a=\"1\" b='x y'\n  c = \"\" ",
            " a='say \"hi\"' b=\"it's\"",
            "\ta=\"1\"\r\nb=\"2&amp;\"",
            " a=\"x\ny\" b=\"z\"",
            " a=\"1\"b=\"2\"",
            " a b=\"1\"",
            " a=1",
            " a=\"1",
            " novalue",
            " =\"1\"",
            " a=\"1\" b",
            " é=\"ü\" ",
            " a!b=\"1\" ibCommissionCurrency=\"a long value past eight bytes\" x=\"\"",
            " openCloseIndicator <=\"1\"",
            " openCloseIndicator=\"O\"openDateTime=\"\"",
            " openClose\"Indicator=\"O\"",
            "",
            "   ",
        ];
        for text in texts {
            let fast: Vec<_> = AttributeScanner::new(text).collect();
            let mut scanner = AttributeScanner::new(text);
            let mut slow = Vec::new();
            while let Some(item) = scanner.next_slow() {
                slow.push(item);
            }
            assert_eq!(fast, slow, "{text:?}");
        }
    }

    #[test]
    fn malformed_names_are_errors() {
        for text in [" a b=\"1\"", " \"a\"=\"1\"", " =\"1\"", " a<=\"1\""] {
            let err = AttributeScanner::new(text).next().unwrap().unwrap_err();
            assert_eq!(err.message, "malformed attribute name", "{text:?}");
        }
        assert_eq!(all(" é=\"ü\""), [("é", "ü")]);
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
