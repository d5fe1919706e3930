use rand::RngCore;

/// Mattermost's id alphabet (z-base-32): ids look like the ones Mattermost clients expect.
const ALPHABET: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

/// A new 26-character id: 16 random bytes in lower-case base32 (user, session and audit ids,
/// and session tokens; `thread_rng` is a CSPRNG, so tokens are unguessable).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    encode(&bytes)
}

/// Base32 without padding: 128 bits give 26 characters (the last one carries 3 bits).
fn encode(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(26);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_26_chars_of_the_alphabet() {
        for _ in 0..1000 {
            let id = new_id();
            assert_eq!(id.len(), 26);
            assert!(id.bytes().all(|c| ALPHABET.contains(&c)), "{id}");
        }
    }

    #[test]
    fn ids_are_unique() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn encoding_is_stable() {
        assert_eq!(encode(&[0u8; 16]), "y".repeat(26));
        assert_eq!(encode(&[0xff; 16]), format!("{}h", "9".repeat(25)));
    }
}
