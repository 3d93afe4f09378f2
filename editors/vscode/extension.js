// Starts cairn-lsp for .cairn files. Highlighting comes from the TextMate grammar and works
// without the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("cairn").get("server.path") || "cairn-lsp";
  client = new LanguageClient(
    "cairn",
    "Cairn",
    { run: { command }, debug: { command } },
    { documentSelector: [{ scheme: "file", language: "cairn" }, { scheme: "untitled", language: "cairn" }] }
  );
  context.subscriptions.push(client);
  client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
