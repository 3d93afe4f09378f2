//! `cairn-lsp`: the Cairn language server, speaking LSP over standard input and output.

#[tokio::main]
async fn main() {
    let code = cairn_lsp::transport::serve(tokio::io::stdin(), tokio::io::stdout()).await;
    // At once, without waiting for analyses still running on blocking threads.
    std::process::exit(code);
}
