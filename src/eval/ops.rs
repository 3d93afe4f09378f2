//! Operators on values. Integer arithmetic is checked: Cairn never wraps around silently, and a
//! float result that is not finite is an overflow too.

use std::sync::Arc;

use crate::syntax::ast::{BinaryOp, UnaryOp};
use crate::value::Value;

pub(crate) enum OpError {
    Types,
    Overflow,
    DivZero,
    TooLarge,
}

/// The longest string a program may build, in bytes.
pub const MAX_STRING: usize = 64 * 1024 * 1024;
/// The longest list a program may build.
pub const MAX_LIST: usize = 10_000_000;

pub(crate) fn unary(op: UnaryOp, v: Value) -> Result<Value, OpError> {
    match (op, v) {
        (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::Neg, Value::Int(i)) => i.checked_neg().map(Value::Int).ok_or(OpError::Overflow),
        (UnaryOp::Neg, Value::Float(x)) => Ok(Value::Float(-x)),
        _ => Err(OpError::Types),
    }
}

fn float(x: f64) -> Result<Value, OpError> {
    if x.is_finite() {
        Ok(Value::Float(x))
    } else {
        Err(OpError::Overflow)
    }
}

pub(crate) fn binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value, OpError> {
    use BinaryOp::*;
    use Value::*;
    match op {
        Eq => return Ok(Bool(l == r)),
        Ne => return Ok(Bool(l != r)),
        Lt | Le | Gt | Ge => {
            let ord = l.compare(r).ok_or(OpError::Types)?;
            return Ok(Bool(match op {
                Lt => ord.is_lt(),
                Le => ord.is_le(),
                Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }));
        }
        _ => {}
    }
    match (l, r) {
        (Int(a), Int(b)) => {
            let (a, b) = (*a, *b);
            let v = match op {
                Add => a.checked_add(b),
                Sub => a.checked_sub(b),
                Mul => a.checked_mul(b),
                Div | Rem if b == 0 => return Err(OpError::DivZero),
                Div => a.checked_div(b),
                Rem => a.checked_rem(b),
                _ => return Err(OpError::Types),
            };
            v.map(Int).ok_or(OpError::Overflow)
        }
        (Int(_) | Float(_), Int(_) | Float(_)) => {
            let a = as_f64(l);
            let b = as_f64(r);
            match op {
                Add => float(a + b),
                Sub => float(a - b),
                Mul => float(a * b),
                Div | Rem if b == 0.0 => Err(OpError::DivZero),
                Div => float(a / b),
                Rem => float(a % b),
                _ => Err(OpError::Types),
            }
        }
        (Str(a), Str(b)) if op == Add => {
            if a.len() + b.len() > MAX_STRING {
                return Err(OpError::TooLarge);
            }
            let mut s = String::with_capacity(a.len() + b.len());
            s.push_str(a);
            s.push_str(b);
            Ok(Str(Arc::from(s)))
        }
        (List(a), List(b)) if op == Add => {
            if a.len() + b.len() > MAX_LIST {
                return Err(OpError::TooLarge);
            }
            let mut v = Vec::with_capacity(a.len() + b.len());
            v.extend(a.iter().cloned());
            v.extend(b.iter().cloned());
            Ok(Value::list(v))
        }
        _ => Err(OpError::Types),
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(x) => *x,
        _ => 0.0,
    }
}
