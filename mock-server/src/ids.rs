//! Deterministic, vendor-styled identifiers (`prsn_3kTq…`), so replaying the same writes
//! yields the same ids.

/// Generates ids that look like a vendor's (`prefix` + base62), deterministic per seed.
#[derive(Clone, Debug)]
pub struct IdGenerator {
    state: u64,
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl IdGenerator {
    /// A generator whose sequence is fixed by `seed` (e.g. an account id).
    pub fn seeded(seed: &str) -> Self {
        let state = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        Self { state }
    }

    /// The next id: `prefix` followed by `len` base62 characters.
    pub fn next(&mut self, prefix: &str, len: usize) -> String {
        let mut id = String::with_capacity(prefix.len() + len);
        id.push_str(prefix);
        let mut bits = self.next_u64();
        for i in 0..len {
            if i % 10 == 9 {
                bits = self.next_u64();
            }
            id.push(char::from(BASE62[(bits % 62) as usize]));
            bits /= 62;
        }
        id
    }

    /// SplitMix64: tiny, fast and well distributed.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_prefixed_deterministic_and_distinct() {
        let mut a = IdGenerator::seeded("biz_1");
        let mut b = IdGenerator::seeded("biz_1");
        let ids: Vec<String> = (0..1000).map(|_| a.next("prsn_", 14)).collect();
        assert!(
            ids.iter()
                .all(|id| id.starts_with("prsn_") && id.len() == 19)
        );
        assert_eq!(ids[0], b.next("prsn_", 14));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        assert_ne!(ids[0], IdGenerator::seeded("biz_2").next("prsn_", 14));
    }
}
