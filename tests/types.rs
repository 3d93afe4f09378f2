//! Types beyond the corpus: JSON Schema export (valid draft 2020-12, and agreeing with Cairn on
//! which values a schema accepts), parameters from files and the environment, and the types
//! the embedding API exposes.

use cairn::Engine;
use cairn::diagnostics::codes;

use crate::common::cairn_files;

fn describe(src: &str) -> cairn::Description {
    let mut engine = Engine::new();
    let out = engine.evaluate_str("schemas.cairn", src);
    let file = out.file.expect("file");
    engine.describe(file).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn json_schema_of_every_corpus_schema_is_valid_draft_2020_12() {
    let mut files = cairn_files("tests/corpus/types");
    files.extend(cairn_files("tests/corpus/eval"));
    let mut checked = 0;
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let mut engine = Engine::new();
        let Ok(file) = engine.load(&path) else {
            continue;
        };
        let Ok(desc) = engine.describe(file) else {
            continue;
        };
        for s in &desc.schemas {
            let doc = desc.json_schema(Some(&s.name)).expect("schema");
            if let Err(e) = jsonschema::meta::validate(&doc) {
                panic!(
                    "{}: schema {} is not valid JSON Schema: {e}\n{doc:#}\n{src}",
                    path.display(),
                    s.name
                );
            }
            assert!(
                jsonschema::draft202012::new(&doc).is_ok(),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} schemas checked");
}

/// Each case: a schema, then values with whether Cairn accepts them. JSON Schema must agree.
const CASES: &[(&str, &[(&str, bool)])] = &[
    (
        r#"type Port = Int(1..=65535)
        schema Service {
          name: String(matches: "^[a-z][a-z0-9-]*$")
          port: Port = 8080
          replicas: Int(1..=50) = 1
          tags?: [String](len: ..=3)
          tier: "web" | "api" | "worker" = "web"
        }"#,
        &[
            (r#"{"name": "web"}"#, true),
            (r#"{"name": "web", "port": 1, "replicas": 50}"#, true),
            (
                r#"{"name": "api-2", "port": 65535, "tags": ["a", "b", "c"], "tier": "api"}"#,
                true,
            ),
            (r#"{"name": "web", "tags": null}"#, true),
            (r#"{"name": "web", "port": 70000}"#, false),
            (r#"{"name": "web", "port": 0}"#, false),
            (r#"{"name": "Web"}"#, false),
            (r#"{"port": 80}"#, false),
            (r#"{"name": "web", "replicas": 51}"#, false),
            (r#"{"name": "web", "tags": ["a", "b", "c", "d"]}"#, false),
            (r#"{"name": "web", "tier": "db"}"#, false),
            (r#"{"name": "web", "prot": 80}"#, false),
            (r#"{"name": "web", "port": "80"}"#, false),
        ],
    ),
    (
        r#"schema Limits {
          cpu: Float(0.0..8.0)
          memory: String(len: 1..=10)
          labels: {String: String} = {}
        }
        schema Container extends Limits {
          image: String
          limits?: Limits
        }"#,
        &[
            (r#"{"cpu": 0.5, "memory": "128Mi", "image": "web:1"}"#, true),
            (
                r#"{"cpu": 2, "memory": "1Gi", "image": "web:1", "limits": {"cpu": 4.0, "memory": "2Gi"}}"#,
                true,
            ),
            (r#"{"cpu": 8.0, "memory": "1Gi", "image": "web:1"}"#, false),
            (r#"{"cpu": 1.0, "memory": "", "image": "web:1"}"#, false),
            (r#"{"cpu": 1.0, "memory": "1Gi"}"#, false),
            (
                r#"{"cpu": 1.0, "memory": "1Gi", "image": "x", "labels": {"a": 1}}"#,
                false,
            ),
            (
                r#"{"cpu": 1.0, "memory": "1Gi", "image": "x", "limits": {"cpu": 1.0}}"#,
                false,
            ),
        ],
    ),
];

#[test]
fn json_schema_accepts_what_cairn_accepts() {
    for (schemas, values) in CASES {
        let desc = describe(schemas);
        let root = desc.schemas.last().expect("a schema").name.clone();
        let doc = desc.json_schema(Some(&root)).expect("document");
        let validator = jsonschema::draft202012::new(&doc).expect("valid schema");
        for (value, accepted) in values.iter() {
            let program = format!("{schemas}\nlet v: {root} = {value}\nout: v\n");
            let out = Engine::new().evaluate_str("case.cairn", &program);
            assert_eq!(
                !out.has_errors(),
                *accepted,
                "Cairn on {value}: {:?}",
                out.diagnostics
                    .iter()
                    .map(|d| &d.message)
                    .collect::<Vec<_>>()
            );
            let json: serde_json::Value = serde_json::from_str(value).expect("json");
            assert_eq!(
                validator.is_valid(&json),
                *accepted,
                "JSON Schema on {value}:\n{doc:#}"
            );
        }
    }
}

#[test]
fn the_embedding_api_describes_params_and_schemas() {
    let desc = describe(
        r#"/// Where to deploy.
        param env: "dev" | "prod" = "dev"
        param replicas: Int
        /// A service.
        schema Service {
          /// Its name.
          name: String
          port?: Int = 80
          check port > 0, "positive"
        }"#,
    );
    assert_eq!(desc.params.len(), 2);
    assert_eq!(desc.params[0].name, "env");
    assert_eq!(desc.params[0].ty.as_deref(), Some(r#""dev" | "prod""#));
    assert_eq!(desc.params[0].default.as_deref(), Some(r#""dev""#));
    assert_eq!(desc.params[0].doc.as_deref(), Some("Where to deploy."));
    assert_eq!(desc.params[1].env, "CAIRN_PARAM_REPLICAS");
    assert_eq!(desc.params[1].default, None);
    let s = &desc.schemas[0];
    assert_eq!(
        (s.name.as_str(), s.doc.as_deref(), s.checks),
        ("Service", Some("A service."), 1)
    );
    assert_eq!(s.fields[0].doc.as_deref(), Some("Its name."));
    assert_eq!(
        (
            s.fields[1].name.as_str(),
            s.fields[1].ty.as_str(),
            s.fields[1].optional,
            s.fields[1].default.as_deref()
        ),
        ("port", "Int", true, Some("80"))
    );
}

#[test]
fn params_come_from_files_and_the_environment_by_precedence() {
    let src = "param env: \"dev\" | \"prod\" = \"dev\"\nparam replicas: Int = 1\nparam zone: String = \"a\"\nout: { env: env, replicas: replicas, zone: zone }\n";
    let mut engine = Engine::new();
    engine.param_text("env", "prod");
    engine
        .params_from_document("p.yaml", "env: dev\nreplicas: 3\n")
        .expect("document");
    engine.params_from_env([
        ("CAIRN_PARAM_ZONE".to_string(), "b".to_string()),
        ("CAIRN_PARAM_REPLICAS".to_string(), "9".to_string()),
        ("HOME".to_string(), "/root".to_string()),
    ]);
    let out = engine.evaluate_str("p.cairn", src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let doc = out.document.get("out").expect("out");
    assert_eq!(doc.get("env"), Some(&cairn::Value::str("prod")));
    assert_eq!(doc.get("replicas"), Some(&cairn::Value::Int(3)));
    assert_eq!(doc.get("zone"), Some(&cairn::Value::str("b")));

    let mut engine = Engine::new();
    engine.params_from_env([("CAIRN_PARAM_REPLICAS".to_string(), "many".to_string())]);
    let out = engine.evaluate_str("p.cairn", src);
    assert_eq!(out.diagnostics[0].code, codes::INVALID_PARAM);

    let mut engine = Engine::new();
    engine
        .params_from_document("p.yaml", "replicas: \"3\"\n")
        .expect("document");
    let out = engine.evaluate_str("p.cairn", src);
    assert_eq!(out.diagnostics[0].code, codes::INVALID_PARAM);
    assert!(
        out.diagnostics[0]
            .message
            .contains("expected Int, found String"),
        "{}",
        out.diagnostics[0].message
    );

    let mut engine = Engine::new();
    assert!(engine.params_from_document("p.yaml", "[1, 2]").is_err());
}
