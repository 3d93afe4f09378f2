//! Importers: other formats turned into readable Cairn source.
//!
//! - [`schema`]: JSON Schema, OpenAPI (v2 `definitions`, v3 `components.schemas`) and
//!   Kubernetes CustomResourceDefinitions into `schema` and `type` declarations
//!   (`cairn import jsonschema` / `cairn import openapi`; it generates `std.k8s`).
//! - [`yaml`]: YAML documents into a program that exports the same data
//!   (`cairn import yaml`), typed with `std.k8s` where the kind is known.
//!
//! Both write text; the helpers here spell keys, names and strings the way the grammar reads
//! them back.

pub mod schema;
pub mod yaml;

pub use crate::syntax::KEYWORDS;

/// Whether `s` can be written as an identifier (a name of a let, schema, type or resource).
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&s)
}

/// Whether `s` can be written unquoted as an object key or schema field name (keywords and
/// `-` are allowed there).
pub fn is_bare_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `s` as an object key or field name: bare when it can be, a string literal otherwise.
pub fn key(s: &str) -> String {
    if is_bare_key(s) {
        s.to_string()
    } else {
        string_lit(s)
    }
}

/// `s` as a one-line string literal, escaped so that it reads back as exactly `s`
/// (`"`, `\`, `${` and control characters are escaped).
pub fn string_lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name made from arbitrary text: letters, digits and `_`, not starting with a digit, not
/// a keyword (`my-app.v2` → `my_app_v2`, `2fa` → `_2fa`, `if` → `if_`).
pub fn ident_from(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Writes `text` as `///` doc comment lines indented by `indent`.
pub fn doc_comment(out: &mut String, indent: &str, text: &str) {
    for line in text.trim().lines() {
        let line = line.trim_end();
        out.push_str(indent);
        if line.is_empty() {
            out.push_str("///\n");
        } else {
            out.push_str("/// ");
            out.push_str(line);
            out.push('\n');
        }
    }
}

/// The Kubernetes kinds std.k8s types: (apiVersion, kind) → schema name, read from the
/// schemas' literal `apiVersion` and `kind` fields.
pub fn k8s_kinds() -> std::collections::BTreeMap<(String, String), String> {
    use crate::types::Ty;
    use crate::value::Value;
    let mut engine = crate::Engine::with_loader(crate::MemoryLoader::new());
    let file = engine
        .sources_mut()
        .add("<k8s kinds>", "import std.k8s as k8s\n");
    let (program, _) = engine.program(file);
    let types = crate::types::Types::new(&program);
    let mut out = std::collections::BTreeMap::new();
    let Some(unit) = program.import(0, "k8s") else {
        return out;
    };
    let prefix = format!("{}.", program.units[unit].qualifier);
    for (name, schema) in &types.table().schemas {
        let Some(local) = name.strip_prefix(&prefix) else {
            continue;
        };
        let lit = |field: &str| match schema.field(field).map(|f| &f.ty) {
            Some(Ty::Lit(Value::Str(s))) => Some(s.to_string()),
            Some(Ty::Union(m)) => m.iter().find_map(|t| match t {
                Ty::Lit(Value::Str(s)) => Some(s.to_string()),
                _ => None,
            }),
            _ => None,
        };
        if let (Some(api), Some(kind)) = (lit("apiVersion"), lit("kind")) {
            out.insert((api, kind), local.to_string());
        }
    }
    out
}

/// `cairn import yaml`: YAML texts (name, text) to a Cairn program that exports the same data.
/// Kubernetes objects of a kind std.k8s knows are typed; the program is evaluated, and any
/// object that does not fit its type (a field the pinned Kubernetes version does not have, say)
/// is written untyped instead, so the result always evaluates.
pub fn yaml_program(inputs: &[(String, String)]) -> Result<String, String> {
    let inputs: Vec<yaml::Input<'_>> = inputs
        .iter()
        .map(|(name, text)| yaml::Input { name, text })
        .collect();
    let mut opts = yaml::Options {
        k8s_kinds: k8s_kinds(),
        ..Default::default()
    };
    for _ in 0..3 {
        let imported = yaml::import(&inputs, &opts)?;
        let mut engine = crate::Engine::with_loader(crate::MemoryLoader::new());
        let out = engine.evaluate_str("import.cairn", &imported.source);
        if !out.has_errors() {
            return Ok(imported.source);
        }
        // Which resources failed: the n-th resource item is the n-th document.
        let parsed = crate::syntax::parse(crate::source::FileId(0), &imported.source);
        let resources: Vec<crate::syntax::ast::Span> = parsed
            .module
            .items
            .iter()
            .filter(|i| matches!(i.kind, crate::syntax::ast::ItemKind::Resource(_)))
            .map(|i| i.span)
            .collect();
        let file = out.file;
        let mut found = false;
        for d in out.diagnostics.iter().filter(|d| d.is_error()) {
            let Some(l) = d.primary().filter(|l| Some(l.file) == file) else {
                continue;
            };
            if let Some(i) = resources
                .iter()
                .position(|s| s.start <= l.span.start && l.span.start < s.end)
                && opts.untyped.insert(i)
            {
                found = true;
            }
        }
        if !found {
            let first = out
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| crate::diagnostics::render::plain(d, engine.sources()))
                .unwrap_or_default();
            return Err(format!(
                "the generated program does not evaluate (a bug in the importer):\n{first}"
            ));
        }
    }
    Err(
        "the generated program does not evaluate after leaving the failing documents untyped"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling() {
        assert_eq!(key("app"), "app");
        assert_eq!(key("runs-on"), "runs-on");
        assert_eq!(key("app.kubernetes.io/name"), "\"app.kubernetes.io/name\"");
        assert_eq!(key("$ref"), "\"$ref\"");
        assert_eq!(string_lit("a\"b\\c${d}$e\n"), "\"a\\\"b\\\\c\\${d}$e\\n\"");
        assert_eq!(ident_from("my-app.v2"), "my_app_v2");
        assert_eq!(ident_from("2fa"), "_2fa");
        assert_eq!(ident_from("if"), "if_");
        assert!(is_ident("web_1") && !is_ident("for") && !is_ident("a-b"));
    }
}
