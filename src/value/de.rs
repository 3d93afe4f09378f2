//! serde `Deserializer` over [`Value`], so a host deserializes a configuration into its own
//! types. Errors carry the path of the value that did not fit (`services[1].port`).

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::Value;

/// A deserialization error: what went wrong, and where in the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    /// The path of the value that did not fit, like `services[1].port`; empty for the root.
    pub path: String,
    pub message: String,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> DeError {
        DeError {
            path: String::new(),
            message: msg.to_string(),
        }
    }
}

/// Deserializes a `T` from a value.
pub fn from_value<'de, T: serde::Deserialize<'de>>(value: &'de Value) -> Result<T, DeError> {
    T::deserialize(ValueDeserializer {
        value,
        path: String::new(),
    })
}

/// A deserializer over a borrowed value that knows where in the whole value it is.
pub struct ValueDeserializer<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> ValueDeserializer<'a> {
    pub fn new(value: &'a Value) -> ValueDeserializer<'a> {
        ValueDeserializer {
            value,
            path: String::new(),
        }
    }

    fn at(&self, e: DeError) -> DeError {
        if e.path.is_empty() && !self.path.is_empty() {
            DeError {
                path: self.path.clone(),
                message: e.message,
            }
        } else {
            e
        }
    }

    fn child_field(&self, key: &str) -> String {
        let simple = key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        match (self.path.is_empty(), simple) {
            (true, true) => key.to_string(),
            (false, true) => format!("{}.{}", self.path, key),
            (_, false) => format!("{}[{:?}]", self.path, key),
        }
    }
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.any(visitor))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.enum_value(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> ValueDeserializer<'de> {
    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(x) => visitor.visit_f64(*x),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::List(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
                path: &self.path,
            }),
            Value::Object(o) => visitor.visit_map(Map {
                iter: o.iter(),
                pending: None,
                parent: &self,
            }),
            Value::Func(_) => Err(de::Error::custom("a function cannot be deserialized")),
        };
        r.map_err(|e| self.at(e))
    }

    fn enum_value<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = match self.value {
            Value::Str(s) => visitor.visit_enum(s.as_ref().into_deserializer()),
            Value::Object(o) if o.len() == 1 => {
                let Some((k, v)) = o.iter().next() else {
                    return Err(self.at(de::Error::custom("expected an enum")));
                };
                let path = self.child_field(k);
                visitor.visit_enum(Enum {
                    variant: k,
                    value: v,
                    path,
                })
            }
            other => Err(de::Error::custom(format!(
                "expected a string or an object with one field for an enum, found {}",
                other.type_name()
            ))),
        };
        r.map_err(|e| self.at(e))
    }
}

struct Seq<'a, 'p> {
    items: std::slice::Iter<'a, Value>,
    index: usize,
    path: &'p str,
}

impl<'de> SeqAccess<'de> for Seq<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(v) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{}]", self.path, self.index);
        self.index += 1;
        seed.deserialize(ValueDeserializer { value: v, path })
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a, 'p> {
    iter: super::object::Iter<'a>,
    pending: Option<(&'a str, &'a Value)>,
    parent: &'p ValueDeserializer<'a>,
}

impl<'de> MapAccess<'de> for Map<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.iter.next() else {
            return Ok(None);
        };
        self.pending = Some((k, v));
        let key: &'de str = k;
        seed.deserialize(de::value::BorrowedStrDeserializer::<DeError>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((k, v)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        let path = self.parent.child_field(k);
        seed.deserialize(ValueDeserializer { value: v, path })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct Enum<'a> {
    variant: &'a str,
    value: &'a Value,
    path: String,
}

impl<'de> EnumAccess<'de> for Enum<'de> {
    type Error = DeError;
    type Variant = ValueDeserializer<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, ValueDeserializer<'de>), DeError> {
        let v = seed.deserialize(de::value::BorrowedStrDeserializer::<DeError>::new(
            self.variant,
        ))?;
        Ok((
            v,
            ValueDeserializer {
                value: self.value,
                path: self.path,
            },
        ))
    }
}

impl<'de> VariantAccess<'de> for ValueDeserializer<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            Value::Null => Ok(()),
            _ => Err(self.at(de::Error::custom("expected no value for a unit variant"))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
}

impl<'de> IntoDeserializer<'de, DeError> for &'de Value {
    type Deserializer = ValueDeserializer<'de>;

    fn into_deserializer(self) -> ValueDeserializer<'de> {
        ValueDeserializer::new(self)
    }
}
