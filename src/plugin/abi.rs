//! The value encoding of plugin ABI version 1: how Cairn values cross into and out of a
//! plugin's linear memory.
//!
//! One value is a tag byte followed by its payload; all numbers are little-endian:
//!
//! | tag | value | payload |
//! |---|---|---|
//! | `0x00` | null | — |
//! | `0x01` | `false` | — |
//! | `0x02` | `true` | — |
//! | `0x03` | Int | 8 bytes, two's complement |
//! | `0x04` | Float | 8 bytes, IEEE 754 binary64 |
//! | `0x05` | String | `u32` byte length, UTF-8 bytes |
//! | `0x06` | List | `u32` element count, the elements |
//! | `0x07` | Object | `u32` field count, then per field: `u32` key length, UTF-8 key, value |
//! | `0x08` | error (results only) | `u32` byte length, UTF-8 message |
//!
//! Decoding trusts nothing: every length is checked against the bytes that are left, tags,
//! UTF-8 and duplicate keys are checked, nesting stops at [`MAX_DEPTH`], lists and strings stop
//! at the limits every value has (10,000,000 elements, 64 MiB), and the whole buffer must be
//! consumed. A violation is a [`Malformed`] naming the byte offset, never a panic.

use std::sync::Arc;

use crate::value::{Object, Value};

/// The ABI version this host speaks; a plugin's manifest must name it.
pub const VERSION: u32 = 1;

/// Lists and objects nest at most this deep in either direction.
pub const MAX_DEPTH: usize = 128;

pub const NULL: u8 = 0x00;
pub const FALSE: u8 = 0x01;
pub const TRUE: u8 = 0x02;
pub const INT: u8 = 0x03;
pub const FLOAT: u8 = 0x04;
pub const STRING: u8 = 0x05;
pub const LIST: u8 = 0x06;
pub const OBJECT: u8 = 0x07;
pub const ERROR: u8 = 0x08;

/// Why a value could not be encoded for a plugin.
#[derive(Debug, PartialEq)]
pub enum Unencodable {
    Function,
    TooLarge,
    TooDeep,
}

/// Appends the encoding of `v` to `out`.
pub fn encode(v: &Value, out: &mut Vec<u8>) -> Result<(), Unencodable> {
    encode_at(v, out, 0)
}

fn encode_at(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), Unencodable> {
    match v {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Int(i) => {
            out.push(INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Str(s) => {
            out.push(STRING);
            bytes(s.as_bytes(), out)?;
        }
        Value::List(items) => {
            if depth >= MAX_DEPTH {
                return Err(Unencodable::TooDeep);
            }
            out.push(LIST);
            length(items.len(), out)?;
            for item in items.iter() {
                encode_at(item, out, depth + 1)?;
            }
        }
        Value::Object(fields) => {
            if depth >= MAX_DEPTH {
                return Err(Unencodable::TooDeep);
            }
            out.push(OBJECT);
            length(fields.len(), out)?;
            for (k, v) in fields.iter() {
                bytes(k.as_bytes(), out)?;
                encode_at(v, out, depth + 1)?;
            }
        }
        Value::Func(_) => return Err(Unencodable::Function),
    }
    Ok(())
}

fn length(n: usize, out: &mut Vec<u8>) -> Result<(), Unencodable> {
    let n = u32::try_from(n).map_err(|_| Unencodable::TooLarge)?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn bytes(b: &[u8], out: &mut Vec<u8>) -> Result<(), Unencodable> {
    length(b.len(), out)?;
    out.extend_from_slice(b);
    Ok(())
}

/// A result a plugin returned that does not follow the encoding.
#[derive(Debug, PartialEq)]
pub struct Malformed {
    /// The byte offset in the result where decoding stopped.
    pub offset: usize,
    pub why: String,
}

/// What a plugin function returned: a value, or an error it reports itself.
#[derive(Debug)]
pub enum Returned {
    Value(Value),
    Error(String),
}

/// Decodes a whole result buffer.
pub fn decode_result(buf: &[u8]) -> Result<Returned, Malformed> {
    let mut r = Reader { buf, at: 0 };
    let out = if buf.first() == Some(&ERROR) {
        r.at = 1;
        Returned::Error(r.string()?.to_string())
    } else {
        Returned::Value(r.value(0)?)
    };
    if r.at != buf.len() {
        return Err(r.bad(format!(
            "{} bytes left over after the value",
            buf.len() - r.at
        )));
    }
    Ok(out)
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bad(&self, why: impl Into<String>) -> Malformed {
        Malformed {
            offset: self.at,
            why: why.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                self.bad(format!(
                    "needs {n} more bytes, but only {} are left",
                    self.buf.len() - self.at
                ))
            })?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<usize, Malformed> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn eight(&mut self) -> Result<[u8; 8], Malformed> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(a)
    }

    fn string(&mut self) -> Result<&'a str, Malformed> {
        let start = self.at;
        let n = self.u32()?;
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|e| Malformed {
            offset: start + 4 + e.valid_up_to(),
            why: "a string is not valid UTF-8".into(),
        })
    }

    /// A count of elements, each at least one byte: a count larger than what is left cannot
    /// be right, and must not make us reserve memory for it.
    fn count(&mut self, per_item: usize) -> Result<usize, Malformed> {
        let n = self.u32()?;
        let left = self.buf.len() - self.at;
        if n.saturating_mul(per_item) > left {
            self.at -= 4;
            return Err(self.bad(format!(
                "a count of {n} elements does not fit in the {left} bytes left"
            )));
        }
        Ok(n)
    }

    fn value(&mut self, depth: usize) -> Result<Value, Malformed> {
        let tag = *self.take(1)?.first().unwrap_or(&0);
        Ok(match tag {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => Value::Int(i64::from_le_bytes(self.eight()?)),
            FLOAT => Value::Float(f64::from_le_bytes(self.eight()?)),
            STRING => {
                let at = self.at;
                let text = self.string()?;
                if text.len() > crate::eval::ops::MAX_STRING {
                    self.at = at;
                    return Err(self.bad(format!(
                        "a string of {} bytes is longer than the {} a value may have",
                        text.len(),
                        crate::eval::ops::MAX_STRING
                    )));
                }
                Value::Str(Arc::from(text))
            }
            LIST | OBJECT if depth >= MAX_DEPTH => {
                self.at -= 1;
                return Err(self.bad(format!("lists and objects nest deeper than {MAX_DEPTH}")));
            }
            LIST => {
                let n = self.count(1)?;
                if n > crate::eval::ops::MAX_LIST {
                    self.at -= 4;
                    return Err(self.bad(format!(
                        "a list of {n} elements is longer than the {} a value may have",
                        crate::eval::ops::MAX_LIST
                    )));
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::list(items)
            }
            OBJECT => {
                // A field is at least a 4-byte key length and a 1-byte value.
                let n = self.count(5)?;
                let mut fields = Object::with_capacity(n);
                for _ in 0..n {
                    let at = self.at;
                    let key = self.string()?;
                    let value = self.value(depth + 1)?;
                    if fields.insert(Arc::from(key), value).is_some() {
                        return Err(Malformed {
                            offset: at,
                            why: format!("the key `{key}` appears twice in one object"),
                        });
                    }
                }
                Value::Object(Arc::new(fields))
            }
            ERROR => {
                self.at -= 1;
                return Err(self.bad("an error tag is only allowed as the whole result"));
            }
            other => {
                self.at -= 1;
                return Err(self.bad(format!("unknown tag 0x{other:02x}")));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_past_the_value_limit_is_malformed() {
        let n = crate::eval::ops::MAX_LIST + 1;
        let mut buf = vec![LIST];
        buf.extend_from_slice(&u32::try_from(n).expect("fits").to_le_bytes());
        buf.resize(buf.len() + n, NULL);
        let err = decode_result(&buf).expect_err("too long");
        assert!(err.why.contains("longer than the 10000000"), "{}", err.why);
        assert_eq!(err.offset, 1);
        // One element fewer is a value.
        buf[1..5].copy_from_slice(&u32::try_from(n - 1).expect("fits").to_le_bytes());
        buf.pop();
        assert!(decode_result(&buf).is_ok());
    }

    fn round_trip(v: Value) {
        let mut buf = Vec::new();
        encode(&v, &mut buf).expect("encodes");
        match decode_result(&buf) {
            Ok(Returned::Value(back)) => assert_eq!(back, v),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_kind_of_value_round_trips() {
        round_trip(Value::Null);
        round_trip(Value::Bool(true));
        round_trip(Value::Bool(false));
        round_trip(Value::Int(i64::MIN));
        round_trip(Value::Float(-0.5));
        round_trip(Value::str("héllo"));
        let mut o = Object::new();
        o.insert(
            Arc::from("a"),
            Value::list(vec![Value::Int(1), Value::Null]),
        );
        o.insert(Arc::from(""), Value::str(""));
        round_trip(Value::Object(Arc::new(o)));
    }

    #[test]
    fn the_encoding_is_the_documented_one() {
        let mut buf = Vec::new();
        encode(
            &Value::list(vec![Value::str("ab"), Value::Int(-1)]),
            &mut buf,
        )
        .expect("ok");
        assert_eq!(
            buf,
            [
                6, 2, 0, 0, 0, 5, 2, 0, 0, 0, b'a', b'b', 3, 255, 255, 255, 255, 255, 255, 255, 255
            ]
        );
    }

    #[test]
    fn malformed_results_say_where() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "needs 1 more bytes, but only 0 are left"),
            (&[0x42], "unknown tag 0x42"),
            (
                &[5, 3, 0, 0, 0, b'a'],
                "needs 3 more bytes, but only 1 are left",
            ),
            (&[5, 1, 0, 0, 0, 0xff], "a string is not valid UTF-8"),
            (&[6, 255, 255, 255, 255], "does not fit"),
            (&[0, 0], "1 bytes left over after the value"),
            (
                &[6, 1, 0, 0, 0, 8, 0, 0, 0, 0],
                "only allowed as the whole result",
            ),
            (
                &[7, 2, 0, 0, 0, 1, 0, 0, 0, b'k', 0, 1, 0, 0, 0, b'k', 0],
                "appears twice",
            ),
        ];
        for (buf, want) in cases {
            match decode_result(buf) {
                Err(m) => assert!(m.why.contains(want), "{buf:?}: {m:?}"),
                Ok(v) => panic!("{buf:?} decoded to {v:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_both_ways() {
        let mut buf = [LIST, 1, 0, 0, 0].repeat(MAX_DEPTH + 1);
        buf.push(NULL);
        let err = decode_result(&buf).expect_err("too deep");
        assert!(err.why.contains("nest deeper"), "{err:?}");
        let mut v = Value::Null;
        for _ in 0..=MAX_DEPTH {
            v = Value::list(vec![v]);
        }
        assert_eq!(encode(&v, &mut Vec::new()), Err(Unencodable::TooDeep));
    }

    #[test]
    fn a_plugin_error_is_its_message() {
        let buf = [8, 4, 0, 0, 0, b'n', b'o', b'p', b'e'];
        match decode_result(&buf) {
            Ok(Returned::Error(m)) => assert_eq!(m, "nope"),
            other => panic!("{other:?}"),
        }
    }
}
