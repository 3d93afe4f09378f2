//! `cairn-lsp`: the Cairn language server, speaking LSP over standard input and output.

#[tokio::main]
async fn main() {
    let (service, socket) = cairn_lsp::service();
    tower_lsp::Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}
