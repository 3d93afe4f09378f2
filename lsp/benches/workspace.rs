//! The language server on a generated workspace of 20 files and about 5,000 lines
//! (`cargo bench -p cairn-lsp --bench workspace`; a plain `main`, no harness).
//!
//! Measured through the real server in this process (tower's `Service`, JSON-RPC values in and
//! out): completion and hover latency (p50, p99 over many positions in every file), the time
//! from a `didChange` to the `publishDiagnostics` it causes (debounce included), and the
//! process's resident memory at the end and at its peak. Figures are in benches/README.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tower::{Service, ServiceExt};
use tower_lsp::jsonrpc::Request;

const FILES: usize = 20;

fn lib() -> String {
    let mut s = String::from(
        "import std.k8s\n\n/// Labels every object of a service carries.\nfn labels(name: String) -> {String: String} = { app: name, team: \"shop\" }\n\n/// Replicas of every deployment.\nlet replicas = 2\n\n",
    );
    for i in 0..40 {
        s.push_str(&format!("/// Size {i}.\nlet size{i}: k8s.ResourceRequirements = {{ requests: {{ cpu: \"{i}m\", memory: \"{i}Mi\" }} }}\n"));
    }
    s
}

fn service(n: usize) -> String {
    let mut s = format!(
        "import std.k8s\nimport \"./lib.cairn\"\n\n/// Service {n}.\nlet name = \"svc{n}\"\nlet port = {}\n\n",
        8000 + n
    );
    s.push_str(concat!(
        "/// A probe of the service's port.\n",
        "fn probe(path: String) -> k8s.Probe = {\n",
        "  httpGet: { path: path, port: port }\n",
        "  periodSeconds: 10\n",
        "}\n\n",
        "/// Its settings.\n",
        "schema Settings {\n",
        "  level: \"debug\" | \"info\"\n",
        "  retries: Int(0..=5) = 3\n",
        "}\n\n",
    ));
    for j in 0..11 {
        s.push_str(&format!(
            r#"resource deploy{j}: k8s.Deployment {{
  metadata: {{ name: "${{name}}-{j}", labels: lib.labels(name) }}
  spec: {{
    replicas: lib.replicas
    selector: {{ matchLabels: lib.labels(name) }}
    template: {{
      metadata: {{ labels: lib.labels(name) }}
      spec: {{
        containers: [
          {{
            name: "app"
            image: "registry.example.com/${{name}}:1.{j}"
            ports: [{{ containerPort: port }}]
            resources: {{ requests: {{ cpu: "100m", memory: "128Mi" }} }}
          }}
        ]
      }}
    }}
  }}
}}
let extra{j} = port + {j}

"#
        ));
    }
    s
}

struct Server {
    service: tower_lsp::LspService<cairn_lsp::Backend>,
    notes: tokio::sync::mpsc::UnboundedReceiver<Value>,
    id: i64,
}

impl Server {
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.id += 1;
        let req = Request::build(method.to_string())
            .params(params)
            .id(self.id)
            .finish();
        let resp = self
            .service
            .ready()
            .await
            .expect("ready")
            .call(req)
            .await
            .expect("call");
        serde_json::to_value(resp).unwrap_or(Value::Null)["result"].clone()
    }

    async fn notify(&mut self, method: &str, params: Value) {
        let req = Request::build(method.to_string()).params(params).finish();
        let _ = self.service.ready().await.expect("ready").call(req).await;
    }

    async fn diagnostics_for(&mut self, uri: &str) -> Value {
        loop {
            let n = self.notes.recv().await.expect("socket");
            if n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri {
                return n["params"]["diagnostics"].clone();
            }
        }
    }
}

fn uri(p: &Path) -> String {
    tower_lsp::lsp_types::Url::from_file_path(p)
        .expect("uri")
        .to_string()
}

/// LSP positions of every occurrence of `needle` (plus `shift` characters) in `text`.
fn positions(text: &str, needle: &str, shift: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for (line, l) in text.lines().enumerate() {
        if let Some(c) = l.find(needle) {
            out.push(json!({ "line": line, "character": c + shift }));
        }
    }
    out
}

fn percentile(xs: &mut [Duration], p: f64) -> Duration {
    xs.sort();
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i.min(xs.len() - 1)]
}

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string() + " kB")
        .unwrap_or_else(|| "?".into())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("cairn-lsp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut docs: Vec<(PathBuf, String)> = vec![(dir.join("lib.cairn"), lib())];
    for n in 1..FILES {
        docs.push((dir.join(format!("svc{n}.cairn")), service(n)));
    }
    let lines: usize = docs.iter().map(|(_, t)| t.lines().count()).sum();
    for (p, t) in &docs {
        std::fs::write(p, t).expect("write");
    }
    println!("workspace: {} files, {lines} lines", docs.len());

    let (service, mut socket) = cairn_lsp::service();
    let (tx, notes) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(r) = socket.next().await {
            if tx
                .send(serde_json::to_value(&r).unwrap_or(Value::Null))
                .is_err()
            {
                break;
            }
        }
    });
    let mut s = Server {
        service,
        notes,
        id: 0,
    };
    s.request(
        "initialize",
        json!({ "processId": null, "rootUri": uri(&dir), "capabilities": {} }),
    )
    .await;
    s.notify("initialized", json!({})).await;
    for (p, t) in &docs {
        s.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri(p), "languageId": "cairn", "version": 1, "text": t } })).await;
        let d = s.diagnostics_for(&uri(p)).await;
        assert!(
            d.as_array()
                .is_some_and(|a| a.iter().all(|d| d["severity"] != 1)),
            "{}: {d}",
            p.display()
        );
    }

    // Completion: the fields of ResourceRequirements after `resources: { `, and of a container
    // after `name: "app"` (a key position on its own line) in every service file.
    let mut completion = Vec::new();
    let mut hover = Vec::new();
    for (p, t) in docs.iter().skip(1) {
        let doc = json!({ "uri": uri(p) });
        let mut at = positions(t, "resources: { ", "resources: { ".len());
        at.extend(positions(
            t,
            "replicas: lib.replicas",
            "replicas: lib.".len(),
        ));
        for pos in &at {
            let start = Instant::now();
            let v = s
                .request(
                    "textDocument/completion",
                    json!({ "textDocument": doc, "position": pos }),
                )
                .await;
            completion.push(start.elapsed());
            assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{pos}: {v}");
        }
        let mut at = positions(t, "    replicas", 6);
        at.extend(positions(
            t,
            "containerPort: port",
            "containerPort: p".len(),
        ));
        at.extend(positions(t, "let extra", 5));
        for pos in &at {
            let start = Instant::now();
            let v = s
                .request(
                    "textDocument/hover",
                    json!({ "textDocument": doc, "position": pos }),
                )
                .await;
            hover.push(start.elapsed());
            assert!(!v.is_null(), "{pos}");
        }
    }
    println!(
        "completion: {} requests, p50 {}, p99 {}",
        completion.len(),
        ms(percentile(&mut completion, 0.5)),
        ms(percentile(&mut completion, 0.99))
    );
    println!(
        "hover: {} requests, p50 {}, p99 {}",
        hover.len(),
        ms(percentile(&mut hover, 0.5)),
        ms(percentile(&mut hover, 0.99))
    );

    // Diagnostics after an edit: change a value in a service file, wait for the publication.
    let (p, t) = &docs[5];
    let mut latency = Vec::new();
    for v in 0..30 {
        let text = t.replace("let port = 8005", &format!("let port = {}", 9000 + v));
        let start = Instant::now();
        s.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(p), "version": v + 2 }, "contentChanges": [{ "text": text }] }),
        )
        .await;
        s.diagnostics_for(&uri(p)).await;
        latency.push(start.elapsed());
    }
    println!(
        "diagnostics after an edit (debounce {} ms included): p50 {}, p99 {}",
        cairn_lsp::DEBOUNCE.as_millis(),
        ms(percentile(&mut latency, 0.5)),
        ms(percentile(&mut latency, 0.99))
    );
    println!(
        "resident memory: now {}, peak {}",
        status("VmRSS:"),
        status("VmHWM:")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
