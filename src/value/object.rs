//! [`Object`]: the fields of an object value, in declaration order.
//!
//! Configuration objects are small (most have fewer than ten fields) and there are many of them,
//! so an object is a plain vector of entries searched linearly; a hash index is added only when
//! an object grows past [`INDEX_THRESHOLD`] fields (a map built by a comprehension over thousands
//! of keys). Compared with a general-purpose ordered hash map this halves the allocations and the
//! memory of a typical value tree; the fleet benchmark measures it.

use rustc_hash::FxHashMap;

use crate::syntax::ast::Name;
use crate::value::Value;

/// Past this many fields an object keeps a hash index of its keys.
pub const INDEX_THRESHOLD: usize = 16;

#[derive(Clone, Default)]
pub struct Object {
    entries: Vec<(Name, Value)>,
    index: Option<Box<FxHashMap<Name, usize>>>,
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    pub fn with_capacity(n: usize) -> Object {
        Object {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    /// An object from entries whose keys are known to be distinct.
    pub fn from_distinct(entries: Vec<(Name, Value)>) -> Object {
        debug_assert!(
            entries
                .iter()
                .enumerate()
                .all(|(i, (k, _))| entries[..i].iter().all(|(j, _)| j != k))
        );
        if entries.len() > INDEX_THRESHOLD {
            return entries.into_iter().collect();
        }
        Object {
            entries,
            index: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| &**k == key),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets a field: a new key goes last, an existing key keeps its place and gets the new
    /// value. Returns the old value.
    pub fn insert(&mut self, key: Name, value: Value) -> Option<Value> {
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        let i = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), i);
        } else if i >= INDEX_THRESHOLD {
            let mut index: FxHashMap<Name, usize> = FxHashMap::default();
            index.reserve(i * 2);
            for (j, (k, _)) in self.entries.iter().enumerate() {
                index.insert(k.clone(), j);
            }
            index.insert(key.clone(), i);
            self.index = Some(Box::new(index));
        }
        self.entries.push((key, value));
        None
    }

    /// The value at `key`, inserting `make()` first when the key is missing.
    pub fn get_or_insert_with(&mut self, key: Name, make: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                self.insert(key, make());
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.entries.iter(),
        }
    }

    /// The entry at position `i`, in order.
    pub fn entry(&self, i: usize) -> Option<(&Name, &Value)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Name> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl Drop for Object {
    /// Releases nested values on a fresh stack segment when the stack runs low (see `List`).
    fn drop(&mut self) {
        if self
            .entries
            .iter()
            .any(|(_, v)| matches!(v, Value::List(_) | Value::Object(_)))
        {
            let entries = std::mem::take(&mut self.entries);
            stacker::maybe_grow(
                crate::value::STACK_RED_ZONE,
                crate::value::STACK_SEGMENT,
                move || drop(entries),
            );
        }
    }
}

/// Iterates over `(key, value)` pairs in order.
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, (Name, Value)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Name, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Object {
    type Item = (&'a Name, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl FromIterator<(Name, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (Name, Value)>>(iter: I) -> Object {
        let mut o = Object::new();
        for (k, v) in iter {
            o.insert(k, v);
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn keeps_order_and_replaces_in_place() {
        let mut o = Object::new();
        for i in 0..40 {
            o.insert(Arc::from(format!("k{i}")), Value::Int(i));
        }
        o.insert(Arc::from("k3"), Value::Int(100));
        assert_eq!(o.len(), 40);
        assert_eq!(o.get("k3"), Some(&Value::Int(100)));
        assert_eq!(o.get("k39"), Some(&Value::Int(39)));
        assert_eq!(o.keys().nth(3).map(|k| &**k), Some("k3"));
        assert!(!o.contains_key("k40"));
    }
}
