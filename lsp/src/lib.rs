//! The Cairn language server: LSP over stdio on tower-lsp.
//!
//! This crate holds protocol code only. Every answer comes from the engine's IDE layer
//! (`cairn::ide`), which works on byte offsets and plain data; here requests are converted
//! ([`convert`]), run on a snapshot of the workspace off the async threads, and converted back.
//! Diagnostics are published [`DEBOUNCE`] after the last change of a document.
//!
//! The binary serves over stdio through [`transport`], which checks every frame before
//! tower-lsp sees it and ends the process as LSP says.

pub mod convert;
mod server;
pub mod transport;

pub use server::{Backend, DEBOUNCE};

/// The service and the socket for the client's side, as `tower_lsp::LspService::new` builds
/// them (for the binary and the in-process tests).
pub fn service() -> (tower_lsp::LspService<Backend>, tower_lsp::ClientSocket) {
    tower_lsp::LspService::new(Backend::new)
}
