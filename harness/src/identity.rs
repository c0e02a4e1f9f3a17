//! Identity: the canonical form of a value and its SHA-256.
//!
//! A manifest (or a unit's inputs) is serialized from its typed, defaults-filled form into
//! JSON with sorted object keys and canonical numbers (integers as integers, floats in their
//! shortest round-trip form), with no whitespace. Comments, key order, formatting and spelling
//! out a default therefore cannot change the hash; any value that changes a result does.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Bumped whenever a change of the harness can change a cached unit's result, so that old
/// cache entries are never served for new code. History: 2 = kNN distances on exact integer
/// ranks (ties at the radius now excluded exactly, as the `ksg` definition says).
pub const ALGORITHM_VERSION: u32 = 2;

/// The canonical JSON text of a value.
pub fn canonical_json<T: Serialize>(value: &T) -> String {
    // serde_json's Map is a BTreeMap (the `preserve_order` feature is off), so converting to a
    // Value sorts every object's keys; f64 values print in ryu's shortest round-trip form.
    let value = serde_json::to_value(value).expect("manifest values serialize to JSON");
    serde_json::to_string(&value).expect("JSON values serialize")
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The SHA-256 of a value's canonical form.
pub fn hash_of<T: Serialize>(value: &T) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a = json!({"b": 1, "a": {"y": 2.5, "x": [1, 2]}});
        let b = json!({"a": {"x": [1, 2], "y": 2.5}, "b": 1});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":[1,2],"y":2.5},"b":1}"#);
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
