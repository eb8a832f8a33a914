//! A hash table that grows a little at a time, for the host table.
//!
//! A plain hash table doubles when full and rehashes every entry at once: at 115,000 hosts that
//! stops packet-in handling for ~4 ms, 20–30 ms at 900,000 (docs/bench.md, "Latency tails").
//! Moving the entries a few per insert instead (as the `griddle` crate does over `hashbrown`)
//! is not enough: the new, twice as large array is fresh memory, and inserts land on it at
//! random, so nearly every one of the first few thousand takes a page fault. On the 2-vCPU
//! test machine those faults were a fifth to two fifths of the controller's profile samples in its longest
//! busy stretches of a half-load learn run, which queued packet-ins for milliseconds.
//!
//! So the growth here happens in three stages, each a bounded amount of work per insert:
//! - *ready*: once the table is half full, each insert writes the next few slots of the
//!   array that will replace it (in order, so the page faults come one per 170 slots, spread
//!   over the inserts left until the table is full);
//! - *switch*: when the table is full, the ready array takes its place, and the full one
//!   becomes the *old* array;
//! - *move*: each insert moves a few of the old array's slots into the new one, in order.
//!   Lookups look in the new array, then in the old one while it still has entries.
//!
//! The arrays use linear probing: a key sits at the first free slot from the one its hash
//! picks, at most 5/8 of the slots are used (a lookup of a missing key reads four slots on
//! average, one or two cache lines), and a removal shifts the entries after it back (no
//! tombstones). Only the old array, which takes no new keys, marks moved and removed
//! entries as gone instead, so that the keys behind them stay reachable.

/// A free slot.
const EMPTY: u64 = u64::MAX;
/// A slot of the old array whose entry was moved or removed: lookups go on past it.
const GONE: u64 = u64::MAX - 1;
/// The smallest array allocated.
const MIN_SLOTS: usize = 16;

/// The key's hash: FxHash's step for one word, then its finaliser (see [`crate::fxhash`]).
fn hash(key: u64) -> u64 {
    use std::hash::Hasher;
    let mut h = crate::fxhash::FxHasher::default();
    h.write_u64(key);
    h.finish()
}

/// How many entries an array of `slots` slots may hold: 5/8 of them.
fn max_len(slots: usize) -> usize {
    slots / 8 * 5
}

/// One array of slots, probed linearly.
#[derive(Debug, Clone)]
struct Slots<V> {
    /// A power of two in length (or empty); a free slot's key is [`EMPTY`].
    slots: Vec<(u64, V)>,
    len: usize,
}

impl<V: Copy> Slots<V> {
    const fn new() -> Self {
        Slots {
            slots: Vec::new(),
            len: 0,
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn home(&self, key: u64) -> usize {
        hash(key) as usize & self.mask()
    }

    /// The slot holding `key`. Ends: an array is never full (at most 5/8 of it holds
    /// entries, and an entry marked gone was one of those).
    fn find(&self, key: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            match self.slots[i].0 {
                k if k == key => return Some(i),
                EMPTY => return None,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Puts `key`, which is not in the array, in the first free slot from its home.
    fn insert_unique(&mut self, key: u64, value: V) {
        let mask = self.mask();
        let mut i = self.home(key);
        while self.slots[i].0 != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
        self.len += 1;
    }

    /// Empties slot `i` and shifts back the entries after it that may take its place.
    fn remove_at(&mut self, i: usize) -> V {
        let mask = self.mask();
        let value = self.slots[i].1;
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let key = self.slots[j].0;
            if key == EMPTY {
                break;
            }
            // The entry at `j` may move back to the hole if the hole lies on its probe path,
            // from its home to `j`.
            let home = self.home(key);
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.slots[hole] = self.slots[j];
                hole = j;
            }
        }
        self.slots[hole].0 = EMPTY;
        self.len -= 1;
        value
    }

    /// Marks slot `i` gone (in the old array, which takes no inserts, nothing shifts).
    fn mark_gone(&mut self, i: usize) -> V {
        self.slots[i].0 = GONE;
        self.len -= 1;
        self.slots[i].1
    }

    fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.slots
            .iter()
            .filter(|(k, _)| *k < GONE)
            .map(|(k, v)| (*k, v))
    }
}

/// A map from `u64` keys to `V`, hashed with `hash`, that never does more than a bounded
/// amount of work in one insert. The keys `u64::MAX` and `u64::MAX - 1` are reserved.
#[derive(Debug, Clone)]
pub(crate) struct Table<V> {
    new: Slots<V>,
    /// The previous array, being moved into `new`; empty when no move is under way.
    old: Slots<V>,
    /// The next slot of `old` to move.
    cursor: usize,
    /// Slots of `old` to move per insert.
    step: usize,
    /// The array that replaces `new` when it is full: written a few free slots per insert
    /// once `new` is half full.
    ready: Vec<(u64, V)>,
}

impl<V: Copy> Default for Table<V> {
    fn default() -> Self {
        Table {
            new: Slots::new(),
            old: Slots::new(),
            cursor: 0,
            step: 1,
            ready: Vec::new(),
        }
    }
}

impl<V: Copy + Default> Table<V> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.new.len + self.old.len
    }

    /// Whether the table has no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: u64) -> Option<&V> {
        match self.new.find(key) {
            Some(i) => Some(&self.new.slots[i].1),
            None => self.old.find(key).map(|i| &self.old.slots[i].1),
        }
    }

    /// The value under `key`, to change.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        match self.new.find(key) {
            Some(i) => Some(&mut self.new.slots[i].1),
            None => self.old.find(key).map(|i| &mut self.old.slots[i].1),
        }
    }

    /// Reads the slot where the lookup of each of `keys` starts, all before any is needed:
    /// the cache misses of a batch's lookups then overlap instead of coming one after
    /// another (the lookup is the largest item of a packet-in's cost once the table
    /// outgrows the cache).
    pub(crate) fn prefetch(&self, keys: impl Iterator<Item = u64>) {
        // The loads feed only one value, used once at the end: the processor issues them
        // all without waiting for any.
        let mut seen = 0u64;
        for key in keys {
            if self.new.len > 0 {
                seen ^= self.new.slots[self.new.home(key)].0;
            }
            if self.old.len > 0 {
                seen ^= self.old.slots[self.old.home(key)].0;
            }
        }
        std::hint::black_box(seen);
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

    /// Inserts `value` under `key`, which must not be in the table (the caller looked). Does
    /// its share of the growth first: switches to the ready array when the table is full,
    /// else moves a few old slots, else readies a few new ones.
    pub(crate) fn insert_new(&mut self, key: u64, value: V) {
        debug_assert!(key < GONE, "reserved key {key:#x}");
        if self.new.len >= max_len(self.new.slots.len()) {
            self.switch();
        } else if self.old.len > 0 {
            self.migrate(self.step);
        } else {
            self.get_ready();
        }
        self.new.insert_unique(key, value);
    }

    /// Removes the entry under `key`, returning its value.
    pub(crate) fn remove(&mut self, key: u64) -> Option<V> {
        if let Some(i) = self.new.find(key) {
            return Some(self.new.remove_at(i));
        }
        let i = self.old.find(key)?;
        Some(self.old.mark_gone(i))
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.new.iter().chain(self.old.iter())
    }

    /// Keeps the entries for which `keep` is true (called once per entry).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(u64, &V) -> bool) {
        let drop: Vec<u64> = self
            .new
            .iter()
            .filter(|(k, v)| !keep(*k, v))
            .map(|(k, _)| k)
            .collect();
        for k in drop {
            if let Some(i) = self.new.find(k) {
                self.new.remove_at(i);
            }
        }
        for i in 0..self.old.slots.len() {
            let (k, v) = self.old.slots[i];
            if k < GONE && !keep(k, &v) {
                self.old.mark_gone(i);
            }
        }
    }

    /// The length of the array that replaces `new`.
    fn next_len(&self) -> usize {
        (self.new.slots.len() * 2).max(MIN_SLOTS)
    }

    /// Once `new` is half full (and no move is under way), writes the next free slots of the
    /// ready array: as many as it takes to have it all written by the time `new` is full.
    fn get_ready(&mut self) {
        let (len, max) = (self.new.len, max_len(self.new.slots.len()));
        let target = self.next_len();
        if len < max / 2 || self.ready.len() >= target {
            return;
        }
        if self.ready.capacity() < target {
            self.ready = Vec::with_capacity(target);
        }
        let left = max.saturating_sub(len).max(1);
        let n = (target - self.ready.len()).div_ceil(left);
        self.ready
            .extend(std::iter::repeat_n((EMPTY, V::default()), n));
    }

    /// `new` is full: the ready array (finished now if it is not yet) takes its place, and
    /// `new` becomes the old array, to be moved over a few slots per insert.
    fn switch(&mut self) {
        let target = self.next_len();
        // A move still under way here would mean the steps below were wrong; finish it
        // rather than lose entries.
        if self.old.len > 0 {
            self.migrate(usize::MAX);
        }
        let mut ready = std::mem::take(&mut self.ready);
        ready.resize(target, (EMPTY, V::default()));
        let fresh = Slots {
            slots: ready,
            len: 0,
        };
        self.old = std::mem::replace(&mut self.new, fresh);
        self.cursor = 0;
        // Move every old slot before `new` has taken half its room in inserts: the move then
        // ends with `new` at 3/4 of its limit at most, and readying the next array starts
        // after it. Four slots per insert for a full old array: few enough that the moves
        // (each a cache miss) never crowd into a short stretch of inserts.
        let room = max_len(target).saturating_sub(self.old.len).max(2);
        self.step = self.old.slots.len().div_ceil(room / 2);
    }

    /// Moves up to `n` slots of the old array into the new one.
    fn migrate(&mut self, n: usize) {
        let end = self.cursor.saturating_add(n).min(self.old.slots.len());
        for i in self.cursor..end {
            let (key, value) = self.old.slots[i];
            if key < GONE {
                self.old.mark_gone(i);
                self.new.insert_unique(key, value);
            }
        }
        self.cursor = end;
        if self.old.len == 0 || end == self.old.slots.len() {
            // Every slot was visited; free the old array.
            self.old = Slots::new();
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
            let key = k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 4;
            // Prefetching, in every state (empty, readying, moving), changes nothing.
            t.prefetch([key, k].into_iter());
            t.insert_new(key, k);
            m.insert(key, k);
            // Replace some along the way, remove some, and some in bulk, also while a move is
            // under way and while the next array is being readied.
            if k % 11 == 0 {
                assert_eq!(t.insert(key, k + 1), m.insert(key, k + 1));
            }
            if k % 7 == 3 {
                let gone = (k - 3).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 4;
                assert_eq!(t.remove(gone), m.remove(&gone));
            }
            if k % 9_999 == 0 {
                t.retain(|_, v| v % 3 != 0);
                m.retain(|_, v| *v % 3 != 0);
            }
            if k % 997 == 0 {
                assert_eq!(t.len(), m.len());
                assert!(m.iter().all(|(k, v)| t.get(*k) == Some(v)));
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
        let mut calls = 0;
        t.retain(|_, _| {
            calls += 1;
            true
        });
        assert_eq!(calls, t.len(), "keep is called once per entry");
    }

    #[test]
    fn removed_keys_stay_removed_while_a_move_is_under_way() {
        let mut t = Table::default();
        for k in 0..96u64 {
            t.insert_new(k, ());
        }
        // The next insert switches arrays: the old one holds 96 entries, moved a few per
        // insert from now on.
        t.insert_new(1_000, ());
        for k in 0..96u64 {
            assert!(t.remove(k).is_some(), "{k}");
            t.insert_new(2_000 + k, ());
            assert!(t.get(k).is_none(), "{k} came back");
        }
        assert_eq!(t.len(), 97);
    }

    #[test]
    fn no_insert_does_more_than_a_few_slots_of_growth() {
        let mut t = Table::<u64>::default();
        let mut worst = 0;
        for k in 0..1_000_000u64 {
            let (ready, cursor, moving) = (t.ready.len(), t.cursor, t.old.len > 0);
            let full = t.new.len >= max_len(t.new.slots.len());
            t.insert_new(k, k);
            if full {
                // The switch itself writes nothing but the ready array's last few slots.
                assert!(t.new.slots.len() - ready <= 64, "switch at {k}");
                continue;
            }
            let moved = if moving {
                t.cursor.max(cursor) - cursor
            } else {
                0
            };
            worst = worst
                .max(t.ready.len() - ready.min(t.ready.len()))
                .max(moved);
        }
        assert!(worst <= 16, "{worst} slots in one insert");
        assert_eq!(t.len(), 1_000_000);
    }

    #[test]
    fn a_sparse_old_array_is_moved_before_the_new_one_fills() {
        let mut t = Table::default();
        for k in 0..10_000u64 {
            t.insert_new(k, ());
        }
        // Leave a few entries in a large array, then grow past them.
        t.retain(|k, _| k < 10);
        for k in 10_000..10_100u64 {
            t.insert_new(k, ());
        }
        assert_eq!(t.len(), 110);
        assert!((0..10).chain(10_000..10_100).all(|k| t.get(k).is_some()));
    }
}
