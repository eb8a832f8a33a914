//! A hash table that grows a little at a time, for the host table.
//!
//! A plain hash table doubles when full and rehashes every entry at once: at 115,000 hosts that
//! stops packet-in handling for ~4 ms, 20–30 ms at 900,000 (docs/bench.md, "Latency tails").
//! Here, when the table is full, it becomes the *old* table and an empty one twice its size
//! takes its place; each later insert moves a bounded number of the old table's buckets over
//! (as the `griddle` crate does), so no single insert does more than a fixed amount of work.
//! Lookups look in the new table, then in the old one while it still has entries: at most two
//! probes. Memory: one `(key, value)` slot and one control byte per bucket, and for a while
//! after a growth step both tables.

use hashbrown::HashTable;

/// Old-table buckets moved per insert, at least (more when the old table is sparse, so that
/// the move always ends before the new table fills; see [`Table::grow`]).
const STEP: usize = 16;

/// A map from `u64` keys to `V`, hashed with `hash`, that never rehashes everything at once.
#[derive(Debug, Clone)]
pub(crate) struct Table<V> {
    new: HashTable<(u64, V)>,
    /// The previous table, being moved into `new`; empty when no move is under way.
    old: HashTable<(u64, V)>,
    /// The next bucket of `old` to move.
    cursor: usize,
    /// Buckets of `old` to move per insert.
    step: usize,
}

/// The key's hash: FxHash's step for one word, then its finaliser (see [`crate::fxhash`]).
fn hash(key: u64) -> u64 {
    use std::hash::Hasher;
    let mut h = crate::fxhash::FxHasher::default();
    h.write_u64(key);
    h.finish()
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            new: HashTable::new(),
            old: HashTable::new(),
            cursor: 0,
            step: STEP,
        }
    }
}

impl<V> Table<V> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.new.len() + self.old.len()
    }

    /// Whether the table has no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: u64) -> Option<&V> {
        let h = hash(key);
        self.new
            .find(h, |e| e.0 == key)
            .or_else(|| self.old.find(h, |e| e.0 == key))
            .map(|e| &e.1)
    }

    /// The value under `key`, to change.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        let h = hash(key);
        match self.new.find_mut(h, |e| e.0 == key) {
            Some(e) => Some(&mut e.1),
            None => self.old.find_mut(h, |e| e.0 == key).map(|e| &mut e.1),
        }
    }

    /// Inserts `value` under `key`, returning the value it replaces.
    pub(crate) fn insert(&mut self, key: u64, value: V) -> Option<V> {
        match self.get_mut(key) {
            Some(v) => Some(std::mem::replace(v, value)),
            None => {
                self.insert_new(key, value);
                None
            }
        }
    }

    /// Inserts `value` under `key`, which must not be in the table (the caller looked). Moves
    /// a bounded part of the old table first, or starts a growth step when the table is full.
    pub(crate) fn insert_new(&mut self, key: u64, value: V) {
        if self.new.len() >= self.new.capacity() {
            self.grow();
        } else {
            self.migrate(self.step);
        }
        // `grow` left room: this insert does not make `new` rehash.
        self.new
            .insert_unique(hash(key), (key, value), |e| hash(e.0));
    }

    /// Removes the entry under `key`, returning its value.
    pub(crate) fn remove(&mut self, key: u64) -> Option<V> {
        let h = hash(key);
        for t in [&mut self.new, &mut self.old] {
            if let Ok(e) = t.find_entry(h, |e| e.0 == key) {
                return Some(e.remove().0.1);
            }
        }
        None
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.new.iter().chain(self.old.iter()).map(|(k, v)| (*k, v))
    }

    /// Keeps the entries for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(u64, &V) -> bool) {
        self.new.retain(|e| keep(e.0, &e.1));
        self.old.retain(|e| keep(e.0, &e.1));
    }

    /// `new` is full: finish any move still under way (only when entries were removed
    /// meanwhile, see below), then make `new` the old table and start an empty one twice the
    /// size of what it holds.
    fn grow(&mut self) {
        if !self.old.is_empty() {
            self.migrate(usize::MAX);
        }
        let len = self.new.len();
        let fresh = HashTable::with_capacity((2 * len).max(STEP));
        self.old = std::mem::replace(&mut self.new, fresh);
        self.cursor = 0;
        // Move every old bucket before `new` has taken half its free room in inserts: each
        // insert moves at least `step` buckets, so the move ends within `buckets / step`
        // inserts, and `new` holds `len` moved entries plus those inserts.
        let room = self.new.capacity().saturating_sub(len).max(2);
        self.step = self.old.num_buckets().div_ceil(room / 2).max(STEP);
    }

    /// Moves up to `buckets` buckets of the old table into the new one.
    fn migrate(&mut self, buckets: usize) {
        if self.old.is_empty() {
            return;
        }
        let end = self
            .cursor
            .saturating_add(buckets)
            .min(self.old.num_buckets());
        for i in self.cursor..end {
            if let Ok(e) = self.old.get_bucket_entry(i) {
                let (entry, _) = e.remove();
                self.new.insert_unique(hash(entry.0), entry, |e| hash(e.0));
            }
        }
        self.cursor = end;
        if self.old.is_empty() || end == self.old.num_buckets() {
            // Every bucket was visited; free the old allocation.
            self.old = HashTable::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_map_across_growth_steps() {
        let mut t = Table::default();
        let mut m = std::collections::HashMap::new();
        for k in 0..100_000u64 {
            let key = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            t.insert_new(key, k);
            m.insert(key, k);
            // Replace some along the way, and remove some in bulk, also while a move is
            // under way.
            if k % 11 == 0 {
                assert_eq!(t.insert(key, k + 1), m.insert(key, k + 1));
            }
            if k % 9_999 == 0 {
                t.retain(|_, v| v % 3 != 0);
                m.retain(|_, v| *v % 3 != 0);
            }
        }
        assert_eq!(t.len(), m.len());
        for (k, v) in &m {
            assert_eq!(t.get(*k), Some(v));
        }
        let mut seen: Vec<(u64, u64)> = t.iter().map(|(k, v)| (k, *v)).collect();
        let mut want: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
        seen.sort_unstable();
        want.sort_unstable();
        assert_eq!(seen, want);
        t.retain(|_, v| v % 2 == 0);
        assert_eq!(t.len(), m.values().filter(|v| *v % 2 == 0).count());
    }

    #[test]
    fn moving_old_entries_never_makes_the_new_table_rehash() {
        let mut t = Table::default();
        for k in 0..200_000u64 {
            let (buckets, full) = (t.new.num_buckets(), t.new.len() >= t.new.capacity());
            t.insert_new(k, ());
            // Only a growth step (on a full table) replaces the new table; an insert that
            // moves old entries fits them in the room it has.
            assert!(full || t.new.num_buckets() == buckets, "rehash at {k}");
        }
        assert_eq!(t.len(), 200_000);
    }

    #[test]
    fn a_sparse_old_table_is_moved_before_the_new_one_fills() {
        let mut t = Table::default();
        for k in 0..10_000u64 {
            t.insert_new(k, ());
        }
        // Leave a few entries in a large table, then grow past them.
        t.retain(|k, _| k < 10);
        for k in 10_000..10_100u64 {
            t.insert_new(k, ());
        }
        assert_eq!(t.len(), 110);
        assert!((0..10).chain(10_000..10_100).all(|k| t.get(k).is_some()));
    }
}
