//! Reads the attributes of a SAML assertion or response (XML, or the base64 a browser posts).
//!
//! A small tag scanner is enough: the doctor only needs attribute names and values, and the
//! signature is the IdP's business, not the doctor's.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mamgate_core::identity::is_saml_object_id_attribute;

/// What the doctor reads from a SAML assertion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamlFacts {
    /// Every `Attribute` with its first value, in document order.
    pub attributes: Vec<(String, String)>,
    /// `<Subject><NameID>`.
    pub name_id: Option<String>,
}

impl SamlFacts {
    /// The first value of the attribute named `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first attribute whose name ends with `/suffix` (or is `suffix`).
    fn by_suffix(&self, suffix: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| {
                let tail = n.rsplit('/').next().unwrap_or(n);
                tail.eq_ignore_ascii_case(suffix)
            })
            .map(|(_, v)| v.as_str())
    }

    /// The `objectidentifier` claim (Entra's objectId).
    pub fn object_id(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| {
                is_saml_object_id_attribute(n) || n.eq_ignore_ascii_case("ms:objectidentifier")
            })
            .map(|(_, v)| v.as_str())
            .or_else(|| self.by_suffix("objectidentifier"))
    }

    /// The `tenantid` claim.
    pub fn tenant_id(&self) -> Option<&str> {
        self.by_suffix("tenantid")
    }

    /// Names that may find the user elsewhere: upn, email, name claim, NameID.
    pub fn sign_in_names(&self) -> Vec<&str> {
        ["upn", "emailaddress", "name"]
            .iter()
            .filter_map(|s| self.by_suffix(s))
            .chain(self.name_id.as_deref())
            .collect()
    }
}

/// Parses an assertion, a response, or the base64 of either.
pub fn parse_saml(text: &str) -> Result<SamlFacts, String> {
    let trimmed = text.trim();
    let xml = if trimmed.starts_with('<') {
        trimmed.to_string()
    } else {
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = STANDARD
            .decode(compact)
            .map_err(|_| "neither XML nor base64 of XML".to_string())?;
        String::from_utf8(bytes).map_err(|_| "base64 does not decode to UTF-8 text".to_string())?
    };
    let facts = scan(&xml)?;
    if facts.attributes.is_empty() && facts.name_id.is_none() {
        return Err("no SAML Attribute or NameID element found".into());
    }
    Ok(facts)
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

struct Tag<'a> {
    name: &'a str,
    closing: bool,
    self_closing: bool,
    body: &'a str,
}

impl Tag<'_> {
    fn attr(&self, want: &str) -> Option<String> {
        let mut rest = self.body.get(self.name.len()..).unwrap_or_default();
        loop {
            rest = rest.trim_start();
            let eq = rest.find('=')?;
            let key = rest.get(..eq)?.trim();
            let after = rest.get(eq + 1..)?.trim_start();
            let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value_and_rest = after.get(1..)?;
            let end = value_and_rest.find(quote)?;
            if local(key).eq_ignore_ascii_case(want) {
                return Some(unescape(value_and_rest.get(..end)?));
            }
            rest = value_and_rest.get(end + 1..)?;
        }
    }
}

fn scan(xml: &str) -> Result<SamlFacts, String> {
    let mut facts = SamlFacts::default();
    let mut current_attr: Option<String> = None;
    let mut capture: Option<(&'static str, String)> = None;
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        if let Some((_, buf)) = capture.as_mut() {
            buf.push_str(rest.get(..lt).unwrap_or_default());
        }
        rest = rest.get(lt..).unwrap_or_default();
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after
                .find("-->")
                .and_then(|e| after.get(e + 3..))
                .unwrap_or_default();
            continue;
        }
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").ok_or("unterminated CDATA")?;
            if let Some((_, buf)) = capture.as_mut() {
                // CDATA is literal: escape it so the later unescape leaves it unchanged.
                buf.push_str(&after.get(..end).unwrap_or_default().replace('&', "&amp;"));
            }
            rest = after.get(end + 3..).unwrap_or_default();
            continue;
        }
        let end = tag_end(rest).ok_or("unterminated tag")?;
        let raw = rest.get(1..end).unwrap_or_default();
        rest = rest.get(end + 1..).unwrap_or_default();
        if raw.starts_with('?') || raw.starts_with('!') {
            continue;
        }
        let closing = raw.starts_with('/');
        let body = raw.trim_start_matches('/').trim_end_matches('/').trim();
        let name = body
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default();
        let tag = Tag {
            name,
            closing,
            self_closing: raw.ends_with('/'),
            body,
        };
        handle(&tag, &mut facts, &mut current_attr, &mut capture);
    }
    Ok(facts)
}

fn handle(
    tag: &Tag<'_>,
    facts: &mut SamlFacts,
    current_attr: &mut Option<String>,
    capture: &mut Option<(&'static str, String)>,
) {
    match (local(tag.name), tag.closing) {
        ("Attribute", false) => *current_attr = tag.attr("Name"),
        ("Attribute", true) => *current_attr = None,
        ("AttributeValue", false) if !tag.self_closing => *capture = Some(("value", String::new())),
        ("NameID", false) if !tag.self_closing => *capture = Some(("nameid", String::new())),
        ("AttributeValue", true) | ("NameID", true) => {
            if let Some((kind, buf)) = capture.take() {
                let value = unescape(buf.trim());
                match (kind, current_attr.as_ref()) {
                    ("nameid", _) => facts.name_id = Some(value),
                    (_, Some(attr)) if !facts.attributes.iter().any(|(n, _)| n == attr) => {
                        facts.attributes.push((attr.clone(), value));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Index of the `>` closing the tag that starts at 0, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') | (None, '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<?xml version="1.0"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1">
 <Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion">
  <Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">sam@contoso.example</NameID></Subject>
  <!-- <Attribute Name="http://schemas.microsoft.com/identity/claims/objectidentifier"> -->
  <AttributeStatement>
   <Attribute Name="http://schemas.microsoft.com/identity/claims/tenantid"><AttributeValue>7d3c1a52-4b8e-4f21-9a6c-2e5f8b0d4c11</AttributeValue></Attribute>
   <Attribute Name='http://schemas.microsoft.com/identity/claims/objectidentifier'>
     <AttributeValue> 5a7b9c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d </AttributeValue>
   </Attribute>
   <Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"><AttributeValue><![CDATA[sam@contoso.example]]></AttributeValue></Attribute>
   <Attribute Name="x" Label="a &gt; b"><AttributeValue>Tom &amp; Jerry</AttributeValue><AttributeValue>second</AttributeValue></Attribute>
  </AttributeStatement>
 </Assertion>
</samlp:Response>"#;

    #[test]
    fn reads_object_id_and_names() {
        let f = parse_saml(RESPONSE).unwrap();
        assert_eq!(f.object_id(), Some("5a7b9c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"));
        assert_eq!(f.tenant_id(), Some("7d3c1a52-4b8e-4f21-9a6c-2e5f8b0d4c11"));
        assert_eq!(f.name_id.as_deref(), Some("sam@contoso.example"));
        assert_eq!(f.attribute("X"), Some("Tom & Jerry"));
        assert!(f.sign_in_names().contains(&"sam@contoso.example"));
    }

    #[test]
    fn base64_form_and_garbage() {
        let f = parse_saml(&STANDARD.encode(RESPONSE)).unwrap();
        assert!(f.object_id().is_some());
        assert!(parse_saml("not xml at all!").is_err());
        assert!(parse_saml("<a><b>").is_err());
        assert!(parse_saml("<Attribute Name=\"x").is_err());
        assert!(parse_saml("<![CDATA[x").is_err());
    }
}
