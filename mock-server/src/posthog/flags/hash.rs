//! PostHog's consistent hash: the first 60 bits of SHA-1 of `prefix + identifier + salt`,
//! divided by 2^60 − 1 in binary64 (one division of two converted operands, so the last bit
//! agrees with the flags service's conformance vectors).

/// The largest value of 15 hex digits, as the divisor.
const SCALE: f64 = 0xFFF_FFFF_FFFF_FFFF_u64 as f64;

/// The hash of `prefix`, `identifier` and `salt` concatenated, in `[0, 1]`.
pub fn hash(prefix: &str, identifier: &str, salt: &str) -> f64 {
    let mut sha1 = sha1_smol::Sha1::new();
    sha1.update(prefix.as_bytes());
    sha1.update(identifier.as_bytes());
    sha1.update(salt.as_bytes());
    let digest = sha1.digest().bytes();
    let mut leading = [0u8; 8];
    leading.copy_from_slice(&digest[..8]);
    let sixty_bits = u64::from_be_bytes(leading) >> 4;
    sixty_bits as f64 / SCALE
}

/// The rollout hash of `identifier` for flag `key` (prefix `"{key}."`); 0 for an empty
/// identifier, as the flags service answers.
pub fn rollout_hash(key: &str, identifier: &str) -> f64 {
    salted(key, identifier, "")
}

/// The variant hash of `identifier` for flag `key` (salt `variant` after the identifier); 0
/// for an empty identifier.
pub fn variant_hash(key: &str, identifier: &str) -> f64 {
    salted(key, identifier, "variant")
}

/// The holdout hash of `identifier` (prefix `holdout-`, no flag key).
pub fn holdout_hash(identifier: &str) -> f64 {
    hash("holdout-", identifier, "")
}

fn salted(key: &str, identifier: &str, salt: &str) -> f64 {
    if identifier.is_empty() {
        return 0.0;
    }
    let mut prefix = String::with_capacity(key.len() + 1);
    prefix.push_str(key);
    prefix.push('.');
    hash(&prefix, identifier, salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags service's language-neutral conformance corpus
    /// (`rust/feature-flags/tests/fixtures/rules_v2_contract/1.2.0/corpus/hash_sha1_60_v1.json`).
    #[test]
    fn conformance_vectors() {
        assert_eq!(rollout_hash("beta-search", "user-17"), 0.009101217133290002);
        assert_eq!(
            rollout_hash("beta-search-rollout", "user-105"),
            0.2851295399293007
        );
        assert_eq!(
            variant_hash("checkout-layout", "user-61"),
            0.5698252224547713
        );
        assert_eq!(holdout_hash("user-31"), 0.0194745413007599);
        assert_eq!(rollout_hash("org-dashboard", "42"), 0.5997466051660167);
    }

    #[test]
    fn an_empty_identifier_hashes_to_zero_but_the_holdout_does_not() {
        assert_eq!(rollout_hash("any", ""), 0.0);
        assert_eq!(variant_hash("any", ""), 0.0);
        assert!(holdout_hash("") > 0.0);
    }
}
