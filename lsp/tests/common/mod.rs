//! Helpers for the in-process tests: a server driven through tower's `Service`, a temporary
//! workspace, and rendering of results into the source text.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use serde_json::{Value, json};
use tower::{Service, ServiceExt};
use tower_lsp::LspService;
use tower_lsp::jsonrpc::Request;

/// The cursor in test sources.
pub const CURSOR: char = '‸';

/// A temporary folder with files, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cairn-lsp-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn uri(p: &Path) -> String {
    tower_lsp::lsp_types::Url::from_file_path(p)
        .expect("absolute path")
        .to_string()
}

/// A server in this process, and the notifications it sent.
pub struct Server {
    service: LspService<cairn_lsp::Backend>,
    notes: tokio::sync::mpsc::UnboundedReceiver<Value>,
    id: i64,
    pub root: TempDir,
}

impl Server {
    pub async fn start(name: &str) -> Server {
        Server::start_with(name, &[]).await
    }

    /// Starts a server on a workspace that already has `files` when it initializes.
    pub async fn start_with(name: &str, files: &[(&str, &str)]) -> Server {
        let (service, mut socket) = cairn_lsp::service();
        let (tx, notes) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(req) = socket.next().await {
                let v = serde_json::to_value(&req).unwrap_or(Value::Null);
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let root = TempDir::new(name);
        for (f, text) in files {
            root.write(f, text);
        }
        let mut s = Server {
            service,
            notes,
            id: 0,
            root,
        };
        let root_uri = uri(&s.root.0);
        s.request(
            "initialize",
            json!({ "processId": null, "rootUri": root_uri, "capabilities": {} }),
        )
        .await;
        s.notify("initialized", json!({})).await;
        s
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Value {
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
            .expect("call")
            .expect("a response");
        let v = serde_json::to_value(&resp).expect("json");
        if let Some(e) = v.get("error") {
            return json!({ "error": e });
        }
        v.get("result").cloned().unwrap_or(Value::Null)
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let req = Request::build(method.to_string()).params(params).finish();
        let _ = self.service.ready().await.expect("ready").call(req).await;
    }

    /// Writes a file into the workspace and opens it; returns its path and the cursor's
    /// position (the `‸` is removed from the text).
    pub async fn open(&mut self, name: &str, text_with_cursor: &str) -> (PathBuf, String, Value) {
        let (text, pos) = split_cursor(text_with_cursor);
        let path = self.root.write(name, &text);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(&path), "languageId": "cairn", "version": 1, "text": text } }),
        )
        .await;
        (path, text, pos)
    }

    /// The next diagnostics published for `path`.
    pub async fn diagnostics(&mut self, path: &Path) -> Value {
        let want = uri(path);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let note = tokio::time::timeout_at(deadline, self.notes.recv())
                .await
                .expect("diagnostics in time")
                .expect("open socket");
            if note["method"] == "textDocument/publishDiagnostics" && note["params"]["uri"] == want
            {
                return note["params"]["diagnostics"].clone();
            }
        }
    }

    pub async fn at(&mut self, method: &str, path: &Path, pos: &Value) -> Value {
        self.request(
            method,
            json!({ "textDocument": { "uri": uri(path) }, "position": pos }),
        )
        .await
    }
}

/// The text without its cursor, and the cursor as an LSP position.
pub fn split_cursor(text: &str) -> (String, Value) {
    let Some(at) = text.find(CURSOR) else {
        return (text.to_string(), json!({ "line": 0, "character": 0 }));
    };
    let before = &text[..at];
    let line = before.matches('\n').count();
    let col: usize = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .map(char::len_utf16)
        .sum();
    let clean = format!("{}{}", before, &text[at + CURSOR.len_utf8()..]);
    (clean, json!({ "line": line, "character": col }))
}

fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap_or(0) as usize;
    let ch = pos["character"].as_u64().unwrap_or(0) as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= ch || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The source with the cursor drawn as `‸` and each range as `⟦...⟧` followed by its label.
pub fn render(text: &str, cursor: Option<&Value>, ranges: &[(Value, String)]) -> String {
    let mut marks: Vec<(usize, u8, String)> = Vec::new();
    if let Some(c) = cursor {
        marks.push((offset(text, c), 1, CURSOR.to_string()));
    }
    for (r, label) in ranges {
        let a = offset(text, &r["start"]);
        let b = offset(text, &r["end"]);
        if a == b {
            marks.push((a, 0, format!("⟨{label}⟩")));
            continue;
        }
        marks.push((a, 2, "⟦".into()));
        let suffix = if label.is_empty() {
            "⟧".to_string()
        } else {
            format!("⟧{{{label}}}")
        };
        marks.push((b, 0, suffix));
    }
    marks.sort_by_key(|m| (m.0, m.1));
    let mut out = String::new();
    let mut last = 0;
    for (at, _, m) in marks {
        out.push_str(&text[last..at]);
        out.push_str(&m);
        last = at;
    }
    out.push_str(&text[last..]);
    out
}

/// Completion labels with their details, one a line.
pub fn completion_list(v: &Value) -> String {
    let items = v
        .as_array()
        .cloned()
        .or_else(|| v["items"].as_array().cloned())
        .unwrap_or_default();
    items
        .iter()
        .map(|i| {
            let detail = i["detail"].as_str().unwrap_or("");
            format!("{} {}", i["label"].as_str().unwrap_or("?"), detail)
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
