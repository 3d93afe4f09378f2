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
    /// Structural equality; `1 == 1.0`; functions are equal only to themselves.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                cmp_int_float(*a, *b) == Some(Ordering::Equal)
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                Arc::ptr_eq(a, b)
                    || stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || a.0 == b.0)
            }
            (Value::Object(a), Value::Object(b)) => {
                Arc::ptr_eq(a, b)
                    || (a.len() == b.len()
                        && stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
                            a.iter().all(|(k, v)| b.get(k) == Some(v))
                        }))
            }
            (Value::Func(a), Value::Func(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
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
