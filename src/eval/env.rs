//! Local scopes: a persistent linked list of bindings.
//!
//! Extending a scope allocates one node and never copies; closures capture a scope by cloning
//! one `Arc`. Lookups walk from the innermost binding outwards, so shadowing works naturally.
//! Module-level names are not in here: the evaluator resolves them lazily (see `Globals`).

use std::sync::Arc;

use crate::syntax::ast::Name;
use crate::value::Value;

#[derive(Clone, Default)]
pub struct Env(Option<Arc<Node>>);

struct Node {
    name: Name,
    value: Value,
    parent: Env,
}

impl Env {
    pub fn new() -> Env {
        Env(None)
    }

    /// A new scope with `name` bound in front of `self`.
    #[must_use]
    pub fn bind(&self, name: Name, value: Value) -> Env {
        Env(Some(Arc::new(Node {
            name,
            value,
            parent: self.clone(),
        })))
    }

    pub fn lookup(&self, name: &str) -> Option<&Value> {
        self.lookup_counted(name).0
    }

    /// [`Env::lookup`], and how many bindings it passed (a lookup through a long chain is
    /// work, which the evaluator counts against its budget).
    pub fn lookup_counted(&self, name: &str) -> (Option<&Value>, usize) {
        let mut cur = self.0.as_deref();
        let mut passed = 0;
        while let Some(node) = cur {
            if &*node.name == name {
                return (Some(&node.value), passed);
            }
            passed += 1;
            cur = node.parent.0.as_deref();
        }
        (None, passed)
    }

    /// Every bound name, innermost first (for did-you-mean suggestions).
    pub fn names(&self) -> Vec<Name> {
        let mut out = Vec::new();
        let mut cur = self.0.as_deref();
        while let Some(node) = cur {
            out.push(node.name.clone());
            cur = node.parent.0.as_deref();
        }
        out
    }
}

impl Drop for Env {
    /// Drops long chains iteratively: a scope built by a deep recursion must not overflow the
    /// stack when it is released.
    fn drop(&mut self) {
        let mut cur = self.0.take();
        while let Some(node) = cur {
            match Arc::try_unwrap(node) {
                Ok(mut n) => cur = n.parent.0.take(),
                Err(_) => break,
            }
        }
    }
}
