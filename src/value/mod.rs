//! Values: what evaluation produces and what crosses into a host program.
//!
//! A [`Value`] is cheap to clone (strings, lists and objects are shared behind `Arc`), is `Send`
//! and `Sync`, and keeps object keys in declaration order. It implements serde's `Serialize`,
//! `Deserialize` and (through [`de`]) `Deserializer`, so a host can read a configuration straight
//! into its own types.

pub mod de;
mod object;
mod ser;

pub use object::Object;
pub(crate) use ser::deserialize_bounded;

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use crate::eval::Func;
use crate::syntax::ast::Name;

/// The elements of a list value. Dropping one releases nested values on a fresh stack segment
/// when the stack runs low, so a deeply nested value never overflows the stack when released.
#[derive(Clone, Default, PartialEq)]
pub struct List(pub Vec<Value>);

impl std::ops::Deref for List {
    type Target = Vec<Value>;

    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl std::ops::DerefMut for List {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl Drop for List {
    fn drop(&mut self) {
        if self
            .0
            .iter()
            .any(|v| matches!(v, Value::List(_) | Value::Object(_)))
        {
            let items = std::mem::take(&mut self.0);
            stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, move || drop(items));
        }
    }
}

/// Recursion over values (drop, equality, export) continues on a new stack segment of
/// [`STACK_SEGMENT`] bytes when less than [`STACK_RED_ZONE`] is left.
pub(crate) const STACK_RED_ZONE: usize = 64 * 1024;
pub(crate) const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// An evaluated Cairn value.
#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Name),
    List(Arc<List>),
    Object(Arc<Object>),
    Func(Arc<Func>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(List(items)))
    }

    pub fn object(fields: Object) -> Value {
        Value::Object(Arc::new(fields))
    }

    pub fn empty_object() -> Value {
        Value::Object(Arc::new(Object::default()))
    }

    /// The name of the value's type, as the language spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::Bool(_) => "Bool",
            Value::Int(_) => "Int",
            Value::Float(_) => "Float",
            Value::Str(_) => "String",
            Value::List(_) => "List",
            Value::Object(_) => "Object",
            Value::Func(_) => "Function",
        }
    }

    /// The type with an article, for messages: `an Int`, `a String`, `null`.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Bool",
            Value::Int(_) => "an Int",
            Value::Float(_) => "a Float",
            Value::Str(_) => "a String",
            Value::List(_) => "a List",
            Value::Object(_) => "an Object",
            Value::Func(_) => "a Function",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Whether both are the same string, list, object or function in memory (not merely
    /// equal).
    pub fn same_allocation(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Arc::ptr_eq(a, b),
            (Value::List(a), Value::List(b)) => Arc::ptr_eq(a, b),
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            (Value::Func(a), Value::Func(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A field of an object; `None` for a missing field or a value that is not an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Orders two values of comparable types: numbers with numbers, strings with strings,
    /// booleans with booleans. `None` for anything else.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Float(b)) => cmp_int_float(*a, *b),
            (Value::Float(a), Value::Int(b)) => cmp_int_float(*b, *a).map(Ordering::reverse),
            (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Compares an Int with a Float exactly (converting the Int to a float would round large
/// integers).
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 as a float: every float at or beyond it is larger than any i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal if f > t => Some(Ordering::Less),
        Ordering::Equal if f < t => Some(Ordering::Greater),
        o => Some(o),
    }
}

impl PartialEq for Value {
    /// Structural equality; `1 == 1.0`; functions are equal only to themselves. Linear in the
    /// size of the values as they are in memory, even when parts are shared (see [`equal_with`]).
    fn eq(&self, other: &Value) -> bool {
        equal_with(self, other, &mut || true).unwrap_or(false)
    }
}

/// Structural equality (as `==`), calling `step` once for every pair of values compared;
/// `None` when `step` returns false (the budget ran out).
///
/// Values share parts (`let b = [a, a]`), so a value doubled 30 times is small in memory but a
/// billion elements as a tree. Lists and objects compared equal are remembered by address (for
/// the duration of the comparison, during which every value is borrowed and alive), so each
/// pair of shared parts is compared once and the work stays linear in what is in memory.
pub fn equal_with(a: &Value, b: &Value, step: &mut dyn FnMut() -> bool) -> Option<bool> {
    let mut eq = Equality { step, seen: None };
    eq.equal(a, b).ok()
}

struct Equality<'a> {
    step: &'a mut dyn FnMut() -> bool,
    /// Pairs of lists or objects known equal, by address.
    seen: Option<rustc_hash::FxHashSet<(usize, usize)>>,
}

/// The comparison was stopped by its budget.
struct Stopped;

impl Equality<'_> {
    fn equal(&mut self, a: &Value, b: &Value) -> Result<bool, Stopped> {
        if !(self.step)() {
            return Err(Stopped);
        }
        Ok(match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                cmp_int_float(*a, *b) == Some(Ordering::Equal)
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(x), Value::List(y)) => {
                if Arc::ptr_eq(x, y) {
                    return Ok(true);
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                let key = self.key(x, y);
                if self.known(key) {
                    return Ok(true);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    if !stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.equal(p, q))? {
                        return Ok(false);
                    }
                }
                self.remember(key);
                true
            }
            (Value::Object(x), Value::Object(y)) => {
                if Arc::ptr_eq(x, y) {
                    return Ok(true);
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                let key = self.key(x, y);
                if self.known(key) {
                    return Ok(true);
                }
                for (k, p) in x.iter() {
                    let Some(q) = y.get(k) else {
                        return Ok(false);
                    };
                    if !stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.equal(p, q))? {
                        return Ok(false);
                    }
                }
                self.remember(key);
                true
            }
            (Value::Func(a), Value::Func(b)) => Arc::ptr_eq(a, b),
            _ => false,
        })
    }

    /// The key of a pair worth remembering: only a shared value can be met again (a value held
    /// once is met as often as its parent, which is remembered if shared).
    fn key<T>(&self, x: &Arc<T>, y: &Arc<T>) -> Option<(usize, usize)> {
        (Arc::strong_count(x) > 1 || Arc::strong_count(y) > 1)
            .then_some((Arc::as_ptr(x) as usize, Arc::as_ptr(y) as usize))
    }

    fn known(&self, key: Option<(usize, usize)>) -> bool {
        match (key, &self.seen) {
            (Some(k), Some(seen)) => seen.contains(&k),
            _ => false,
        }
    }

    fn remember(&mut self, key: Option<(usize, usize)>) {
        if let Some(k) = key {
            self.seen.get_or_insert_with(Default::default).insert(k);
        }
    }
}

/// The size of `v` written out as YAML or JSON, in bytes, estimated from above for pretty JSON
/// (the longer of the two): a value used twice counts twice, indentation counts for every
/// line. Counts only up to a little past `limit` (it stops there), and takes time linear in
/// what is in memory, however often parts are shared.
pub fn output_size(v: &Value, limit: u64) -> u64 {
    let mut sizer = Sizer {
        limit,
        seen: rustc_hash::FxHashMap::default(),
    };
    sizer.size(v).bytes
}

/// What a value takes written out at indentation 0, and on how many lines (each line of a
/// value nested one level deeper takes two more bytes).
#[derive(Clone, Copy)]
struct Written {
    bytes: u64,
    lines: u64,
}

struct Sizer {
    limit: u64,
    /// Shared lists and objects already measured, by address.
    seen: rustc_hash::FxHashMap<usize, Written>,
}

impl Sizer {
    fn size(&mut self, v: &Value) -> Written {
        let one = |bytes: usize| Written {
            bytes: bytes as u64,
            lines: 1,
        };
        match v {
            Value::Null | Value::Bool(_) => one(5),
            Value::Int(i) => one(i
                .unsigned_abs()
                .checked_ilog10()
                .map_or(1, |d| d as usize + 1)
                + 1),
            Value::Float(_) => one(24),
            // Quotes, and escapes of a few characters: a string is not measured character by
            // character (an estimate; the writers keep to the limit exactly). Its lines are
            // counted: a text of many lines is indented line by line as a block scalar.
            Value::Str(s) => Written {
                bytes: s.len() as u64 + 2,
                lines: 1 + s.bytes().filter(|&b| b == b'\n').count() as u64,
            },
            Value::Func(_) => one(0),
            Value::List(l) => self.shared(l, |me| me.children(l.iter().map(|item| (0, item)))),
            Value::Object(o) => self.shared(o, |me| {
                me.children(o.iter().map(|(k, item)| (k.len() + 4, item)))
            }),
        }
    }

    fn shared<T>(&mut self, node: &Arc<T>, measure: impl FnOnce(&mut Sizer) -> Written) -> Written {
        let shared = Arc::strong_count(node) > 1;
        let addr = Arc::as_ptr(node) as usize;
        if shared && let Some(w) = self.seen.get(&addr) {
            return *w;
        }
        let w = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || measure(self));
        if shared {
            self.seen.insert(addr, w);
        }
        w
    }

    /// A list or an object: each child on its lines (indented one level, with `extra` bytes of
    /// key or punctuation), then the closing bracket on a line of its own.
    fn children<'v>(&mut self, items: impl Iterator<Item = (usize, &'v Value)>) -> Written {
        let mut total = Written { bytes: 4, lines: 1 };
        for (extra, item) in items {
            let w = self.size(item);
            total.bytes = total
                .bytes
                .saturating_add(w.bytes)
                .saturating_add(w.lines.saturating_mul(2))
                .saturating_add(extra as u64 + 2);
            total.lines = total.lines.saturating_add(w.lines);
            if total.bytes > self.limit {
                break;
            }
        }
        total
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&crate::export::format_float(*x)),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Object(o) => f
                .debug_map()
                .entries(o.iter().map(|(k, v)| (&**k, v)))
                .finish(),
            Value::Func(func) => write!(f, "<{}>", func.describe()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::list(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list holding `[1, 2]` at the bottom and, `depth` times over, the level below twice:
    /// `depth + 1` lists in memory, 2^(depth + 1) numbers as a tree.
    fn doubled(depth: usize) -> Value {
        let mut v = Value::list(vec![Value::Int(1), Value::Int(2)]);
        for _ in 0..depth {
            v = Value::list(vec![v.clone(), v]);
        }
        v
    }

    #[test]
    fn equality_is_linear_in_what_is_in_memory() {
        let (a, b) = (doubled(60), doubled(60));
        let mut steps = 0u64;
        assert_eq!(
            equal_with(&a, &b, &mut || {
                steps += 1;
                true
            }),
            Some(true)
        );
        assert!(steps < 1000, "{steps} steps");
        assert!(a == b);
        assert!(a != doubled(59));
        // A budget stops it: `None`, not an answer.
        let mut left = 10;
        let long = Value::list((0..100).map(Value::Int).collect());
        let other = Value::list((0..100).map(Value::Int).collect());
        assert_eq!(
            equal_with(&long, &other, &mut || {
                left -= 1;
                left > 0
            }),
            None
        );
        // `1 == 1.0`, objects whatever their order.
        let mut x = Object::new();
        x.insert(Arc::from("a"), Value::Int(1));
        x.insert(Arc::from("b"), Value::Float(2.0));
        let mut y = Object::new();
        y.insert(Arc::from("b"), Value::Int(2));
        y.insert(Arc::from("a"), Value::Float(1.0));
        assert!(Value::object(x) == Value::object(y));
    }

    #[test]
    fn output_size_counts_shared_parts_at_every_use() {
        // 2^61 numbers: counted without walking them, and stopped past the limit.
        assert!(output_size(&doubled(60), 1 << 20) > 1 << 20);
        // Small values: about what they take written out.
        let small = Value::list(vec![Value::str("web"), Value::Int(80)]);
        let size = output_size(&small, u64::MAX);
        assert!((10..100).contains(&size), "{size}");
        // Nesting costs indentation on every line.
        let mut deep = Value::Int(1);
        for _ in 0..1000 {
            deep = Value::list(vec![deep]);
        }
        assert!(output_size(&deep, u64::MAX) > 1_000_000);
        // Lines of text are indented too.
        let text = Value::list(vec![Value::list(vec![Value::str(&"x\n".repeat(1000))])]);
        assert!(output_size(&text, u64::MAX) > 6000);
    }

    #[test]
    fn same_allocation_is_identity_not_equality() {
        let a = Value::str("x");
        assert!(a.same_allocation(&a.clone()));
        assert!(!a.same_allocation(&Value::str("x")));
        assert!(!Value::Int(1).same_allocation(&Value::Int(1)));
    }
}
