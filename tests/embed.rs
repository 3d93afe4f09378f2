//! The embedding API: a host evaluates configuration and deserializes it into its own types.

use std::collections::BTreeMap;

use cairn::diagnostics::codes;
use cairn::{Engine, MemoryLoader, Value};
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct Service {
    name: String,
    port: u16,
    #[serde(default)]
    tags: Vec<String>,
    mode: Mode,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Active,
    Standby,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Config {
    region: String,
    services: Vec<Service>,
    limits: BTreeMap<String, f64>,
    debug: Option<bool>,
}

const CONFIG: &str = r#"
param region: String = "eu-west-1"
fn svc(name, port) = { name: name, port: port, mode: "active" }
region: region
services: [svc("web", 8080), { ...svc("api", 9000), tags: ["internal"], mode: "standby" }]
limits: { cpu: 0.5, memory: 512 }
debug: null
"#;

#[test]
fn deserializes_into_host_types() {
    let cfg: Config = cairn::from_str(CONFIG).expect("config");
    assert_eq!(cfg.region, "eu-west-1");
    assert_eq!(cfg.services.len(), 2);
    assert_eq!(cfg.services[1].tags, ["internal"]);
    assert_eq!(cfg.services[1].mode, Mode::Standby);
    assert_eq!(cfg.limits["memory"], 512.0);
    assert_eq!(cfg.debug, None);
}

#[test]
fn params_and_memory_loader() {
    let mut files = MemoryLoader::new();
    files.insert("app.cairn", CONFIG);
    let mut engine = Engine::with_loader(files);
    engine.param("region", "us-east-1");
    let cfg: Config = engine.load_into("app.cairn").expect("config");
    assert_eq!(cfg.region, "us-east-1");
}

#[test]
fn host_type_mismatch_is_a_diagnostic() {
    let err =
        cairn::from_str::<Config>(&CONFIG.replace("9000", "90000")).expect_err("port too large");
    assert_eq!(err.diagnostics.len(), 1);
    let d = &err.diagnostics[0];
    assert_eq!(d.code, codes::HOST_TYPE);
    assert!(d.message.contains("services[1].port"), "{}", d.message);
    assert!(err.to_string().contains("E0300"), "{err}");
}

#[test]
fn evaluation_errors_come_back_as_diagnostics() {
    let err = cairn::from_str::<Config>("region: nope").expect_err("unknown name");
    assert_eq!(err.diagnostics[0].code, codes::UNKNOWN_NAME);
    assert!(err.to_string().contains("<string>:1:9"), "{err}");
}

#[test]
fn values_are_send_and_sync_and_serialize() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Value>();
    let out = Engine::new().evaluate_str("x.cairn", "a: [1, 2.5, \"x\", null, true]");
    let json = serde_json::to_string(&out.document).expect("serialize");
    assert_eq!(json, r#"{"a":[1,2.5,"x",null,true]}"#);
}

#[test]
fn missing_file_through_the_api() {
    let err = cairn::from_path::<Config>("/nonexistent/app.cairn").expect_err("missing");
    assert_eq!(err.diagnostics[0].code, codes::IO);
}

#[test]
fn crlf_sources_evaluate_like_lf_sources() {
    let lf = "let name = \"web\"\nscript: \"\"\"\n  echo ${name}\n  exit 0\n  \"\"\"\n";
    let crlf = lf.replace('\n', "\r\n");
    let a = Engine::new().evaluate_str("lf.cairn", lf);
    let b = Engine::new().evaluate_str("crlf.cairn", &crlf);
    assert!(
        a.diagnostics.is_empty() && b.diagnostics.is_empty(),
        "{:?}",
        b.diagnostics
    );
    assert_eq!(a.document, b.document);
    assert_eq!(
        a.document.get("script"),
        Some(&Value::str("echo web\nexit 0\n"))
    );
}
