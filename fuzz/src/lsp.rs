//! The `lsp` fuzz target: any byte stream through the language server's framing layer
//! (`cairn_lsp::transport::triage`, the reader the server runs, without the server). Shared
//! with the smoke run in `lsp/tests/fuzz.rs`.
//!
//! What must hold: no panic; every answer to a bad frame is a JSON-RPC error response
//! (`-32700` or `-32600`, id `null`, a string or an integer); every forwarded body is a
//! message tower-lsp decodes; nothing is read after `exit`.

use cairn_lsp::transport::{Triaged, triage};
use serde_json::Value;

/// Runs the target on one input.
pub fn lsp(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let out = runtime.block_on(triage(data));
    for (i, t) in out.iter().enumerate() {
        match t {
            Triaged::Answered(body) => {
                let v: Value = serde_json::from_slice(body).expect("an answer is JSON");
                assert_eq!(v["jsonrpc"], "2.0", "{v}");
                let code = v["error"]["code"].as_i64();
                assert!(matches!(code, Some(-32700 | -32600)), "{v}");
                assert!(
                    v["id"].is_null()
                        || v["id"].is_string()
                        || v["id"].is_i64()
                        || v["id"].is_u64(),
                    "{v}"
                );
            }
            Triaged::Forwarded(body) => {
                let request = serde_json::from_slice::<tower_lsp::jsonrpc::Request>(body);
                let response = serde_json::from_slice::<tower_lsp::jsonrpc::Response>(body);
                assert!(
                    request.is_ok() || response.is_ok(),
                    "forwarded a body tower-lsp cannot decode: {}",
                    String::from_utf8_lossy(body)
                );
            }
            Triaged::Exit(code) => {
                assert!(matches!(code, 0 | 1));
                assert_eq!(i + 1, out.len(), "something was read after exit");
            }
        }
    }
}
