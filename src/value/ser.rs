//! serde `Serialize` and `Deserialize` for [`Value`]: the bridge to serde_json, serde_yaml_ng
//! and any other serde format (used by `from_json`, `from_yaml` and the embedding API).

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{Object, Value};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.serialize_inner(s))
    }
}

impl Value {
    fn serialize_inner<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(x) => s.serialize_f64(*x),
            Value::Str(v) => s.serialize_str(v),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l.iter() {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o.iter() {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
            Value::Func(_) => Err(serde::ser::Error::custom("a function cannot be serialized")),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        match i64::try_from(u) {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Ok(Value::Float(u as f64)),
        }
    }

    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::from(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Object::default();
        while let Some(k) = map.next_key::<Value>()? {
            // YAML allows non-string keys; Cairn objects are keyed by strings.
            let key: Arc<str> = match k {
                Value::Str(s) => s,
                Value::Null => Arc::from("null"),
                Value::Bool(b) => Arc::from(b.to_string()),
                Value::Int(i) => Arc::from(i.to_string()),
                Value::Float(x) => Arc::from(crate::export::format_float(x)),
                _ => return Err(de::Error::custom("object keys must be scalars")),
            };
            let v = map.next_value::<Value>()?;
            obj.insert(key, v);
        }
        Ok(Value::object(obj))
    }
}

/// Deserializes a value whose size, counted as the evaluator counts the values it builds (a
/// list element 16 bytes, an object field 48, a string its length and 16), is at most `budget`
/// bytes. YAML's aliases can make a small text a huge value (one anchor used a thousand times
/// is copied a thousand times), so the size is counted as the value is built, not afterwards.
/// `Ok(None)` when the value would be larger; otherwise the value and its size.
pub(crate) fn deserialize_bounded<'de, D: Deserializer<'de>>(
    d: D,
    budget: u64,
) -> Result<Option<(Value, u64)>, D::Error> {
    let left = std::cell::Cell::new(budget);
    let over = std::cell::Cell::new(false);
    let seed = Bounded {
        left: &left,
        over: &over,
    };
    match de::DeserializeSeed::deserialize(seed, d) {
        Ok(v) => Ok(Some((v, budget - left.get()))),
        Err(_) if over.get() => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Clone, Copy)]
struct Bounded<'a> {
    left: &'a std::cell::Cell<u64>,
    over: &'a std::cell::Cell<bool>,
}

impl Bounded<'_> {
    fn take<E: de::Error>(&self, bytes: u64) -> Result<(), E> {
        match self.left.get().checked_sub(bytes) {
            Some(rest) => {
                self.left.set(rest);
                Ok(())
            }
            None => {
                self.over.set(true);
                Err(E::custom("the value is too large"))
            }
        }
    }
}

impl<'de> de::DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        ValueVisitor.visit_u64(u)
    }

    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.take(s.len() as u64 + 16)?;
        Ok(Value::str(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        self.take(s.len() as u64 + 16)?;
        Ok(Value::from(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            self.take(16)?;
            match seq.next_element_seed(self)? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Object::default();
        loop {
            self.take(48)?;
            let Some(k) = map.next_key_seed(self)? else {
                break;
            };
            let key: Arc<str> = match k {
                Value::Str(s) => s,
                Value::Null => Arc::from("null"),
                Value::Bool(b) => Arc::from(b.to_string()),
                Value::Int(i) => Arc::from(i.to_string()),
                Value::Float(x) => Arc::from(crate::export::format_float(x)),
                _ => return Err(de::Error::custom("object keys must be scalars")),
            };
            let v = map.next_value_seed(self)?;
            obj.insert(key, v);
        }
        Ok(Value::object(obj))
    }
}
