//! Copy-on-write collections for the chat state: [`SharedMap`] (a [`SortedMap`]) and
//! [`SharedList`] (a `Vec`) behind an `Rc`.
//!
//! The reducer makes a new [`super::ChatState`] for every action, and the views compare the
//! old one with the new one to decide what to draw again. Cloning a shared collection is a
//! reference-count bump, and two clones that nobody changed compare equal by pointer without
//! looking inside. The first change through a clone copies that one collection
//! (`Rc::make_mut`), so a new message copies its own room's log once and nothing else.
//!
//! Why not a persistent map (`imbl`), which copies only the path to the changed entry: it
//! was 39 KB of the chat's wasm (15 KB gzipped, measured by building without it), and the
//! copy of one room's log costs no more than what follows it anyway, since the message list
//! draws every message of the room on each change.

use crate::sorted::SortedMap;
use std::{
    fmt,
    ops::{Deref, DerefMut},
    rc::Rc,
};

/// A collection shared between states until one of them changes it.
pub struct Shared<T>(Rc<T>);

/// A sorted map shared between states until one of them changes it.
pub type SharedMap<K, V> = Shared<SortedMap<K, V>>;

/// A list shared between states until one of them changes it.
pub type SharedList<T> = Shared<Vec<T>>;

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Self(Rc::default())
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Changing copies the collection first if another state still holds it.
impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Rc::make_mut(&mut self.0)
    }
}

/// Equal by pointer first: an unchanged collection is the very one the last state held.
impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: FromIterator<A>, A> FromIterator<A> for Shared<T> {
    fn from_iter<I: IntoIterator<Item = A>>(iter: I) -> Self {
        Self(Rc::new(iter.into_iter().collect()))
    }
}

impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.0.as_ref().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_change_copies_only_the_changed_clone() {
        let mut first: SharedMap<u64, &str> = [(1, "a")].into_iter().collect();
        let kept = first.clone();
        assert_eq!(first, kept, "clones compare equal");
        first.insert(2, "b");
        assert_eq!(kept.len(), 1, "the other clone is unchanged");
        assert_eq!(first.len(), 2);
        assert_ne!(first, kept);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn equal_contents_compare_equal_without_sharing() {
        let one: SharedList<u8> = vec![1, 2].into_iter().collect();
        let other: SharedList<u8> = vec![1, 2].into_iter().collect();
        assert_eq!(one, other);
        let mut changed = one.clone();
        changed.push(3);
        assert_ne!(one, changed);
    }
}
