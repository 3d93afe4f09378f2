//! JSON Schema (draft 2020-12) for Cairn types, so editors and other tools can validate
//! hand-written YAML or JSON against a program's schemas.
//!
//! Every schema of the program becomes a definition under `$defs`; schema references become
//! `$ref`s. Refinements map to `minimum`/`maximum`, `pattern`, `minLength`/`maxLength` and
//! `minItems`/`maxItems`; schemas are closed (`additionalProperties: false`); fields without a
//! default that are not optional are `required`. `check` clauses cannot be expressed in JSON
//! Schema: they are listed in the definition's `$comment`.

use serde_json::{Map, Value as Json, json};

use super::{NumRange, SchemaTy, Ty, TypeTable};
use crate::syntax::ast::{ExprKind, Literal};
use crate::value::Value;

pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A JSON Schema document with every schema of `table` under `$defs`; with `root`, the
/// document itself validates that schema.
pub fn document(table: &TypeTable, root: Option<&str>) -> Json {
    let mut defs = Map::new();
    for name in &table.order {
        if let Some(s) = table.schema(name) {
            defs.insert(name.to_string(), schema_def(s));
        }
    }
    let mut doc = Map::new();
    doc.insert("$schema".into(), json!(DIALECT));
    if let Some(r) = root {
        doc.insert("$ref".into(), json!(format!("#/$defs/{r}")));
    }
    doc.insert("$defs".into(), Json::Object(defs));
    Json::Object(doc)
}

fn schema_def(s: &SchemaTy) -> Json {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in &s.fields {
        let mut p = match of(&f.ty) {
            Json::Object(m) => m,
            Json::Bool(_) => Map::new(),
            other => {
                let mut m = Map::new();
                m.insert("allOf".into(), json!([other]));
                m
            }
        };
        if let Some(doc) = &f.doc {
            p.insert("description".into(), json!(doc));
        }
        if let Some(d) = f.default.as_ref().and_then(|d| literal(&d.kind)) {
            p.insert("default".into(), d);
        }
        props.insert(f.name.to_string(), Json::Object(p));
        if !f.optional && f.default.is_none() {
            required.push(json!(f.name.to_string()));
        }
    }
    let mut def = Map::new();
    def.insert("type".into(), json!("object"));
    def.insert("title".into(), json!(s.name.to_string()));
    if let Some(doc) = &s.doc {
        def.insert("description".into(), json!(doc));
    }
    def.insert("properties".into(), Json::Object(props));
    if !required.is_empty() {
        def.insert("required".into(), Json::Array(required));
    }
    def.insert("additionalProperties".into(), json!(false));
    if !s.checks.is_empty() {
        def.insert(
            "$comment".into(),
            json!(format!(
                "{} check(s) of the Cairn schema are not expressed here",
                s.checks.len()
            )),
        );
    }
    Json::Object(def)
}

fn literal(e: &ExprKind) -> Option<Json> {
    match e {
        ExprKind::Lit(Literal::Null) => Some(Json::Null),
        ExprKind::Lit(Literal::Bool(b)) => Some(json!(b)),
        ExprKind::Lit(Literal::Int(i)) => Some(json!(i)),
        ExprKind::Lit(Literal::Float(x)) => serde_json::Number::from_f64(*x).map(Json::Number),
        ExprKind::Lit(Literal::Str(s)) => Some(json!(s.to_string())),
        _ => None,
    }
}

fn value(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// The JSON Schema of a type.
pub fn of(t: &Ty) -> Json {
    match t {
        Ty::Any | Ty::Fn(..) => json!(true),
        Ty::Null => json!({"type": "null"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int => json!({"type": "integer"}),
        Ty::Float => json!({"type": "number"}),
        Ty::String => json!({"type": "string"}),
        Ty::Lit(v) => json!({"const": value(v)}),
        Ty::List(elem) => match of(elem) {
            Json::Bool(true) => json!({"type": "array"}),
            items => json!({"type": "array", "items": items}),
        },
        Ty::Map(elem) => match of(elem) {
            Json::Bool(true) => json!({"type": "object"}),
            items => json!({"type": "object", "additionalProperties": items}),
        },
        Ty::Record(fields) => {
            let mut props = Map::new();
            for (k, t) in fields.iter() {
                props.insert(k.to_string(), of(t));
            }
            let required: Vec<Json> = fields.iter().map(|(k, _)| json!(k.to_string())).collect();
            json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
        }
        Ty::Schema(name) => json!({"$ref": format!("#/$defs/{name}")}),
        Ty::Union(members) => {
            if members.iter().all(|m| matches!(m, Ty::Lit(_) | Ty::Null)) {
                let values: Vec<Json> = members
                    .iter()
                    .map(|m| match m {
                        Ty::Lit(v) => value(v),
                        _ => Json::Null,
                    })
                    .collect();
                json!({"enum": values})
            } else {
                json!({"anyOf": members.iter().map(of).collect::<Vec<_>>()})
            }
        }
        Ty::Refined(base, r) => {
            let mut m = match of(base) {
                Json::Object(m) => m,
                _ => Map::new(),
            };
            let is_list = matches!(**base, Ty::List(_));
            if let Some(range) = &r.range {
                bounds(&mut m, range, "minimum", "maximum", "exclusiveMaximum");
            }
            if let Some((pattern, _)) = &r.matches {
                m.insert("pattern".into(), json!(pattern));
            }
            if let Some(len) = &r.len {
                if is_list {
                    length(&mut m, len, "minItems", "maxItems");
                } else {
                    length(&mut m, len, "minLength", "maxLength");
                }
            }
            Json::Object(m)
        }
    }
}

fn number(x: f64, ints: bool) -> Json {
    if ints {
        json!(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

fn bounds(m: &mut Map<String, Json>, r: &NumRange, min: &str, max: &str, exclusive_max: &str) {
    if let Some(lo) = r.lo {
        m.insert(min.into(), number(lo, r.ints));
    }
    if let Some(hi) = r.hi {
        let key = if r.inclusive { max } else { exclusive_max };
        m.insert(key.into(), number(hi, r.ints));
    }
}

fn length(m: &mut Map<String, Json>, r: &NumRange, min: &str, max: &str) {
    if let Some(lo) = r.lo {
        m.insert(min.into(), json!(lo.max(0.0) as u64));
    }
    if let Some(hi) = r.hi {
        let hi = if r.inclusive { hi } else { hi - 1.0 };
        m.insert(max.into(), json!(hi.max(0.0) as u64));
    }
}
