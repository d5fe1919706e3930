//! Reads an LDAP entry in LDIF (RFC 2849): folded lines, `name: text` and `name:: base64`.
//!
//! `msDS-aadObjectId`'s syntax is undocumented (entra-facts §6), so a value is accepted as a
//! GUID string or as 16 bytes (AD mixed-endian first, then big-endian), and the doctor says
//! which form it read.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mamgate_core::identity::{is_guid, LDAP_OBJECT_ID_ATTRIBUTE};

/// One attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdifValue {
    Text(String),
    /// A `::` value that is not UTF-8 text, or exactly 16 bytes (a binary GUID).
    Bytes(Vec<u8>),
}

/// One entry: its DN and attributes in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LdifEntry {
    pub dn: Option<String>,
    pub attributes: Vec<(String, LdifValue)>,
}

impl LdifEntry {
    /// The first value of an attribute (names are case-insensitive in LDAP).
    pub fn get(&self, name: &str) -> Option<&LdifValue> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// A text attribute's first value.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            LdifValue::Text(s) => Some(s),
            LdifValue::Bytes(_) => None,
        }
    }

    /// `mail` and `userPrincipalName`: names that find the user elsewhere.
    pub fn sign_in_names(&self) -> Vec<&str> {
        ["userPrincipalName", "mail"]
            .iter()
            .filter_map(|n| self.text(n))
            .collect()
    }

    /// The objectId candidates of `msDS-aadObjectId`, lower-case, each with the form it was read in.
    pub fn object_id_forms(&self) -> Option<ObjectIdForms> {
        let v = self.get(LDAP_OBJECT_ID_ATTRIBUTE)?;
        Some(object_id_forms(v))
    }
}

/// How an `msDS-aadObjectId` value reads as an objectId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectIdForms {
    /// The value as shown to the admin.
    pub shown: String,
    /// GUID readings, preferred first: (lower-case GUID, form).
    pub guids: Vec<(String, &'static str)>,
}

fn object_id_forms(v: &LdifValue) -> ObjectIdForms {
    match v {
        LdifValue::Text(s) if is_guid(s.trim()) => ObjectIdForms {
            shown: s.trim().to_string(),
            guids: vec![(s.trim().to_ascii_lowercase(), "GUID string")],
        },
        LdifValue::Text(s) => {
            let hex = s.trim();
            let bytes = (hex.len() == 32).then(|| decode_hex(hex)).flatten();
            ObjectIdForms {
                shown: hex.to_string(),
                guids: bytes.map(|b| binary_forms(&b)).unwrap_or_default(),
            }
        }
        LdifValue::Bytes(b) => ObjectIdForms {
            shown: format!("{} bytes (base64 {})", b.len(), STANDARD.encode(b)),
            guids: binary_forms(b),
        },
    }
}

fn binary_forms(b: &[u8]) -> Vec<(String, &'static str)> {
    let Ok(bytes) = <[u8; 16]>::try_from(b) else {
        return Vec::new();
    };
    vec![
        (mixed_endian_guid(&bytes), "16 bytes, AD mixed-endian"),
        (big_endian_guid(&bytes), "16 bytes, big-endian"),
    ]
}

/// AD's binary GUID layout: the first three fields little-endian.
pub fn mixed_endian_guid(b: &[u8; 16]) -> String {
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    format_guid(order.map(|i| b[i]))
}

/// The bytes in written order.
pub fn big_endian_guid(b: &[u8; 16]) -> String {
    format_guid(*b)
}

fn format_guid(b: [u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

/// Parses every entry of an LDIF document.
pub fn parse_ldif(text: &str) -> Result<Vec<LdifEntry>, String> {
    let mut entries = Vec::new();
    let mut current = LdifEntry::default();
    let mut logical: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(cont) = line.strip_prefix(' ') {
            match logical.last_mut() {
                Some(last) => last.push_str(cont),
                None => return Err("continuation line before any attribute".into()),
            }
        } else {
            logical.push(line.to_string());
        }
    }
    for (n, line) in logical.iter().enumerate() {
        if line.trim().is_empty() {
            if !current.attributes.is_empty() || current.dn.is_some() {
                entries.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (name, value) = parse_line(line).map_err(|why| format!("line {}: {why}", n + 1))?;
        if name.eq_ignore_ascii_case("dn") {
            if !current.attributes.is_empty() || current.dn.is_some() {
                entries.push(std::mem::take(&mut current));
            }
            current.dn = Some(match value {
                LdifValue::Text(s) => s,
                LdifValue::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
            });
        } else if !name.eq_ignore_ascii_case("version") || current.dn.is_some() {
            current.attributes.push((name, value));
        }
    }
    if !current.attributes.is_empty() || current.dn.is_some() {
        entries.push(current);
    }
    if entries.is_empty() {
        return Err("no LDIF entry found".into());
    }
    Ok(entries)
}

fn parse_line(line: &str) -> Result<(String, LdifValue), String> {
    let colon = line.find(':').ok_or("no ':' after the attribute name")?;
    let name = line.get(..colon).unwrap_or_default().trim();
    // Attribute options such as `;binary` do not change which attribute it is.
    let name = name.split(';').next().unwrap_or(name).to_string();
    if name.is_empty() {
        return Err("empty attribute name".into());
    }
    let rest = line.get(colon + 1..).unwrap_or_default();
    if let Some(b64) = rest.strip_prefix(':') {
        let bytes = STANDARD
            .decode(b64.trim())
            .map_err(|_| format!("{name}: bad base64 value"))?;
        let value = match String::from_utf8(bytes) {
            Ok(s) if s.len() != 16 => LdifValue::Text(s),
            Ok(s) => LdifValue::Bytes(s.into_bytes()),
            Err(e) => LdifValue::Bytes(e.into_bytes()),
        };
        return Ok((name, value));
    }
    if rest.starts_with('<') {
        return Err(format!("{name}: URL values are not supported"));
    }
    Ok((name, LdifValue::Text(rest.trim_start().to_string())))
}

/// The entry that carries `msDS-aadObjectId`, else the first entry.
pub fn pick_entry(entries: &[LdifEntry]) -> Option<&LdifEntry> {
    entries
        .iter()
        .find(|e| e.get(LDAP_OBJECT_ID_ATTRIBUTE).is_some())
        .or_else(|| entries.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OID: &str = "3f6c2a1b-8d4e-4c7f-a9b2-5e1d0c3b7a64";

    #[test]
    fn text_guid_and_folding() {
        let text = format!(
            "version: 1\ndn: CN=Alice,OU=AADDC Users,DC=contoso,DC=example\nmail: alice@contoso.example\nmsDS-aadObj\n ectId: {}\n",
            OID.to_uppercase()
        );
        let entries = parse_ldif(&text).unwrap();
        let e = pick_entry(&entries).unwrap();
        assert_eq!(e.sign_in_names(), vec!["alice@contoso.example"]);
        let forms = e.object_id_forms().unwrap();
        assert_eq!(forms.guids, vec![(OID.to_string(), "GUID string")]);
    }

    #[test]
    fn binary_forms_mixed_endian_first() {
        // The objectId's bytes as AD stores them (first three fields byte-swapped).
        let mixed: [u8; 16] = [
            0x1b, 0x2a, 0x6c, 0x3f, 0x4e, 0x8d, 0x7f, 0x4c, 0xa9, 0xb2, 0x5e, 0x1d, 0x0c, 0x3b,
            0x7a, 0x64,
        ];
        let text = format!("dn: cn=a\nmsDS-aadObjectId:: {}\n", STANDARD.encode(mixed));
        let entries = parse_ldif(&text).unwrap();
        let forms = entries[0].object_id_forms().unwrap();
        assert_eq!(
            forms.guids[0],
            (OID.to_string(), "16 bytes, AD mixed-endian")
        );
        assert_eq!(forms.guids[1].0, "1b2a6c3f-4e8d-7f4c-a9b2-5e1d0c3b7a64");
        let hex: String = mixed.iter().map(|b| format!("{b:02X}")).collect();
        let entries = parse_ldif(&format!("dn: cn=a\nmsDS-aadObjectId: {hex}\n")).unwrap();
        assert_eq!(entries[0].object_id_forms().unwrap().guids[0].0, OID);
    }

    #[test]
    fn several_entries_and_bad_input() {
        let text = "dn: cn=a\ncn: a\n\ndn: cn=b\nmsDS-aadObjectId: alice@contoso.example\n";
        let entries = parse_ldif(text).unwrap();
        assert_eq!(entries.len(), 2);
        let forms = pick_entry(&entries).unwrap().object_id_forms().unwrap();
        assert!(forms.guids.is_empty());
        assert_eq!(forms.shown, "alice@contoso.example");
        assert!(parse_ldif(" folded first").is_err());
        assert!(parse_ldif("dn: x\nnocolon\n").is_err());
        assert!(parse_ldif("dn: x\na:: !!!\n").is_err());
        assert!(parse_ldif("").is_err());
    }
}
