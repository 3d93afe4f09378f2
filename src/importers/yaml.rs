//! YAML into Cairn: `cairn import yaml FILE...` turns YAML documents (multi-document streams
//! too) into a readable program that exports the same data.
//!
//! What the program looks like:
//!
//! - **One document** in all the inputs, a mapping that is not a Kubernetes object: its entries
//!   become top-level fields, the module document. Otherwise **every document becomes a
//!   resource**, in document order, with a blank line between resources.
//! - A **Kubernetes object** (a mapping with string `apiVersion` and `kind`) becomes
//!   `resource <id>: k8s.<Schema> { ... }` when its kind is known ([`Options::k8s_kinds`]) and
//!   not left [`Options::untyped`]; its `apiVersion` and `kind` entries are left out, since the
//!   `std.k8s` schema fills them in as defaults. Any other kind becomes
//!   `resource <id>: k8s.Object { ... }` with every entry. A program with Kubernetes resources
//!   starts with `import std.k8s as k8s`.
//! - **Any other mapping** becomes `resource doc_<n>: yaml.Document { ... }`; `n` counts the
//!   non-empty documents of all inputs from 1.
//! - A document that is **not a mapping** (a list, a scalar) is an error: what Cairn exports
//!   is objects (resource bodies, or the module document).
//! - **Resource ids** are `<metadata.name>_<kind in lower case>` made into an identifier
//!   (`redis-master` of kind `Deployment` is `redis_master_deployment`), or the kind alone when
//!   there is no name. A repeated id gets `_2`, `_3`, ... in document order.
//! - **Values**: an object has one entry a line, indented two spaces a level; a chain of
//!   single-entry objects under plain keys becomes one dotted key (`metadata.name: "web"`),
//!   which sets the same nested field. A list of scalars, an object of scalars inside a list,
//!   and a list of one such object are written on one line when they fit in [`WIDTH`] columns;
//!   other lists have one element a line. A string of several lines is a `"""` string when
//!   that reads back as exactly the same text, and an escaped one-line string otherwise. Floats
//!   always have a `.` or an exponent, so they stay floats.
//!
//! Empty documents (`---` with nothing, or `null`) are skipped. Keys that are not strings become
//! strings (`1`, `true`, `null`), as Cairn reads them from YAML anywhere; anchors and aliases
//! are expanded, and so are merge keys (`<<: *defaults`), as Kubernetes and CI systems read
//! them: the merged entries take the place of the `<<` entry. YAML tags, NaN and infinite
//! floats, and integers beyond 64 bits are errors: Cairn has no way to write them. YAML comments
//! are lost.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use serde_yaml_ng::Value as Yaml;

use super::{ident_from, is_bare_key, is_ident, key, string_lit};
use crate::value::{Object, Value};

/// Lists and objects are put on one line only when the line stays within this many columns.
pub const WIDTH: usize = 100;

/// One YAML text to import.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The name shown in errors, usually the file's path.
    pub name: &'a str,
    pub text: &'a str,
}

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Known Kubernetes kinds: (apiVersion, kind) -> schema name in std.k8s, e.g.
    /// ("apps/v1","Deployment") -> "Deployment".
    pub k8s_kinds: BTreeMap<(String, String), String>,
    /// Documents (by index over all inputs' documents, counting only non-empty ones) to leave
    /// untyped even if their kind is known (the caller found they do not fit the type).
    pub untyped: BTreeSet<usize>,
}

/// The program made from the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The Cairn source, ending with one line break.
    pub source: String,
    /// How many documents were imported (empty ones do not count).
    pub documents: usize,
    /// How many of them became typed Kubernetes resources (`k8s.<Schema>`).
    pub typed: usize,
}

/// Turns YAML inputs into a Cairn program that exports the same data: the module document
/// for a single plain mapping, else one resource per document (see the module documentation).
///
/// Errors name the input, the document (counted from 1 within its input) and the problem, with
/// the line and column for invalid YAML and the path of the value for data Cairn cannot write.
pub fn import(inputs: &[Input<'_>], opts: &Options) -> Result<Imported, String> {
    let read = read(inputs)?;
    if read.is_empty() {
        let names: Vec<&str> = inputs.iter().map(|i| i.name).collect();
        return Err(format!("no YAML documents in {}", names.join(", ")));
    }
    // What Cairn exports is objects: resource bodies, or the module document.
    let mut docs = Vec::with_capacity(read.len());
    for doc in &read {
        match &doc.value {
            Value::Object(fields) => docs.push(&**fields),
            other => {
                return Err(format!(
                    "{}, document {}: {} cannot be imported: Cairn exports objects (resources \
                     or the module document), so each document must be a mapping",
                    doc.input,
                    doc.number,
                    other.describe()
                ));
            }
        }
    }

    let mut w = Writer::default();
    if let [fields] = docs.as_slice()
        && k8s_kind(fields).is_none()
    {
        w.entries(fields, 0);
        return Ok(Imported {
            source: w.finish(),
            documents: 1,
            typed: 0,
        });
    }

    // `k8s` is the name the import binds: no resource may take it.
    let mut used: HashSet<String> = HashSet::from(["k8s".to_string()]);
    let mut uses_k8s = false;
    let mut typed = 0;
    for (index, fields) in docs.iter().enumerate() {
        if index > 0 {
            w.out.push('\n');
        }
        let (base, type_path, body) = match k8s_kind(fields) {
            Some((api_version, kind)) => {
                uses_k8s = true;
                let name = fields
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty());
                let base = match name {
                    Some(name) => format!("{name}_{}", kind.to_lowercase()),
                    None => kind.to_lowercase(),
                };
                let schema = opts
                    .k8s_kinds
                    .get(&(api_version.to_string(), kind.to_string()))
                    .filter(|_| !opts.untyped.contains(&index));
                match schema {
                    Some(schema) => {
                        if !schema.split('.').all(is_ident) {
                            return Err(format!(
                                "`{schema}` (for {api_version} {kind}) is not a type name"
                            ));
                        }
                        typed += 1;
                        // The schema's defaults set `apiVersion` and `kind`.
                        let rest: Vec<(Arc<str>, Value)> = fields
                            .iter()
                            .filter(|(k, _)| !matches!(&***k, "apiVersion" | "kind"))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        (
                            base,
                            format!("k8s.{schema}"),
                            Cow::Owned(Object::from_distinct(rest)),
                        )
                    }
                    None => (base, "k8s.Object".to_string(), Cow::Borrowed(*fields)),
                }
            }
            None => (
                format!("doc_{}", index + 1),
                "yaml.Document".to_string(),
                Cow::Borrowed(*fields),
            ),
        };
        let id = unique(ident_from(&base), &mut used);
        w.out.push_str(&format!("resource {id}: {type_path} "));
        w.object(&body, 0);
        w.out.push('\n');
    }

    let mut source = String::new();
    if uses_k8s {
        source.push_str("import std.k8s as k8s\n\n");
    }
    source.push_str(&w.finish());
    Ok(Imported {
        source,
        documents: docs.len(),
        typed,
    })
}

/// The non-empty documents of the inputs as Cairn values, in order: the data the program made
/// by [`import`] exports, indexed as [`Options::untyped`] counts them. Keys that are not strings
/// are turned into strings as [`import`] does.
pub fn read_documents(inputs: &[Input<'_>]) -> Result<Vec<Value>, String> {
    Ok(read(inputs)?.into_iter().map(|d| d.value).collect())
}

/// A non-empty document and where it comes from.
struct Document<'a> {
    input: &'a str,
    /// Counted from 1 within its input, empty documents included (as a reader counts them).
    number: usize,
    value: Value,
}

fn read<'a>(inputs: &[Input<'a>]) -> Result<Vec<Document<'a>>, String> {
    let mut docs = Vec::new();
    for input in inputs {
        for (i, de) in serde_yaml_ng::Deserializer::from_str(input.text).enumerate() {
            let at = |message: String| format!("{}, document {}: {message}", input.name, i + 1);
            let yaml = Yaml::deserialize(de).map_err(|e| at(e.to_string()))?;
            let value = convert(&yaml).map_err(|f| at(f.to_string()))?;
            if !value.is_null() {
                docs.push(Document {
                    input: input.name,
                    number: i + 1,
                    value,
                });
            }
        }
    }
    Ok(docs)
}

/// The `apiVersion` and `kind` of a Kubernetes object.
fn k8s_kind(fields: &Object) -> Option<(&str, &str)> {
    match (fields.get("apiVersion"), fields.get("kind")) {
        (Some(Value::Str(api_version)), Some(Value::Str(kind)))
            if !api_version.is_empty() && !kind.is_empty() =>
        {
            Some((api_version, kind))
        }
        _ => None,
    }
}

/// `base`, or `base_2`, `base_3`, ... if it is taken; marks the result as taken.
fn unique(base: String, used: &mut HashSet<String>) -> String {
    let mut id = base.clone();
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    used.insert(id.clone());
    id
}

// -------------------------------------------------------------------------------------------
// Reading YAML

/// Data Cairn cannot hold, and where in the document it is.
struct Failure {
    message: String,
    /// The path from the value up to the document (innermost first).
    path: Vec<Step>,
}

enum Step {
    Key(String),
    Index(usize),
}

impl Failure {
    fn new(message: String) -> Failure {
        Failure {
            message,
            path: Vec::new(),
        }
    }

    fn within(mut self, step: Step) -> Failure {
        self.path.push(step);
        self
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            return f.write_str(&self.message);
        }
        let mut path = String::new();
        for step in self.path.iter().rev() {
            match step {
                Step::Key(k) if is_bare_key(k) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                }
                Step::Key(k) => path.push_str(&format!("[{}]", string_lit(k))),
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        write!(f, "at `{path}`: {}", self.message)
    }
}

/// A YAML value as a Cairn value.
fn convert(yaml: &Yaml) -> Result<Value, Failure> {
    match yaml {
        Yaml::Null => Ok(Value::Null),
        Yaml::Bool(b) => Ok(Value::Bool(*b)),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Value::Int(i))
            } else if n.is_u64() {
                Err(Failure::new(format!(
                    "{n} does not fit in a 64-bit integer; quote it to keep it as a string"
                )))
            } else {
                match n.as_f64() {
                    Some(x) if x.is_finite() => Ok(Value::Float(x)),
                    _ => Err(Failure::new(format!(
                        "Cairn cannot write the float {n}; quote it to keep it as a string"
                    ))),
                }
            }
        }
        Yaml::String(s) => Ok(Value::str(s)),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item).map_err(|f| f.within(Step::Index(i)))?);
            }
            Ok(Value::list(out))
        }
        Yaml::Mapping(entries) => {
            let mut fields = Object::with_capacity(entries.len());
            // The keys written in the mapping itself: they win over merged ones.
            let mut own = HashSet::new();
            for (k, _) in entries {
                if !is_merge_key(k) {
                    own.insert(key_text(k)?);
                }
            }
            for (k, v) in entries {
                if is_merge_key(k) {
                    let sources = convert(v).map_err(|f| f.within(Step::Key(MERGE.into())))?;
                    merge(&mut fields, &own, &sources)
                        .map_err(|f| f.within(Step::Key(MERGE.into())))?;
                    continue;
                }
                let k = key_text(k)?;
                let v = convert(v).map_err(|f| f.within(Step::Key(k.clone())))?;
                // Keys equal once made strings (`1` and `"1"`): the first place, the last value,
                // as Cairn reads such YAML anywhere.
                fields.insert(Arc::from(k), v);
            }
            Ok(Value::object(fields))
        }
        Yaml::Tagged(tagged) => Err(tag_failure(&tagged.tag)),
    }
}

/// The YAML 1.1 merge key: `<<: *base` (or `<<: [*a, *b]`) copies the entries of the mappings
/// that the mapping does not set itself, the earlier mappings first.
const MERGE: &str = "<<";

fn is_merge_key(k: &Yaml) -> bool {
    matches!(k, Yaml::String(s) if s == MERGE)
}

/// Adds the entries of `sources` (a mapping or a list of mappings) that are neither among the
/// mapping's `own` keys nor already added, at the place of the `<<` entry.
fn merge(fields: &mut Object, own: &HashSet<String>, sources: &Value) -> Result<(), Failure> {
    let (sources, listed) = match sources {
        Value::List(items) => (items.as_slice(), true),
        one => (std::slice::from_ref(one), false),
    };
    for (i, source) in sources.iter().enumerate() {
        let Value::Object(source) = source else {
            let failure = Failure::new(format!(
                "a merge (`<<`) takes a mapping or a list of mappings, not {}",
                source.describe()
            ));
            return Err(if listed {
                failure.within(Step::Index(i))
            } else {
                failure
            });
        };
        for (k, v) in source.iter() {
            if !own.contains(&**k) && !fields.contains_key(k) {
                fields.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// A mapping key as a string: scalars as Cairn reads them from YAML (`1`, `true`, `null`).
fn key_text(k: &Yaml) -> Result<String, Failure> {
    match k {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Null => Ok("null".to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Number(n) => match n.as_f64() {
            Some(x) if !n.is_i64() && !n.is_u64() => Ok(crate::export::format_float(x)),
            _ => Ok(n.to_string()),
        },
        Yaml::Sequence(_) | Yaml::Mapping(_) => Err(Failure::new(
            "a list or a mapping as a key is not supported: keys must be scalars".to_string(),
        )),
        Yaml::Tagged(tagged) => Err(tag_failure(&tagged.tag)),
    }
}

fn tag_failure(tag: &serde_yaml_ng::value::Tag) -> Failure {
    Failure::new(format!(
        "YAML tags like `{tag}` are not supported: Cairn has plain data only; \
         remove the tag or write the value it stands for"
    ))
}

// -------------------------------------------------------------------------------------------
// Writing Cairn

/// Builds the program text. `depth` is the indentation level (two spaces) of the line a value
/// starts on; `col` is the column it starts at, for the [`WIDTH`] check.
#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    /// The text, ending with exactly one line break.
    fn finish(self) -> String {
        let mut s = self.out;
        s.truncate(s.trim_end_matches('\n').len());
        s.push('\n');
        s
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    /// The entries of an object, one a line at `depth`. A chain of single-entry objects under
    /// plain keys is one dotted key: `spec: { template: { spec: x } }` is `spec.template.spec: x`.
    /// Mapping keys are distinct, so the dotted key is the only entry filling that object.
    fn entries(&mut self, fields: &Object, depth: usize) {
        for (k, v) in fields.iter() {
            let mut path = key(k);
            let mut v = v;
            if is_bare_key(k) {
                while let Value::Object(inner) = v
                    && inner.len() == 1
                    && let Some((ik, iv)) = inner.iter().next()
                    && is_bare_key(ik)
                {
                    path.push('.');
                    path.push_str(ik);
                    v = iv;
                }
            }
            self.indent(depth);
            self.out.push_str(&path);
            self.out.push_str(": ");
            let col = depth * 2 + path.chars().count() + 2;
            self.value(v, depth, col, false);
            self.out.push('\n');
        }
    }

    /// `{`, the entries one level deeper, `}`; `{}` when empty.
    fn object(&mut self, fields: &Object, depth: usize) {
        if fields.is_empty() {
            self.out.push_str("{}");
            return;
        }
        self.out.push_str("{\n");
        self.entries(fields, depth + 1);
        self.indent(depth);
        self.out.push('}');
    }

    /// A value starting at column `col` of a line at `depth`; `element` when it is a list
    /// element (followed by a comma), where small objects go on one line.
    fn value(&mut self, v: &Value, depth: usize, col: usize, element: bool) {
        let tail = usize::from(element);
        match v {
            Value::Object(fields) => {
                if element
                    && let Some(line) = inline_object(fields)
                    && col + line.chars().count() + tail <= WIDTH
                {
                    self.out.push_str(&line);
                    return;
                }
                self.object(fields, depth);
            }
            Value::List(items) => {
                if items.is_empty() {
                    self.out.push_str("[]");
                    return;
                }
                if let Some(line) = inline_list(items)
                    && col + line.chars().count() + tail <= WIDTH
                {
                    self.out.push_str(&line);
                    return;
                }
                self.out.push_str("[\n");
                for item in items.iter() {
                    self.indent(depth + 1);
                    self.value(item, depth + 1, (depth + 1) * 2, true);
                    self.out.push_str(",\n");
                }
                self.indent(depth);
                self.out.push(']');
            }
            Value::Str(s) if multi_line(s) => self.multi_line_string(s, depth + 1),
            other => self.out.push_str(&scalar(other).unwrap_or_default()),
        }
    }

    /// A `"""` string whose lines are indented at `depth`. The indentation common to the lines
    /// and the closing `"""` is removed when read back, which is exactly `depth` levels: the
    /// closing `"""` stands at `depth` on its own line when the text ends with a line break, and
    /// otherwise [`multi_line`] made sure a line starts without white space. Lines that are
    /// empty are written empty.
    fn multi_line_string(&mut self, s: &str, depth: usize) {
        let (body, trailing_break) = match s.strip_suffix('\n') {
            Some(body) => (body, true),
            None => (s, false),
        };
        self.out.push_str("\"\"\"\n");
        let lines: Vec<&str> = body.split('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let last = i + 1 == lines.len();
            if !line.is_empty() {
                self.indent(depth);
                // The text's last quote would run into the closing `"""`.
                let quote_ends = last && !trailing_break;
                escape_multi_line(line, quote_ends, &mut self.out);
            }
            if !last || trailing_break {
                self.out.push('\n');
            }
        }
        if trailing_break {
            self.indent(depth);
        }
        self.out.push_str("\"\"\"");
    }
}

/// A scalar on one line: `null`, `true`, `42`, `1.5`, `"text"`. `None` for lists, objects and
/// strings written as `"""` strings.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(x) => Some(float_text(*x)),
        Value::Str(s) if !multi_line(s) => Some(string_lit(s)),
        _ => None,
    }
}

/// A finite float as a literal that reads back as the same Float: Rust's shortest round-trip
/// form (`1.0`, `0.5`, `1e300`, `-2.5e-8`), which the grammar's `float_lit` accepts.
fn float_text(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// `[a, b, c]` when every element is a scalar, and `[{ a: 1 }]` for one small object.
fn inline_list(items: &[Value]) -> Option<String> {
    if let [Value::Object(fields)] = items {
        return inline_object(fields).map(|o| format!("[{o}]"));
    }
    let parts: Option<Vec<String>> = items.iter().map(scalar).collect();
    Some(format!("[{}]", parts?.join(", ")))
}

/// `{ a: 1, b: "x" }` when the object is not empty and every value is a scalar.
fn inline_object(fields: &Object) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let parts: Option<Vec<String>> = fields
        .iter()
        .map(|(k, v)| scalar(v).map(|v| format!("{}: {v}", key(k))))
        .collect();
    Some(format!("{{ {} }}", parts?.join(", ")))
}

/// Whether `s` is written as a `"""` string: it has at least two lines with text, and reads
/// back identically. That rules out control characters other than tab and line feed (a `\r`
/// before a line break would be dropped), lines of only white space (read back empty), and,
/// without a final line break, text whose every line starts with white space (that would be
/// taken for indentation).
fn multi_line(s: &str) -> bool {
    let lines: Vec<&str> = s.split('\n').collect();
    let ws = |c: char| c == ' ' || c == '\t';
    lines.iter().filter(|l| !l.is_empty()).count() >= 2
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && !lines.iter().any(|l| !l.is_empty() && l.chars().all(ws))
        && (s.ends_with('\n') || lines.iter().any(|l| l.starts_with(|c: char| !ws(c))))
}

/// One line of a `"""` string: `\`, `${` and quotes that would make `"""` escaped.
/// `quote_ends`: the closing `"""` follows the line directly, so a final `"` is escaped too.
fn escape_multi_line(line: &str, quote_ends: bool, out: &mut String) {
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            '\\' => out.push_str("\\\\"),
            '$' if next == Some('{') => out.push_str("\\$"),
            '"' if next == Some('"') || (next.is_none() && quote_ends) => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn import_one(text: &str, opts: &Options) -> Result<Imported, String> {
        import(
            &[Input {
                name: "in.yaml",
                text,
            }],
            opts,
        )
    }

    /// Strict equality: same types (an Int is not a Float) and same key order.
    fn strict(v: &[&Value]) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// Imports `yaml`, evaluates the program, and checks it exports the documents of `yaml`
    /// as read by `serde_yaml_ng` into `crate::Value`. Returns the program.
    fn round_trip(yaml: &str) -> String {
        let imported = import_one(yaml, &Options::default()).unwrap();
        // `import std.k8s` cannot be evaluated yet in this crate: the untyped resources
        // (`k8s.Object`, `yaml.Document`) evaluate without it.
        let program = imported.source.replace("import std.k8s as k8s\n\n", "");
        let mut engine = crate::Engine::new();
        let out = engine.evaluate_str("t.cairn", &program);
        assert!(!out.has_errors(), "{program}\n{:#?}", out.diagnostics);
        let expected: Vec<Value> = serde_yaml_ng::Deserializer::from_str(yaml)
            .map(|d| Value::deserialize(d).unwrap())
            .filter(|v| !v.is_null())
            .collect();
        let got: Vec<&Value> = if out.declares_resources {
            out.resources.iter().map(|r| &r.body).collect()
        } else {
            vec![&out.document]
        };
        let expected: Vec<&Value> = expected.iter().collect();
        assert_eq!(strict(&got), strict(&expected), "{program}");
        assert_eq!(imported.documents, expected.len());
        assert!(imported.source.ends_with('\n') && !imported.source.ends_with("\n\n"));
        imported.source
    }

    #[test]
    fn plain_config_is_the_module_document() {
        let src = round_trip(
            "name: web\nreplicas: 3\nlabels:\n  app: web\n  tier: front\nspec:\n  template:\n    spec:\n      image: web:1\n",
        );
        assert_eq!(
            src,
            "name: \"web\"\nreplicas: 3\nlabels: {\n  app: \"web\"\n  tier: \"front\"\n}\n\
             spec.template.spec.image: \"web:1\"\n"
        );
    }

    #[test]
    fn strings() {
        let src = round_trip(concat!(
            "a: \"yes\"\n",
            "b: \"${x}\"\n",
            "c: 'a\"b'\n",
            "d: \"back\\\\slash\"\n",
            "e: \"☃ é 日本\"\n",
            "f: \"  leading spaces\"\n",
            "g: \"tab\\there\\r\\n\"\n",
            "h: \"\"\n",
            "i: \"\\u0007bell\"\n",
            "lit: |\n  #!/bin/sh\n  echo \"${HOME}\" \\\n    && exit 0\n",
            "strip: |-\n  line one\n  line two\n",
            "keep: |+\n  one\n  two\n\n\n",
            "indented: |2\n    both lines\n    start with spaces\n",
            "indented_no_break: \"  a\\n  b\"\n",
            "blank_inside: \"a\\n\\nb\\n\"\n",
            "spaces_line: \"a\\n  \\nb\\n\"\n",
            "crlf: \"a\\r\\nb\\r\\n\"\n",
            "quotes: \"x\\n\\\"\\\"\\\"y\\\"\\\"\\n\\\"z\\\"\"\n",
            "quote_end: \"a\\nb\\\"\"\n",
            "one_break: \"a\\n\"\n",
        ));
        assert!(src.contains("a: \"yes\"\n"), "{src}");
        assert!(src.contains("b: \"\\${x}\"\n"), "{src}");
        assert!(
            src.contains(
                "lit: \"\"\"\n  #!/bin/sh\n  echo \"\\${HOME}\" \\\\\n    && exit 0\n  \"\"\"\n"
            ),
            "{src}"
        );
        assert!(
            src.contains("strip: \"\"\"\n  line one\n  line two\"\"\"\n"),
            "{src}"
        );
        // Not written as `"""` strings: only white space on a line, a carriage return, one line.
        assert!(src.contains("spaces_line: \"a\\n  \\nb\\n\"\n"), "{src}");
        assert!(src.contains("crlf: \"a\\r\\nb\\r\\n\"\n"), "{src}");
        assert!(src.contains("one_break: \"a\\n\"\n"), "{src}");
    }

    #[test]
    fn numbers_nulls_and_empty_collections() {
        let src = round_trip(concat!(
            "ints: [0, -7, 9223372036854775807, -9223372036854775808, 0x1f]\n",
            "floats: [1.0, 0.5, 1e10, 1e300, -2.5e-8, 1.5e+16, -0.0, 3.0e-300]\n",
            "nulls: [null, ~]\n",
            "n:\n",
            "bools: [true, false]\n",
            "empty_list: []\n",
            "empty_object: {}\n",
            "nested: [[1, 2], [], [[3]], [{a: 1}, {}], [{b: [1]}]]\n",
            "nested_object: {a: {}}\n",
        ));
        assert!(
            src.contains("floats: [1.0, 0.5, 10000000000.0, 1e300,"),
            "{src}"
        );
        assert!(src.contains("n: null\n"), "{src}");
        assert!(src.contains("nested_object.a: {}\n"), "{src}");
        assert!(
            src.contains("nested: [\n  [1, 2],\n  [],\n  [\n    [3],\n  ],\n  [\n    { a: 1 },\n    {},\n  ],\n  [\n    {\n      b: [1]\n    },\n  ],\n]\n"),
            "{src}"
        );
    }

    #[test]
    fn long_lists_and_lists_of_objects() {
        let many: Vec<String> = (0..30).map(|i| format!("item-{i}")).collect();
        let yaml = format!(
            "short: [a, b]\nlong: [{}]\none:\n- port: 80\nports:\n- containerPort: 80\n  name: http\n- containerPort: 443\n  tls:\n    mode: strict\n",
            many.join(", ")
        );
        let src = round_trip(&yaml);
        assert!(src.contains("short: [\"a\", \"b\"]\n"), "{src}");
        assert!(src.contains("one: [{ port: 80 }]\n"), "{src}");
        assert!(
            src.contains("long: [\n  \"item-0\",\n  \"item-1\",\n"),
            "{src}"
        );
        assert!(
            src.contains(
                "ports: [\n  { containerPort: 80, name: \"http\" },\n  {\n    containerPort: 443\n    tls.mode: \"strict\"\n  },\n]\n"
            ),
            "{src}"
        );
        assert!(src.lines().all(|l| l.chars().count() <= WIDTH), "{src}");
    }

    #[test]
    fn keys() {
        let src = round_trip(concat!(
            "1: one\n",
            "true: yes-bool\n",
            "null: nothing\n",
            "1.5: float\n",
            "\"app.kubernetes.io/name\": web\n",
            "runs-on: ubuntu\n",
            "if: always\n",
            "for: x\n",
            "$ref: r\n",
            "dotted:\n  \"a.b\":\n    c: 1\n",
            "outer:\n  inner:\n    \"x/y\": 1\n",
        ));
        assert!(src.contains("\"1\": \"one\"\n"), "{src}");
        // Keys may be keywords.
        assert!(
            src.contains("\ntrue: \"yes-bool\"\nnull: \"nothing\"\n"),
            "{src}"
        );
        assert!(
            src.contains("\"app.kubernetes.io/name\": \"web\"\n"),
            "{src}"
        );
        // A quoted key is never part of a dotted key.
        assert!(
            src.contains("dotted: {\n  \"a.b\": {\n    c: 1\n  }\n}\n"),
            "{src}"
        );
        assert!(src.contains("outer.inner: {\n  \"x/y\": 1\n}\n"), "{src}");
    }

    #[test]
    fn multi_document_streams() {
        let yaml = "---\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: frontend\nspec:\n  ports: [80]\n---\n# only a comment\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\n---\nplain: true\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\n  namespace: other\n---\napiVersion: v1\nkind: ConfigMap\n";
        let src = round_trip(yaml);
        assert_eq!(
            src,
            "import std.k8s as k8s\n\n\
             resource frontend_service: k8s.Object {\n  apiVersion: \"v1\"\n  kind: \"Service\"\n  metadata.name: \"frontend\"\n  spec.ports: [80]\n}\n\n\
             resource frontend_deployment: k8s.Object {\n  apiVersion: \"apps/v1\"\n  kind: \"Deployment\"\n  metadata.name: \"frontend\"\n}\n\n\
             resource doc_3: yaml.Document {\n  plain: true\n}\n\n\
             resource frontend_deployment_2: k8s.Object {\n  apiVersion: \"apps/v1\"\n  kind: \"Deployment\"\n  metadata: {\n    name: \"frontend\"\n    namespace: \"other\"\n  }\n}\n\n\
             resource configmap: k8s.Object {\n  apiVersion: \"v1\"\n  kind: \"ConfigMap\"\n}\n"
        );
    }

    #[test]
    fn several_inputs_and_single_documents() {
        // Two inputs of one plain mapping each: two documents, so two resources.
        let a = Input {
            name: "a.yaml",
            text: "x: 1\n",
        };
        let b = Input {
            name: "b.yaml",
            text: "---\ny: 2\n",
        };
        let out = import(&[a, b], &Options::default()).unwrap();
        assert_eq!(
            out.source,
            "resource doc_1: yaml.Document {\n  x: 1\n}\n\nresource doc_2: yaml.Document {\n  y: 2\n}\n"
        );
        // One Kubernetes object alone is still a resource.
        let src = round_trip("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        assert!(
            src.contains("resource shop_namespace: k8s.Object {"),
            "{src}"
        );
        assert_eq!(round_trip("{}\n"), "\n");
    }

    #[test]
    fn odd_names_make_valid_ids() {
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: for\n---\napiVersion: v1\nkind: K8s\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 2fa.v1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 42\n";
        let src = round_trip(yaml);
        assert!(src.contains("resource for_configmap: k8s.Object"), "{src}");
        assert!(src.contains("resource k8s_2: k8s.Object"), "{src}");
        assert!(
            src.contains("resource _2fa_v1_configmap: k8s.Object"),
            "{src}"
        );
        assert!(src.contains("resource configmap: k8s.Object"), "{src}");
    }

    #[test]
    fn anchors_and_merge_keys_are_expanded() {
        round_trip("base: &b\n  image: web\n  port: 80\nother: *b\nlist: [*b, *b]\n");
        let yaml = concat!(
            "defaults: &d\n  image: web\n  port: 80\n  env: {A: 1}\n",
            "more: &m\n  port: 81\n  tier: back\n",
            "prod:\n  name: prod\n  <<: [*d, *m]\n  image: web:2\n",
            "one:\n  <<: *m\n",
        );
        let src = import_one(yaml, &Options::default()).unwrap().source;
        let out = crate::Engine::new().evaluate_str("t.cairn", &src);
        assert!(!out.has_errors(), "{src}");
        let expected: Value = serde_yaml_ng::from_str(concat!(
            "defaults: {image: web, port: 80, env: {A: 1}}\n",
            "more: {port: 81, tier: back}\n",
            "prod: {name: prod, port: 80, env: {A: 1}, tier: back, image: web:2}\n",
            "one: {port: 81, tier: back}\n",
        ))
        .unwrap();
        assert_eq!(strict(&[&out.document]), strict(&[&expected]), "{src}");

        let err = import_one("a:\n  <<: [{x: 1}, 2]\n", &Options::default()).unwrap_err();
        assert!(err.contains("at `a[\"<<\"][1]`: a merge"), "{err}");
    }

    #[test]
    fn typed_kubernetes_objects() {
        let mut opts = Options::default();
        opts.k8s_kinds.insert(
            ("apps/v1".to_string(), "Deployment".to_string()),
            "Deployment".to_string(),
        );
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  replicas: 2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n";
        let out = import_one(yaml, &opts).unwrap();
        assert_eq!(
            out.source,
            "import std.k8s as k8s\n\n\
             resource web_deployment: k8s.Deployment {\n  metadata: {\n    name: \"web\"\n    labels.app: \"web\"\n  }\n  spec.replicas: 2\n}\n\n\
             resource web_service: k8s.Object {\n  apiVersion: \"v1\"\n  kind: \"Service\"\n  metadata.name: \"web\"\n}\n\n\
             resource api_deployment: k8s.Deployment {\n  metadata.name: \"api\"\n}\n"
        );
        assert_eq!((out.documents, out.typed), (3, 2));

        // A document the caller found not to fit stays untyped, with every entry.
        opts.untyped.insert(2);
        let out = import_one(yaml, &opts).unwrap();
        assert!(out.source.ends_with(
            "resource api_deployment: k8s.Object {\n  apiVersion: \"apps/v1\"\n  kind: \"Deployment\"\n  metadata.name: \"api\"\n}\n"
        ));
        assert_eq!((out.documents, out.typed), (3, 1));

        // A single typed document is a resource, not the module document.
        let out = import_one("apiVersion: apps/v1\nkind: Deployment\n", &opts).unwrap();
        assert_eq!(
            out.source,
            "import std.k8s as k8s\n\nresource deployment: k8s.Deployment {}\n"
        );
    }

    #[test]
    fn errors() {
        let opts = Options::default();
        let err = import_one("a: 1\n---\nb: !Ref x\n", &opts).unwrap_err();
        assert!(
            err.starts_with("in.yaml, document 2: at `b`: YAML tags like `!Ref`"),
            "{err}"
        );
        let err = import_one("a:\n  - !Sub [x]\n", &opts).unwrap_err();
        assert!(err.contains("at `a[0]`"), "{err}");
        let err = import_one("a: 1\n---\nb: [1, 2\nc: 3\n", &opts).unwrap_err();
        assert!(err.starts_with("in.yaml, document 2: "), "{err}");
        assert!(err.contains("line"), "{err}");
        let err = import_one("a: .nan\n", &opts).unwrap_err();
        assert!(err.contains("at `a`") && err.contains(".nan"), "{err}");
        let err = import_one("a: [.inf]\n", &opts).unwrap_err();
        assert!(err.contains("at `a[0]`"), "{err}");
        let err = import_one("\"x.y\": 18446744073709551615\n", &opts).unwrap_err();
        assert!(
            err.contains("at `[\"x.y\"]`") && err.contains("64-bit"),
            "{err}"
        );
        let err = import_one("? [a, b]\n: c\n", &opts).unwrap_err();
        assert!(err.contains("keys must be scalars"), "{err}");
        // Only mappings can be exported.
        let err = import_one("a: 1\n---\n---\n- 1\n- two\n", &opts).unwrap_err();
        assert!(
            err.starts_with("in.yaml, document 3: a List cannot be imported"),
            "{err}"
        );
        let err = import_one("just text\n", &opts).unwrap_err();
        assert!(
            err.starts_with("in.yaml, document 1: a String cannot"),
            "{err}"
        );
        let err = import_one("---\n---\n", &opts).unwrap_err();
        assert_eq!(err, "no YAML documents in in.yaml");
        let mut bad = Options::default();
        bad.k8s_kinds.insert(
            ("v1".to_string(), "Pod".to_string()),
            "not-a-name".to_string(),
        );
        let err = import_one("apiVersion: v1\nkind: Pod\n", &bad).unwrap_err();
        assert!(err.contains("not a type name"), "{err}");
    }

    #[test]
    fn multi_line_strings_read_back_identically() {
        let cases = [
            "a\nb",
            "a\nb\n",
            "a\nb\n\n",
            "\na\nb",
            "  a\n  b\n",
            "  a\nb",
            "\ta\n\tb\n",
            "x\n\"\"\"\n",
            "x\ny\"",
            "x\ny\"\"",
            "\\n\nnot an escape\n",
            "${a}\n$${b}\n",
            "a \nb  ",
            "a\n\n\nb",
        ];
        for s in cases {
            let yaml = serde_yaml_ng::to_string(&BTreeMap::from([("s", s)])).unwrap();
            let src = round_trip(&yaml);
            assert!(multi_line(s) == src.contains("\"\"\""), "{s:?}\n{src}");
        }
    }
}
