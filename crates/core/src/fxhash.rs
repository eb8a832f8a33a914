//! A fast, non-cryptographic hasher for the core's hot tables (hosts, flow sets), in the
//! style of rustc's FxHash. The keys come from the switch (MACs, VLANs), so a hostile host
//! could aim for collisions; the tables it can grow are bounded by `max_hosts`, which keeps
//! the worst case small.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: a word at a time, rotate, xor, multiply.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits depending only on the input's low bits, and the
        // table indexes by the low bits: mix the high bits down (murmur3's finaliser), or keys
        // that differ only in their upper bytes (MACs of one vendor) all collide.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::FxHasher;

    #[test]
    fn keys_differing_in_high_bytes_spread_over_low_bits() {
        let b = BuildHasherDefault::<FxHasher>::default();
        let low: std::collections::HashSet<u64> = (0u32..4096)
            .map(|n| b.hash_one((100u16, [0x0a, 0, 0, 0, (n >> 8) as u8, n as u8])) & 0xfff)
            .collect();
        // 4,096 keys into 4,096 buckets: a good hash fills well over half of them.
        assert!(low.len() > 2500, "{} distinct low 12 bits", low.len());
    }
}
