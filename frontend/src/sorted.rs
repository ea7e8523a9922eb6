//! Sorted maps and sets kept in one `Vec`: [`SortedMap`] and [`SortedSet`], the client's
//! stand-ins for std's `BTreeMap` and `BTreeSet`.
//!
//! Why not the std ones: each key and value type a `BTreeMap` is used with gets its own copy
//! of the tree's node code (splits, merges, rebalancing on remove), and the chat used nine
//! such pairs: about 59 KB of its wasm. A sorted `Vec` needs only a binary search and
//! `Vec::insert`/`Vec::remove` per pair. The maps here are small (the rooms one has joined,
//! the people in a room) or grow at their end (a room's log, by ascending id), where an
//! insert is a push; an insert or remove in the middle moves the entries after it, which for
//! a few thousand entries costs less than the redraw that follows every change anyway.
//!
//! Iteration is in key order, as with the std collections, and two maps are equal when they
//! hold the same entries.
//!
//! [`sort_by`] sorts a short list the same way, by inserting each item where a binary search
//! puts it: std's stable sort is about 4 KB of wasm for each type it sorts.

use std::{borrow::Borrow, cmp::Ordering, iter::Map, slice};

/// A map ordered by key, its entries in one `Vec` sorted by key with no key twice.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

/// Borrows an entry's two halves, as the map's iterators yield them.
type EntryRef<'a, K, V> = fn(&'a (K, V)) -> (&'a K, &'a V);

/// The map's iterator, in key order.
pub type Iter<'a, K, V> = Map<slice::Iter<'a, (K, V)>, EntryRef<'a, K, V>>;

fn entry_ref<K, V>((key, value): &(K, V)) -> (&K, &V) {
    (key, value)
}

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `key` is, or where it would go.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(&self.entries[at].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(&mut self.entries[at].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value, returning the one it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted first with `make` if the map has none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.entries.insert(at, (key, make()));
                at
            }
        };
        &mut self.entries[at].1
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(self.entries.remove(at).1)
    }

    /// Keeps only the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(key, value)| keep(key, value));
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(entry_ref as EntryRef<'_, K, V>)
    }

    /// The entries from `key` on (`key` included), in key order.
    pub fn iter_from(&self, key: &K) -> Iter<'_, K, V> {
        let at = self.find(key).unwrap_or_else(|at| at);
        self.entries[at..]
            .iter()
            .map(entry_ref as EntryRef<'_, K, V>)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.entries.iter().map(|(key, _)| key)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.entries.iter().map(|(_, value)| value)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, value)| value)
    }

    /// The values, in key order.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> {
        self.entries.into_iter().map(|(_, value)| value)
    }

    /// The entry with the smallest key.
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(entry_ref)
    }

    /// The entry with the largest key.
    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.entries.last().map(entry_ref)
    }
}

/// Later entries win over earlier ones with the same key, as with `BTreeMap`.
impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        map.extend(iter);
        map
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.insert(key, value);
        }
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A set ordered by value: a [`SortedMap`] to nothing.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SortedSet<T> {
    map: SortedMap<T, ()>,
}

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        Self {
            map: SortedMap::default(),
        }
    }
}

impl<T: Ord> SortedSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.contains_key(value)
    }

    /// The values in order (the views only ask whether one is there).
    #[cfg(test)]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.map.keys()
    }

    /// Adds `value`; false if the set had it already.
    pub fn insert(&mut self, value: T) -> bool {
        self.map.insert(value, ()).is_none()
    }

    /// Takes `value` out; false if the set did not have it.
    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.remove(value).is_some()
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for value in iter {
            self.insert(value);
        }
    }
}

/// Sorts `items` by `compare`, keeping equal items in their order (as `slice::sort_by`
/// does). Each item is inserted into the sorted ones before it: O(n log n) comparisons and
/// O(n²) moves, which for the lists sorted here (tokens, a room's members, direct messages)
/// is less than drawing them.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    for end in 1..items.len() {
        let (sorted, rest) = items.split_at(end);
        let at = sorted.partition_point(|item| compare(item, &rest[0]) != Ordering::Greater);
        items[at..=end].rotate_right(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn entries_come_out_in_key_order_whatever_order_they_went_in() {
        let map: SortedMap<u64, &str> = [(3, "c"), (1, "a"), (2, "b")].into_iter().collect();
        let entries: Vec<_> = map.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(entries, [(1, "a"), (2, "b"), (3, "c")]);
        assert_eq!(map.first_key_value(), Some((&1, &"a")));
        assert_eq!(map.last_key_value(), Some((&3, &"c")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_key_is_held_once_and_the_latest_value_wins() {
        let mut map: SortedMap<u64, &str> = [(1, "a"), (1, "b")].into_iter().collect();
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(&1), Some(&"b"));
        assert_eq!(map.insert(1, "c"), Some("b"));
        assert_eq!(map.insert(0, "z"), None);
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), [0, 1]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn remove_and_retain_keep_the_rest_in_order() {
        let mut map: SortedMap<u64, u64> = (1..=6).map(|k| (k, k * 10)).collect();
        assert_eq!(map.remove(&3), Some(30));
        assert_eq!(map.remove(&3), None);
        map.retain(|key, value| {
            *value += 1;
            key % 2 == 0
        });
        let entries: Vec<_> = map.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(entries, [(2, 21), (4, 41), (6, 61)]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn iter_from_starts_at_the_key_or_the_next_one_after_it() {
        let map: SortedMap<u64, ()> = [2, 4, 6].into_iter().map(|k| (k, ())).collect();
        let from = |key| map.iter_from(&key).map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(from(4), [4, 6]);
        assert_eq!(from(5), [6]);
        assert_eq!(from(0), [2, 4, 6]);
        assert_eq!(from(7), Vec::<u64>::new());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn get_or_insert_with_makes_a_value_only_when_missing() {
        let mut map: SortedMap<&str, u64> = SortedMap::new();
        *map.get_or_insert_with("b", || 1) += 1;
        *map.get_or_insert_with("b", || 100) += 1;
        *map.get_or_insert_with("a", u64::default) += 5;
        let entries: Vec<_> = map.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(entries, [("a", 5), ("b", 3)]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sort_by_sorts_and_keeps_equal_items_in_their_order() {
        let mut items = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        sort_by(&mut items, |a, b| a.0.cmp(&b.0));
        assert_eq!(
            items,
            [(0, 'f'), (1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]
        );
        let mut reversed: Vec<u32> = (0..50).rev().collect();
        sort_by(&mut reversed, u32::cmp);
        assert_eq!(reversed, (0..50).collect::<Vec<_>>());
        sort_by(&mut [] as &mut [u8], u8::cmp);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_set_holds_each_value_once_in_order() {
        let mut set: SortedSet<&str> = ["b", "a", "b"].into_iter().collect();
        assert_eq!(set, ["a", "b"].into_iter().collect());
        assert!(set.contains("a"));
        assert!(!set.insert("a"), "already there");
        assert!(set.insert("c"));
        assert!(set.remove("b"));
        assert!(!set.remove("b"), "already gone");
        assert_eq!(set, ["c", "a"].into_iter().collect());
        set.clear();
        assert!(!set.contains("a"));
    }
}
