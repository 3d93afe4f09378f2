//! Exported YAML and JSON, read back, equal the evaluated value: with serde_json, with
//! serde_yaml_ng (a YAML 1.2 reader) and with PyYAML (a YAML 1.1 reader).
//!
//! Equality here is strict: an Int is not equal to a Float, so a reader that turns `3.0` into
//! `3` or `"0755"` into 493 fails the test.

use std::process::Command;

use cairn::Value;
use cairn::export::{self, Format, Selection};

use crate::common::{cairn_files, evaluate, root};

fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| strict_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && strict_eq(v1, v2))
        }
        (Value::Int(_), Value::Float(_)) | (Value::Float(_), Value::Int(_)) => false,
        _ => a == b,
    }
}

/// The documents of every eval corpus file and every example, with a name each.
fn all_documents() -> Vec<(String, Value)> {
    let mut files = cairn_files("tests/corpus/eval");
    files.extend(cairn_files("tests/corpus/types").into_iter().filter(|p| {
        !std::fs::read_to_string(p)
            .unwrap_or_default()
            .contains("// expect:")
    }));
    for dir in std::fs::read_dir(root().join("examples"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let main = dir.path().join("main.cairn");
        if main.exists() {
            files.push(main);
        }
    }
    let mut out = Vec::new();
    for path in files {
        let (_, o) = evaluate(&path);
        for (i, d) in o.documents(Selection::Auto).into_iter().enumerate() {
            out.push((format!("{}#{i}", path.display()), d.clone()));
        }
    }
    out.push(("tricky strings".to_string(), tricky()));
    out
}

/// Strings and numbers that naive emitters get wrong.
fn tricky() -> Value {
    let src = r##"
        strings: ["no", "on", "yes", "y", "n", "~", "null", "NULL", "true", "False", "0755",
          "0x1F", "0o17", "1e3", "1_000", "12:30", "12:30:45", ".inf", "-.inf", ".NaN", "2024-01-01",
          "2001-12-14t21:59:43.10-05:00", "", " ", " lead", "trail ", "a: b", "a #b", "#x", "- x",
          "-", "?", "@x", "`x", "!tag", "&anchor", "*alias", "{x}", "[x]", "a,b", "%x", "'q'",
          "\"dq\"", "tab\there", "back\\slash", "line\nbreak", "ends\n", "two\n\n", "\n", "\nlead",
          "  indented\nfirst", "crlf\r\nx", "bell\u{7}", "del\u{7f}", "nel\u{85}x", "ls\u{2028}x",
          "bom\u{feff}", "héllo", "日本語", "emoji 🎉", "=", "<<", "1.0", "+1", "-1", "0", "00",
          "1.", ".5", "6.8523015e+5", "190:20:30.15", "0b1010", "Yes", "OFF", "null\n", "|", ">",
          "multi\n  indented\nlines\n"]
        numbers: [0, -1, 9223372036854775807, -9223372036854775808, 1.0, -0.5, 1.5e300, 2.5e-8, 0.1]
        keys: { "on": 1, "no": 2, "": 3, "a b": 4, "x:y": 5, "1": 6, "true": 7 }
        empty: { list: [], object: {}, nested: [[], {}] }
        nulls: [null, { a: null }]
        indented: ["  two spaces first\nthen none\n", "    deep\n  less\n", "\n  after a blank line\n"]
        long_key: { "${join([for i in range(700): "k"], "")}": 1 }
        long_nested: { "${join([for i in range(700): "q"], "")}": { a: [1, { b: 2 }] } }
    "##;
    let out = cairn::Engine::new().evaluate_str("tricky.cairn", src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    out.document
}

#[test]
fn json_reads_back_equal() {
    for (name, doc) in all_documents() {
        let text = export::render(&[&doc], Format::Json).expect("render");
        let back: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert!(strict_eq(&doc, &back), "{name}: JSON differs\n{text}");
    }
}

#[test]
fn yaml_reads_back_equal_in_a_yaml_1_2_reader() {
    for (name, doc) in all_documents() {
        let text = export::render(&[&doc], Format::Yaml).expect("render");
        let back: Value =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert!(
            strict_eq(&doc, &back),
            "{name}: YAML differs\n{text}\nread back: {back:?}"
        );
    }
}

#[test]
fn multi_document_streams_read_back() {
    let docs: Vec<Value> = all_documents()
        .into_iter()
        .map(|(_, d)| d)
        .take(5)
        .collect();
    let refs: Vec<&Value> = docs.iter().collect();
    let text = export::render(&refs, Format::Yaml).expect("render");
    let back: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("document"))
        .collect();
    assert_eq!(back.len(), docs.len());
    for (a, b) in docs.iter().zip(&back) {
        assert!(strict_eq(a, b));
    }
}

/// PyYAML implements YAML 1.1, where `no`, `on`, `0755` and `12:30` are not strings. Every
/// document goes through one Python process, which answers with JSON.
#[test]
fn yaml_reads_back_equal_in_a_yaml_1_1_reader() {
    match Command::new("python3").args(["-c", "import yaml"]).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => crate::common::tool_missing(
            "python3 with PyYAML",
            String::from_utf8_lossy(&o.stderr).trim(),
        ),
        Err(e) => crate::common::tool_missing("python3", e),
    }
    let docs = all_documents();
    let dir = std::env::temp_dir().join(format!("cairn-pyyaml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (i, (_, doc)) in docs.iter().enumerate() {
        let text = export::render(&[doc], Format::Yaml).expect("render");
        std::fs::write(dir.join(format!("{i}.yaml")), text).expect("write");
    }
    let script = r#"
import json, sys, yaml, math, os
d = sys.argv[1]
out = []
n = len([f for f in os.listdir(d) if f.endswith('.yaml')])
def fix(v):
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return {"__float__": repr(v)}
    if isinstance(v, list):
        return [fix(x) for x in v]
    if isinstance(v, dict):
        return {str(k): fix(x) for k, x in v.items()}
    if not isinstance(v, (str, int, float, bool, type(None))):
        return {"__type__": type(v).__name__}
    return v
for i in range(n):
    with open(os.path.join(d, f"{i}.yaml"), encoding="utf-8") as f:
        out.append(fix(yaml.safe_load(f)))
print(json.dumps(out))
"#;
    let output = Command::new("python3")
        .args(["-c", script, dir.to_str().unwrap_or_default()])
        .output()
        .unwrap_or_else(|e| crate::common::tool_missing("python3", e));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let back: Vec<Value> = serde_json::from_slice(&output.stdout).expect("json from python");
    assert_eq!(back.len(), docs.len());
    for ((name, doc), b) in docs.iter().zip(&back) {
        assert!(
            strict_eq(doc, b),
            "{name}: PyYAML reads it differently: {b:?}"
        );
    }
}
