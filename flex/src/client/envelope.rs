//! Reading a Flex Web Service answer: an envelope (`<FlexStatementResponse>`), the report
//! itself, or something that is neither (an HTML page, an empty body).

use crate::client::download::ReportFormat;
use quick_xml::events::Event;

/// A `<FlexStatementResponse>` envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub(crate) status: String,
    pub(crate) error_code: Option<String>,
    pub(crate) error_message: String,
    pub(crate) reference_code: Option<String>,
    pub(crate) url: Option<String>,
}

/// What a body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Envelope(Envelope),
    Report(ReportFormat),
    NotXml(String),
}

fn strip_start(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    &body[start..]
}

/// Classifies a body by its first element (errors come with HTTP 200, so the status
/// line says nothing).
pub(crate) fn classify(body: &[u8]) -> Answer {
    let trimmed = strip_start(body);
    if trimmed.is_empty() {
        return Answer::NotXml("an empty body".to_owned());
    }
    if trimmed[0] != b'<' {
        // CSV or text queries answer with the report itself.
        return match std::str::from_utf8(trimmed) {
            Ok(_) => Answer::Report(ReportFormat::Text),
            Err(_) => Answer::NotXml("a binary body".to_owned()),
        };
    }
    let Ok(text) = std::str::from_utf8(trimmed) else {
        return Answer::NotXml("a body that is not UTF-8".to_owned());
    };
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                return match tag.name().as_ref() {
                    "FlexQueryResponse" => Answer::Report(ReportFormat::Xml),
                    "FlexStatementResponse" => Answer::Envelope(read_envelope(text)),
                    name if name.eq_ignore_ascii_case("html") => {
                        Answer::NotXml("an HTML page".to_owned())
                    }
                    other => Answer::NotXml(format!("an XML document with root <{other}>")),
                };
            }
            Ok(Event::DocType(doctype)) if doctype.to_ascii_lowercase().contains("html") => {
                return Answer::NotXml("an HTML page".to_owned());
            }
            Ok(Event::Eof) => return Answer::NotXml("a body without XML elements".to_owned()),
            Err(_) => return Answer::NotXml("malformed XML".to_owned()),
            Ok(_) => {}
        }
    }
}

/// Reads the children of the envelope (text trimmed: `<Url>` may span lines).
fn read_envelope(text: &str) -> Envelope {
    let mut envelope = Envelope::default();
    let mut reader = quick_xml::Reader::from_str(text);
    let mut current = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag)) => current = tag.name().as_ref().to_owned(),
            Ok(Event::End(_)) => current.clear(),
            Ok(Event::Text(content)) => {
                let value = content
                    .xml_content(quick_xml::XmlVersion::Implicit1_0)
                    .trim()
                    .to_owned();
                if value.is_empty() {
                    continue;
                }
                match current.as_str() {
                    "Status" => envelope.status = value,
                    "ErrorCode" => envelope.error_code = Some(value),
                    "ErrorMessage" => envelope.error_message.push_str(&value),
                    "ReferenceCode" => envelope.reference_code = Some(value),
                    "Url" => envelope.url = Some(value),
                    _ => {}
                }
            }
            Ok(Event::GeneralRef(entity)) if current == "ErrorMessage" => {
                let resolved = match entity.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                envelope.error_message.push_str(resolved);
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    envelope
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_and_empty_bodies_are_not_xml() {
        assert!(matches!(classify(b""), Answer::NotXml(w) if w == "an empty body"));
        assert!(matches!(classify(b"  \n"), Answer::NotXml(_)));
        let html = b"<!DOCTYPE html><html><body>404 Not Found</body></html>";
        assert!(matches!(classify(html), Answer::NotXml(w) if w == "an HTML page"));
        assert!(
            matches!(classify(b"<html><p>x</p></html>"), Answer::NotXml(w) if w == "an HTML page")
        );
    }

    #[test]
    fn reports_are_recognised_by_their_root() {
        assert_eq!(
            classify(b"<?xml version=\"1.0\"?>\n<FlexQueryResponse queryName=\"q\"/>"),
            Answer::Report(ReportFormat::Xml)
        );
        assert_eq!(
            classify(b"\"ClientAccountID\",\"Symbol\"\n"),
            Answer::Report(ReportFormat::Text)
        );
    }
}
