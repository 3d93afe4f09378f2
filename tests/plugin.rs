//! WebAssembly plugins (docs/plugins.md): calls for every value type, type checking against
//! the manifest, a denying policy, and every fault — an endless loop, unbounded allocation, a
//! trap, a malformed result, a wrong ABI version, an import that was not granted — each ending
//! in a clean diagnostic. The plugins are written in WAT here and assembled with the `wat`
//! crate.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cairn::diagnostics::render;
use cairn::{Engine, MemoryLoader, Outcome};

/// The part every test plugin shares: a memory, and an allocator that hands out the start of
/// the heap for each call (the host calls `cairn_alloc` once before every call, so the
/// previous call's data can be dropped).
const PRELUDE: &str = r#"
  (memory (export "memory") 1)
  (func (export "cairn_alloc") (param $n i32) (result i32)
    (if (i32.gt_u (i32.add (i32.const 1024) (local.get $n))
                  (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))))))
    (i32.const 1024))
  ;; The first argument of a one-argument call, returned in place: the arguments are a list
  ;; (tag, u32 count) followed by the elements.
  (func $echo (param $p i32) (param $n i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (i32.add (local.get $p) (i32.const 5))) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $n) (i32.const 5)))))
  ;; Int + Int, written to a scratch area at 512.
  (func $add (param $p i32) (param $n i32) (result i64)
    (i32.store8 (i32.const 512) (i32.const 3))
    (i64.store (i32.const 513)
      (i64.add (i64.load (i32.add (local.get $p) (i32.const 6)))
               (i64.load (i32.add (local.get $p) (i32.const 15)))))
    (i64.const 0x20000000009))
"#;

/// A plugin: the prelude, `body`, and `manifest` as its `cairn.manifest` section.
fn plugin(manifest: &str, body: &str) -> Vec<u8> {
    let escaped = manifest
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    // `body` first: its imports must come before the prelude's definitions.
    let wat = format!("(module\n{body}\n{PRELUDE}\n(@custom \"cairn.manifest\" \"{escaped}\"))");
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("{e}\n{wat}"))
}

/// `bytes` as a WAT data string.
fn data(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

fn encoded(v: &cairn::Value) -> Vec<u8> {
    let mut out = Vec::new();
    cairn::plugin::abi::encode(v, &mut out).expect("encodes");
    out
}

/// Evaluates `main.cairn` next to `p.wasm` (and a cairn.toml, if given) in memory.
fn run(wasm: &[u8], toml: Option<&str>, main: &str) -> (Engine, Outcome) {
    let mut files = MemoryLoader::new();
    files
        .insert("proj/main.cairn", main)
        .insert_bytes("proj/p.wasm", wasm);
    if let Some(t) = toml {
        files.insert("proj/cairn.toml", t);
    }
    let mut engine = Engine::with_loader(files);
    let out = engine.evaluate_file("proj/main.cairn");
    (engine, out)
}

fn rendered(engine: &Engine, diagnostics: &[cairn::Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| render::fancy(d, engine.sources(), false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A snapshot in tests/corpus/snapshots, beside the other corpus snapshots.
fn snapshot(name: &str, value: String) {
    insta::with_settings!({ snapshot_path => "corpus/snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, value);
    });
}

fn yaml(out: &Outcome) -> String {
    out.render(cairn::export::Selection::Auto, cairn::export::Format::Yaml)
        .expect("renders")
}

const ECHO_MANIFEST: &str = r#"abi 1
name echo
fn null_(x: Null) -> Null
fn bool_(x: Bool) -> Bool
fn int(x: Int) -> Int
fn float(x: Float) -> Float
/// Echoes a string.
fn string(x: String) -> String
fn list(x: [Int]) -> [Int]
fn object(x: {String: Any}) -> {String: Any}
fn add(a: Int, b: Int) -> Int
"#;

fn echo_plugin() -> Vec<u8> {
    plugin(
        ECHO_MANIFEST,
        r#"
  (export "null_" (func $echo)) (export "bool_" (func $echo)) (export "int" (func $echo))
  (export "float" (func $echo)) (export "string" (func $echo)) (export "list" (func $echo))
  (export "object" (func $echo)) (export "add" (func $add))
"#,
    )
}

#[test]
fn a_function_for_each_value_type() {
    let (engine, out) = run(
        &echo_plugin(),
        None,
        r#"import "./p.wasm" as p
null: p.null_(null)
bool: p.bool_(true)
int: p.int(-9223372036854775807)
float: p.float(2.5e-3)
string: p.string("héllo ${1 + 1}")
list: p.list([1, 2, 3])
object: p.object({ name: "web", ports: [80, 443], tls: { on: true } })
sum: p.add(40, 2)
"#,
    );
    assert!(!out.has_errors(), "{}", rendered(&engine, &out.diagnostics));
    snapshot("plugin__value_types", yaml(&out));
}

#[test]
fn arguments_are_checked_against_the_manifest() {
    let (engine, out) = run(
        &echo_plugin(),
        None,
        "import \"./p.wasm\" as p\nsum: p.add(\"40\", 2)\nx: p.nope(1)\n",
    );
    snapshot("plugin__argument_type", rendered(&engine, &out.diagnostics));
}

/// A plugin that fails in one of the ways the sandbox must survive.
fn faulty_plugin() -> Vec<u8> {
    plugin(
        "abi 1\nname faulty\nfn spin(x: Int) -> Int\nfn hog(x: Int) -> Int\nfn crash(x: Int) -> Int\nfn garbage(x: Int) -> Int\nfn outside(x: Int) -> Int\nfn refuse(x: Int) -> Int\nfn wrong(x: Int) -> String\n",
        &format!(
            r#"
  (data (i32.const 600) "\42")
  (data (i32.const 700) "{refusal}")
  (func (export "spin") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0))
  (func (export "hog") (param i32 i32) (result i64)
    (loop $l (drop (memory.grow (i32.const 16))) (br $l)) (i64.const 0))
  (func (export "crash") (param i32 i32) (result i64) unreachable)
  (func (export "garbage") (param i32 i32) (result i64) (i64.const 0x25800000001))
  (func (export "outside") (param i32 i32) (result i64) (i64.const 0xfff0000000000010))
  (func (export "refuse") (param i32 i32) (result i64) (i64.const 0x2bc00000009))
  (export "wrong" (func $echo))
"#,
            refusal = data(b"\x08\x04\x00\x00\x00nope")
        ),
    )
}

#[test]
fn every_fault_is_a_clean_diagnostic_within_its_limit() {
    let cases = [
        ("spin", "E0505"),
        ("hog", "E0506"),
        ("crash", "E0504"),
        ("garbage", "E0507"),
        ("outside", "E0507"),
        ("refuse", "E0508"),
        ("wrong", "E0507"),
    ];
    let wasm = faulty_plugin();
    let toml = "[plugins.faulty]\npath = \"p.wasm\"\nfuel = 1_000_000\nmemory = \"4MiB\"\n";
    let mut shown = String::new();
    for (function, code) in cases {
        let main = format!("import plugins.faulty\nx: faulty.{function}(1)\n");
        let started = Instant::now();
        let (engine, out) = run(&wasm, Some(toml), &main);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{function} took {took:?}");
        let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(
            codes,
            [code],
            "{function}: {}",
            rendered(&engine, &out.diagnostics)
        );
        shown.push_str(&format!(
            "==== {function} ====\n{}\n",
            rendered(&engine, &out.diagnostics)
        ));
    }
    snapshot("plugin__faults", shown);
}

#[test]
fn the_instance_starts_afresh_after_a_fault() {
    let (engine, out) = run(
        &faulty_plugin(),
        None,
        "import \"./p.wasm\" as f\na: f.crash(1)\nb: f.wrong(1)\nc: f.crash(2)\n",
    );
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(
        codes,
        ["E0504", "E0507", "E0504"],
        "{}",
        rendered(&engine, &out.diagnostics)
    );
}

#[test]
fn load_problems_are_diagnostics_at_the_import() {
    let clock = "(import \"cairn\" \"clock_now_ms\" (func $now (result i64)))\n\
                 (func (export \"now\") (param i32 i32) (result i64)\n\
                   (i32.store8 (i32.const 512) (i32.const 3))\n\
                   (i64.store (i32.const 513) (call $now))\n\
                   (i64.const 0x20000000009))";
    let export_f = "(export \"f\" (func $echo))";
    let wasi = "(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i32) (result i32)))";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("wrong ABI version", plugin("abi 2\nname old\n", "")),
        ("no manifest", wat::parse_str("(module)").expect("wat")),
        ("not wasm", b"#!/bin/sh\necho hi\n".to_vec()),
        (
            "bad signature",
            plugin("abi 1\nname bad\nfn f(x: Int) -> \n", export_f),
        ),
        (
            "untyped parameter",
            plugin("abi 1\nname bad\nfn f(x) -> Int\n", export_f),
        ),
        (
            "unknown line",
            plugin("abi 1\nname bad\nfunction f(x: Int) -> Int\n", ""),
        ),
        (
            "missing export",
            plugin("abi 1\nname bad\nfn f(x: Int) -> Int\n", ""),
        ),
        (
            "clock not granted",
            plugin("abi 1\nname clock\nfn now() -> Int\n", clock),
        ),
        ("WASI", plugin("abi 1\nname wasi\n", wasi)),
    ];
    let mut shown = String::new();
    for (what, wasm) in cases {
        let (engine, out) = run(&wasm, None, "import \"./p.wasm\" as p\n");
        assert_eq!(out.diagnostics.len(), 1, "{what}");
        shown.push_str(&format!(
            "==== {what} ====\n{}\n",
            rendered(&engine, &out.diagnostics)
        ));
    }
    snapshot("plugin__load_problems", shown);

    // Granted, the same clock plugin loads and reads the clock.
    let toml = "[plugins.clock]\npath = \"p.wasm\"\ngrant = [\"clock\"]\n";
    let wasm = plugin("abi 1\nname clock\nfn now() -> Int\n", clock);
    let (engine, out) = run(
        &wasm,
        Some(toml),
        "import plugins.clock\nnow: clock.now()\n",
    );
    assert!(!out.has_errors(), "{}", rendered(&engine, &out.diagnostics));
    let now = match out.document.get("now") {
        Some(cairn::Value::Int(n)) => *n,
        _ => 0,
    };
    assert!(now > 1_700_000_000_000, "{now}");

    // Granted `env`, a plugin reads a variable of Cairn's environment (`PATH`, set everywhere).
    let env = "(import \"cairn\" \"env_get\" (func $env_get (param i32 i32 i32 i32) (result i32)))\n\
               (data (i32.const 600) \"PATH\")\n\
               (func (export \"var\") (param i32 i32) (result i64) (local $n i32)\n\
                 (local.set $n (call $env_get (i32.const 600) (i32.const 4) (i32.const 2053) (i32.const 8192)))\n\
                 (i32.store8 (i32.const 2048) (i32.const 5))\n\
                 (i32.store (i32.const 2049) (local.get $n))\n\
                 (i64.or (i64.const 0x80000000000) (i64.extend_i32_u (i32.add (local.get $n) (i32.const 5)))))";
    let wasm = plugin("abi 1\nname env\nfn var() -> String\n", env);
    let toml = "[plugins.env]\npath = \"p.wasm\"\ngrant = [\"env\"]\n";
    let (engine, out) = run(&wasm, Some(toml), "import plugins.env\npath: env.var()\n");
    assert!(!out.has_errors(), "{}", rendered(&engine, &out.diagnostics));
    let path = std::env::var("PATH").unwrap_or_default();
    assert_eq!(out.document.get("path"), Some(&cairn::Value::str(&path)));
}

#[test]
fn cairn_toml_plugin_settings_are_checked() {
    let mut shown = String::new();
    for toml in [
        "[plugins.p]\npath = \"p.wasm\"\ngrant = [\"network\"]\n",
        "[plugins.p]\npath = \"p.wasm\"\nmemory = \"lots\"\n",
        "[plugins.p]\npath = \"../p.wasm\"\n",
        "[plugins.p]\npth = \"p.wasm\"\n",
    ] {
        let (engine, out) = run(&echo_plugin(), Some(toml), "import plugins.p\n");
        assert!(
            out.diagnostics.iter().any(|d| d.code.id == "E0146"),
            "{toml}"
        );
        shown.push_str(&format!(
            "==== {toml}{}\n",
            rendered(&engine, &out.diagnostics)
        ));
    }
    let (engine, out) = run(&echo_plugin(), None, "import plugins.echo\n");
    shown.push_str(&format!(
        "==== no cairn.toml\n{}\n",
        rendered(&engine, &out.diagnostics)
    ));
    snapshot("plugin__settings", shown);
}

/// A policy that denies the resource `web` and allows `db`, whatever they are.
fn policy_plugin() -> Vec<u8> {
    let decision = |resource: &str, allow: bool, message: &str| {
        let mut o = cairn::value::Object::new();
        o.insert("resource".into(), cairn::Value::str(resource));
        o.insert("allow".into(), cairn::Value::Bool(allow));
        o.insert("message".into(), cairn::Value::str(message));
        cairn::Value::Object(std::sync::Arc::new(o))
    };
    let result = encoded(&cairn::Value::list(vec![
        decision("db", true, "fine"),
        decision("web", false, "images must be pinned to a digest"),
    ]));
    plugin(
        "abi 1\nname rules\npolicy pinned_images\n",
        &format!(
            "(data (i32.const 2048) \"{}\")\n(func (export \"pinned_images\") (param i32 i32) (result i64) (i64.const {}))",
            data(&result),
            (2048u64 << 32) | result.len() as u64
        ),
    )
}

const POLICY_PROGRAM: &str = r#"import plugins.rules
resource db: file.File { path: "db.txt", content: "db" }
resource web: file.File { path: "web.txt", content: "web" }
"#;

#[test]
fn a_denying_policy_points_at_the_resource() {
    let toml = "[plugins.rules]\npath = \"p.wasm\"\n";
    let (engine, out) = run(&policy_plugin(), Some(toml), POLICY_PROGRAM);
    assert!(!out.has_errors(), "{}", rendered(&engine, &out.diagnostics));
    let denied = out.check_policies();
    snapshot("plugin__policy", rendered(&engine, &denied));
}

/// A temporary project folder.
fn project(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cairn-plugin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn cairn(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cairn")
}

#[test]
fn cli_plan_stops_on_a_denial_and_caches_compiled_plugins() {
    // The C example's policy: images must have a tag other than `latest`, or a digest.
    let dir = project("plan");
    let wasm = std::fs::read(crate::common::root().join("examples/plugins/c/semver.wasm"))
        .expect("the C example is built");
    std::fs::write(dir.join("semver.wasm"), wasm).expect("w");
    std::fs::write(
        dir.join("cairn.toml"),
        "[plugins.semver]\npath = \"semver.wasm\"\n",
    )
    .expect("w");
    let program = |image: &str| {
        format!(
            "import plugins.semver\nresource notes: file.File {{ path: \"notes.txt\", content: semver.bump(\"1.0.0\", \"minor\") }}\nresource web: k8s.Deployment {{\n  spec.template.spec.containers: [{{ name: \"web\", image: \"{image}\" }}]\n}}\n"
        )
    };
    std::fs::write(dir.join("main.cairn"), program("shop/web:latest")).expect("w");
    let o = cairn(&dir, &["plan", "main.cairn"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{err}");
    snapshot("plugin__cli_denial", err.clone());
    // Compiled code is never written to the project.
    assert!(!dir.join(".cairn/cache").exists());
    let again = cairn(&dir, &["plan", "main.cairn"]);
    assert_eq!(String::from_utf8_lossy(&again.stderr), err);
    // A pinned image passes, and the plan goes ahead.
    std::fs::write(dir.join("main.cairn"), program("shop/web:1.4.2")).expect("w");
    let ok = cairn(&dir, &["plan", "main.cairn"]);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.contains("1.1.0"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shared_host_compiles_each_plugin_once_and_nothing_is_read_from_disk() {
    let dir = project("cache");
    let wasm = echo_plugin();
    std::fs::write(dir.join("p.wasm"), &wasm).expect("w");
    std::fs::write(
        dir.join("main.cairn"),
        "import \"./p.wasm\" as p\nx: p.int(1)\n",
    )
    .expect("w");
    // What an older version cached, now garbage: it must change nothing.
    let old_cache = dir.join(".cairn/cache/plugins");
    std::fs::create_dir_all(&old_cache).expect("mkdir");
    std::fs::write(
        old_cache.join(format!("{}.cwasm", "0".repeat(64))),
        b"\x7fELF garbage",
    )
    .expect("w");
    let load = |host: Option<&cairn::plugin::Host>| {
        let mut engine = Engine::new();
        if let Some(host) = host {
            engine.plugin_host(host.clone());
        }
        let out = engine.evaluate_file(dir.join("main.cairn"));
        assert!(!out.has_errors(), "{}", rendered(&engine, &out.diagnostics));
        assert_eq!(out.document.get("x"), Some(&cairn::Value::Int(1)));
        out.plugins.first().map(|p| p.cached)
    };
    let host = cairn::plugin::Host::default();
    assert_eq!(load(Some(&host)), Some(false));
    assert_eq!(load(Some(&host)), Some(true));
    // An engine of its own compiles afresh.
    assert_eq!(load(None), Some(false));
    // A changed plugin is compiled again by the same host.
    let mut changed = wasm.clone();
    changed.extend_from_slice(&[0, 5, 4, b'n', b'o', b't', b'e']);
    std::fs::write(dir.join("p.wasm"), &changed).expect("w");
    assert_eq!(load(Some(&host)), Some(false));
    let cached: Vec<_> = std::fs::read_dir(&old_cache)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(cached.len(), 1, "nothing new was written: {cached:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
