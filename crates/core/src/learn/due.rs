//! Hosts by the second their learning timeout ends in, so that expiry looks only at the
//! hosts that are due.
//!
//! A ring of one-second slots runs from the earliest second not yet expired to the latest
//! one filed (at most the longest timeout ahead). Filing is O(1): an index and a push. Each
//! slot keeps its keys in chunks of at most [`CHUNK`], so a slot that fills up (a million
//! hosts learned in one second, with no jitter) never copies what it holds to grow; a slot
//! with a few keys costs a few keys.

use std::collections::VecDeque;

/// The most keys in one chunk of a slot.
const CHUNK: usize = 4096;

/// The keys filed under one second.
pub(super) type Slot = Vec<Vec<u64>>;

/// Host keys by the second their timeout ends in.
#[derive(Debug, Default, Clone)]
pub(super) struct Due {
    /// The second `slots[0]` stands for.
    base: u64,
    slots: VecDeque<Slot>,
}

impl Due {
    /// Files `key` under `second`.
    pub(super) fn file(&mut self, second: u64, key: u64) {
        if self.slots.is_empty() {
            self.base = second;
        } else if second < self.base {
            // Earlier than any slot (a host adopted with an old time): the ring starts there.
            for _ in second..self.base {
                self.slots.push_front(Vec::new());
            }
            self.base = second;
        }
        let i = usize::try_from(second.saturating_sub(self.base)).unwrap_or(usize::MAX);
        if i >= self.slots.len() {
            self.slots.resize_with(i.saturating_add(1), Vec::new);
        }
        let slot = &mut self.slots[i];
        match slot.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(key),
            _ => slot.push(vec![key]),
        }
    }

    /// Takes the earliest slot, with its second, if that second is `second` or earlier.
    pub(super) fn take_until(&mut self, second: u64) -> Option<(u64, Slot)> {
        if self.base > second {
            return None;
        }
        let slot = self.slots.pop_front()?;
        let taken = self.base;
        self.base += 1;
        Some((taken, slot))
    }

    /// Puts back, as the earliest slot, keys of the `second` just taken that are not due yet.
    pub(super) fn put_back(&mut self, second: u64, keys: &[u64]) {
        self.slots
            .push_front(keys.chunks(CHUNK).map(<[u64]>::to_vec).collect());
        self.base = second;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(slot: Slot) -> Vec<u64> {
        slot.into_iter().flatten().collect()
    }

    #[test]
    fn slots_come_out_in_order_when_due() {
        let mut due = Due::default();
        due.file(10, 1);
        due.file(12, 2);
        due.file(10, 3);
        due.file(11, 4);
        assert!(due.take_until(9).is_none());
        let (s, slot) = due.take_until(11).unwrap();
        assert_eq!((s, keys(slot)), (10, vec![1, 3]));
        let (s, slot) = due.take_until(11).unwrap();
        assert_eq!((s, keys(slot)), (11, vec![4]));
        assert!(due.take_until(11).is_none());
        // Earlier than every slot: comes out first.
        due.file(5, 5);
        let (s, slot) = due.take_until(11).unwrap();
        assert_eq!((s, keys(slot)), (5, vec![5]));
        while let Some((s, slot)) = due.take_until(11) {
            assert!(slot.is_empty(), "second {s}");
        }
        let (s, slot) = due.take_until(12).unwrap();
        assert_eq!((s, keys(slot)), (12, vec![2]));
        assert!(due.take_until(u64::MAX).is_none());
    }

    #[test]
    fn a_full_slot_grows_by_chunks_and_keeps_order() {
        let mut due = Due::default();
        let n = 3 * CHUNK as u64 + 7;
        for k in 0..n {
            due.file(1, k);
        }
        let (_, slot) = due.take_until(1).unwrap();
        assert_eq!(slot.len(), 4);
        assert!(slot.iter().all(|c| c.len() <= CHUNK));
        assert_eq!(keys(slot), (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn keys_put_back_come_first() {
        let mut due = Due::default();
        due.file(1, 1);
        due.file(2, 2);
        let (s, _) = due.take_until(1).unwrap();
        due.put_back(s, &[9]);
        let (s, slot) = due.take_until(5).unwrap();
        assert_eq!((s, keys(slot)), (1, vec![9]));
        let (s, slot) = due.take_until(5).unwrap();
        assert_eq!((s, keys(slot)), (2, vec![2]));
    }
}
