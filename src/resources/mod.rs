//! Resources: what turns configuration into changes in the world.
//!
//! - [`provider`]: the `Provider` trait every kind of resource is managed through, and the
//!   built-in providers (`file`, `exec`).
//! - [`fence`]: the project folders no resource may touch (`.cairn/`, `.git/`), and `exec`'s
//!   working directory kept inside the project.
//! - [`executor`]: runs operations over a dependency graph with a ready queue on rayon.
//! - [`state`]: the recorded state (`.cairn/state.json`), written atomically around every
//!   operation, and the lock that keeps two applies apart.

pub mod apply;
pub mod exec;
pub mod executor;
pub mod fence;
pub mod file;
pub mod graph;
pub mod plan;
pub mod provider;
pub mod state;

use crate::value::{Object, Value};

/// The built-in providers whose resources `cairn apply` manages. Resources of other types
/// (Kubernetes objects, say) are rendered by `cairn export` instead.
pub const APPLIED_PROVIDERS: &[&str] = &["exec", "file"];

/// The provider part of a resource type: `exec` for `exec.Command`.
pub fn provider_of(type_path: &str) -> &str {
    type_path.split('.').next().unwrap_or(type_path)
}

/// Whether `cairn apply` manages resources of this type (and `cairn export` leaves them out).
pub fn is_applied(type_path: &str) -> bool {
    type_path.contains('.') && APPLIED_PROVIDERS.contains(&provider_of(type_path))
}

/// The outputs a resource will have once applied, unknown until then: `exec` resources name
/// theirs in `outputs`; `file` resources report `path` and `sha256`.
pub fn declared_outputs(type_path: &str, body: &Value) -> Vec<String> {
    if !is_applied(type_path) {
        return Vec::new();
    }
    match provider_of(type_path) {
        "file" => vec!["path".into(), "sha256".into()],
        _ => match body.get("outputs") {
            Some(Value::List(names)) => names
                .iter()
                .filter_map(|n| match n {
                    Value::Str(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
    }
}

/// Marks the start and end of an unknown value inside a string (Unicode private-use
/// characters, which no configuration contains).
const TOKEN_START: char = '\u{E000}';
const TOKEN_END: char = '\u{E001}';

/// The placeholder for output `output` of the resource at `address`: a string that travels
/// through evaluation (interpolation keeps it) and is replaced by the real value at apply time.
pub fn token(address: &str, output: &str) -> String {
    format!("{TOKEN_START}{address}.{output}{TOKEN_END}")
}

/// The value other expressions see for a resource: its body, with its outputs (known after
/// apply) as placeholders.
pub fn reference_value(address: &str, type_path: &str, body: &Value) -> Value {
    let outputs = declared_outputs(type_path, body);
    match body {
        Value::Object(o) if !outputs.is_empty() => {
            let mut o: Object = (**o).clone();
            for name in outputs {
                let t = token(address, &name);
                o.insert(name.as_str().into(), Value::str(t.as_str()));
            }
            Value::object(o)
        }
        other => other.clone(),
    }
}

/// The unknown values a string holds: `(address, output)` pairs.
pub fn tokens_in(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(TOKEN_START) {
        let after = &rest[i + TOKEN_START.len_utf8()..];
        let Some(j) = after.find(TOKEN_END) else {
            break;
        };
        let inner = &after[..j];
        if let Some((address, output)) = inner.rsplit_once('.') {
            out.push((address.to_string(), output.to_string()));
        }
        rest = &after[j + TOKEN_END.len_utf8()..];
    }
    out
}

/// Whether a JSON value holds an unknown value anywhere.
pub fn has_unknown(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains(TOKEN_START),
        serde_json::Value::Array(a) => a.iter().any(has_unknown),
        serde_json::Value::Object(o) => o.values().any(has_unknown),
        _ => false,
    }
}

/// `s` with unknown values shown as `(known after apply)`.
pub fn show_unknown(s: &str) -> String {
    let mut out = s.to_string();
    for (address, output) in tokens_in(s) {
        out = out.replace(&token(&address, &output), "(known after apply)");
    }
    out
}

/// Replaces the unknown values in `v` with the outputs `lookup` gives (`None`: still unknown,
/// an error naming it). An output that is the whole string keeps its JSON type.
pub fn resolve_unknown(
    v: &mut serde_json::Value,
    lookup: &dyn Fn(&str, &str) -> Option<serde_json::Value>,
) -> Result<(), String> {
    match v {
        serde_json::Value::String(s) if s.contains(TOKEN_START) => {
            let tokens = tokens_in(s);
            if let [(address, output)] = tokens.as_slice()
                && *s == token(address, output)
            {
                *v = lookup(address, output)
                    .ok_or_else(|| format!("`{address}.{output}` has no value"))?;
                return Ok(());
            }
            let mut text = s.clone();
            for (address, output) in tokens {
                let value = lookup(&address, &output)
                    .ok_or_else(|| format!("`{address}.{output}` has no value"))?;
                let shown = match value {
                    serde_json::Value::String(x) => x,
                    other => other.to_string(),
                };
                text = text.replace(&token(&address, &output), &shown);
            }
            *s = text;
            Ok(())
        }
        serde_json::Value::Array(a) => a.iter_mut().try_for_each(|x| resolve_unknown(x, lookup)),
        serde_json::Value::Object(o) => o.values_mut().try_for_each(|x| resolve_unknown(x, lookup)),
        _ => Ok(()),
    }
}

/// The first unknown value (an output known only after apply) in a Cairn value, as
/// `(path, "address.output")`: such a value cannot be exported.
pub fn find_unknown(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Str(s) => tokens_in(s)
            .into_iter()
            .next()
            .map(|(a, o)| (String::new(), format!("{a}.{o}"))),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| find_unknown(x).map(|(p, t)| (format!("[{i}]{p}"), t))),
        Value::Object(o) => o
            .iter()
            .find_map(|(k, x)| find_unknown(x).map(|(p, t)| (format!(".{k}{p}"), t))),
        _ => None,
    }
}

/// The built-in provider of that name.
pub fn builtin(name: &str) -> Option<&'static dyn provider::Provider> {
    static FILE: file::FileProvider = file::FileProvider;
    static EXEC: exec::ExecProvider = exec::ExecProvider;
    match name {
        "file" => Some(&FILE),
        "exec" => Some(&EXEC),
        _ => None,
    }
}

/// The resources `cairn apply` manages, in dependency order, as a plan wants them; the graph
/// of all resources comes first (its cycle is a diagnostic).
pub fn desired(
    resources: Vec<crate::eval::ResourceInstance>,
) -> Result<Vec<plan::Desired>, Vec<crate::Diagnostic>> {
    let (g, problems) = graph::ResourceGraph::build(resources);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for n in g.declaration_order() {
        let r = &g.graph[n];
        if !is_applied(&r.type_path) {
            continue;
        }
        let mut dependencies: Vec<String> = g
            .graph
            .neighbors_directed(n, petgraph::Direction::Incoming)
            .filter(|d| is_applied(&g.graph[*d].type_path))
            .map(|d| g.graph[d].address())
            .collect();
        dependencies.sort();
        out.push(plan::Desired {
            site: Some((r.file, r.span)),
            address: r.address(),
            type_path: r.type_path.to_string(),
            provider: provider_of(&r.type_path).to_string(),
            inputs: serde_json::to_value(&r.body).unwrap_or(serde_json::Value::Null),
            dependencies,
            protect: r.options.protect,
            create_before_destroy: r.options.create_before_destroy,
            sensitive: r.options.sensitive.iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(out)
}
