//! The `LanguageServer` implementation: one method per LSP request, each converting its
//! positions and calling `cairn::ide` on a snapshot of the workspace. The methods stay in one
//! file rather than one file each: every one is a few lines of conversion around one call, and
//! the shared helpers (`run`, `location`) sit next to them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn::ide::{self, Workspace};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer};

use crate::convert;

/// How long after the last change of a document its diagnostics are published.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
}

struct State {
    ws: Workspace,
    /// The URI each open document was opened with, by path.
    uris: HashMap<PathBuf, Url>,
    /// Bumped on every change of a document: a pending publication that sees a newer number
    /// gives way to the one after it.
    generation: HashMap<PathBuf, u64>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(State {
                ws: Workspace::new(Arc::new(cairn::FsLoader)),
                uris: HashMap::new(),
                generation: HashMap::new(),
            })),
        }
    }

    /// A copy of the workspace (documents are shared, not copied).
    fn snapshot(&self) -> Workspace {
        match self.state.lock() {
            Ok(s) => s.ws.clone(),
            Err(poisoned) => poisoned.into_inner().ws.clone(),
        }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Runs `f` on a snapshot of the workspace on a blocking thread. A panic in the analysis
    /// (a bug) answers nothing instead of taking the server down.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(Workspace) -> Option<R> + Send + 'static,
    ) -> Option<R> {
        let ws = self.snapshot();
        tokio::task::spawn_blocking(move || f(ws))
            .await
            .ok()
            .flatten()
    }

    fn changed(&self, uri: Url, text: String) {
        let path = convert::path_of(&uri);
        let generation = self.with_state(|s| {
            s.ws.set(path.clone(), text);
            s.uris.insert(path.clone(), uri.clone());
            let g = s.generation.entry(path.clone()).or_insert(0);
            *g += 1;
            *g
        });
        let client = self.client.clone();
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DEBOUNCE).await;
            let current = |state: &Arc<Mutex<State>>| match state.lock() {
                Ok(s) => s.generation.get(&path).copied(),
                Err(p) => p.into_inner().generation.get(&path).copied(),
            };
            if current(&state) != Some(generation) {
                return;
            }
            let ws = match state.lock() {
                Ok(s) => s.ws.clone(),
                Err(p) => p.into_inner().ws.clone(),
            };
            let p = path.clone();
            let diags = tokio::task::spawn_blocking(move || publishable(&ws, &p))
                .await
                .ok()
                .flatten();
            if let Some(diags) = diags
                && current(&state) == Some(generation)
            {
                client.publish_diagnostics(uri, diags, None).await;
            }
        });
    }
}

/// The document's diagnostics as LSP diagnostics.
pub(crate) fn publishable(ws: &Workspace, path: &Path) -> Option<Vec<Diagnostic>> {
    let an = ws.analysis(path)?;
    let ix = &an.line_index;
    let out = an
        .diagnostics()
        .into_iter()
        .map(|d| {
            let related = d
                .related
                .iter()
                .filter_map(|r| {
                    let (uri, text) =
                        convert::file_of(&r.location.file, |p| ws.text(p).map(|t| t.to_string()))?;
                    let rix = ide::LineIndex::new(text);
                    Some(DiagnosticRelatedInformation {
                        location: Location::new(uri, convert::range(&rix, r.location.span)),
                        message: r.message.clone(),
                    })
                })
                .collect::<Vec<_>>();
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(h);
            }
            Diagnostic {
                range: convert::range(ix, d.span),
                severity: Some(convert::severity(d.severity)),
                code: Some(NumberOrString::String(d.code.clone())),
                source: Some("cairn".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Diagnostic::default()
            }
        })
        .collect();
    Some(out)
}

fn location(ws: &Workspace, loc: &ide::Location) -> Option<Location> {
    let (uri, text) = convert::file_of(&loc.file, |p| ws.text(p).map(|t| t.to_string()))?;
    let ix = ide::LineIndex::new(text);
    Some(Location::new(uri, convert::range(&ix, loc.span)))
}

/// The `.cairn` files under a folder (not in hidden folders or `target`), at most a few
/// thousand.
fn find_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "cairn") {
                out.push(p);
                if out.len() >= 5000 {
                    return out;
                }
            }
        }
    }
    out
}

fn doc_path(doc: &TextDocumentIdentifier) -> PathBuf {
    convert::path_of(&doc.uri)
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or(params.root_uri.clone());
        if let Some(root) = root.and_then(|u| u.to_file_path().ok()) {
            let files = tokio::task::spawn_blocking(move || find_files(&root))
                .await
                .unwrap_or_default();
            self.with_state(|s| s.ws.set_known(files));
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "cairn-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::FULL,
                )),
                position_encoding: Some(PositionEncodingKind::UTF16),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "\"".into(), "/".into()]),
                    ..CompletionOptions::default()
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: convert::token_legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                inlay_hint_provider: Some(OneOf::Left(true)),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".into(), ",".into()]),
                    ..SignatureHelpOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                ..ServerCapabilities::default()
            },
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.changed(params.text_document.uri, params.text_document.text);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // Full synchronisation: the last change holds the whole text.
        if let Some(c) = params.content_changes.into_iter().last() {
            self.changed(params.text_document.uri, c.text);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let path = doc_path(&params.text_document);
        self.with_state(|s| {
            s.ws.remove(&path);
            s.uris.remove(&path);
            *s.generation.entry(path.clone()).or_insert(0) += 1;
        });
        self.client
            .publish_diagnostics(params.text_document.uri, Vec::new(), None)
            .await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let pos = params.text_document_position;
        let path = doc_path(&pos.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text.clone());
                let at = convert::offset(&ix, pos.position);
                let items = ws
                    .completion(&path, &text, at)
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| CompletionItem {
                        label: c.label.clone(),
                        kind: Some(convert::completion_kind(c.kind)),
                        detail: c.detail,
                        documentation: c.doc.map(|d| {
                            Documentation::MarkupContent(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: d,
                            })
                        }),
                        sort_text: Some(format!("{i:05}")),
                        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                            range: convert::range(&ix, c.replace),
                            new_text: c.insert.unwrap_or(c.label),
                        })),
                        ..CompletionItem::default()
                    })
                    .collect();
                Some(CompletionResponse::Array(items))
            })
            .await)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let pos = params.text_document_position_params;
        let path = doc_path(&pos.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text);
                let at = convert::offset(&ix, pos.position);
                let an = ws.analysis_at(&path, at)?;
                let h = an.hover(at)?;
                Some(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: h.markdown,
                    }),
                    range: Some(convert::range(&ix, h.span)),
                })
            })
            .await)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let pos = params.text_document_position_params;
        let path = doc_path(&pos.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text);
                let at = convert::offset(&ix, pos.position);
                let an = ws.analysis_at(&path, at)?;
                let loc = an.definition(at)?;
                location(&ws, &loc).map(GotoDefinitionResponse::Scalar)
            })
            .await)
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let pos = params.text_document_position;
        let with_def = params.context.include_declaration;
        let path = doc_path(&pos.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text);
                let at = convert::offset(&ix, pos.position);
                let locs = ws.references(&path, at, with_def);
                Some(locs.iter().filter_map(|l| location(&ws, l)).collect())
            })
            .await)
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let path = doc_path(&params.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text);
                let at = convert::offset(&ix, params.position);
                let span = ws.prepare_rename(&path, at)?;
                Some(PrepareRenameResponse::Range(convert::range(&ix, span)))
            })
            .await)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let pos = params.text_document_position;
        let path = doc_path(&pos.text_document);
        let new_name = params.new_name;
        let result = self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text);
                let at = convert::offset(&ix, pos.position);
                Some(ws.rename(&path, at, &new_name).map(|files| {
                    let mut changes = HashMap::new();
                    for (p, edits) in files {
                        let Some(text) = ws.text(&p) else { continue };
                        let Ok(uri) = Url::from_file_path(&p) else {
                            continue;
                        };
                        let fix = ide::LineIndex::new(text);
                        let edits = edits
                            .into_iter()
                            .map(|e| TextEdit::new(convert::range(&fix, e.span), e.new_text))
                            .collect();
                        changes.insert(uri, edits);
                    }
                    WorkspaceEdit::new(changes)
                }))
            })
            .await;
        match result {
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(m)) => Err(tower_lsp::jsonrpc::Error::invalid_params(m)),
            None => Ok(None),
        }
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let path = doc_path(&params.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text.clone());
                let parsed = cairn::syntax::parse(cairn::source::FileId(0), &text);
                let symbols = cairn::ide::document_symbols(&parsed.module.items, &text);
                fn convert_all(ix: &ide::LineIndex, s: Vec<ide::Symbol>) -> Vec<DocumentSymbol> {
                    s.into_iter()
                        .map(|s| {
                            #[allow(deprecated)]
                            DocumentSymbol {
                                name: s.name,
                                detail: s.detail,
                                kind: convert::symbol_kind(s.kind),
                                tags: None,
                                deprecated: None,
                                range: convert::range(ix, s.span),
                                selection_range: convert::range(ix, s.selection),
                                children: Some(convert_all(ix, s.children)),
                            }
                        })
                        .collect()
                }
                Some(DocumentSymbolResponse::Nested(convert_all(&ix, symbols)))
            })
            .await)
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        Ok(self
            .run(move |ws| {
                let out = ws
                    .workspace_symbols(&params.query)
                    .into_iter()
                    .filter_map(|(p, s)| {
                        let text = ws.text(&p)?;
                        let ix = ide::LineIndex::new(text);
                        #[allow(deprecated)]
                        Some(SymbolInformation {
                            name: s.name,
                            kind: convert::symbol_kind(s.kind),
                            tags: None,
                            deprecated: None,
                            location: Location::new(
                                Url::from_file_path(&p).ok()?,
                                convert::range(&ix, s.selection),
                            ),
                            container_name: None,
                        })
                    })
                    .collect();
                Some(out)
            })
            .await)
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let path = doc_path(&params.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let formatted = cairn::fmt::format_source(cairn::source::FileId(0), &text).ok()?;
                if formatted == *text {
                    return Some(Vec::new());
                }
                let ix = ide::LineIndex::new(text.clone());
                let all = cairn::syntax::ast::Span::new(0, text.len());
                Some(vec![TextEdit::new(convert::range(&ix, all), formatted)])
            })
            .await)
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let path = doc_path(&params.text_document);
        Ok(self
            .run(move |ws| {
                let an = ws.analysis(&path)?;
                let data = convert::tokens(&an.line_index, &an.semantic_tokens());
                Some(SemanticTokensResult::Tokens(SemanticTokens {
                    result_id: None,
                    data,
                }))
            })
            .await)
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let path = doc_path(&params.text_document);
        let range = params.range;
        Ok(self
            .run(move |ws| {
                let an = ws.analysis(&path)?;
                let ix = &an.line_index;
                let span = convert::span(ix, range);
                let hints = an
                    .inlay_hints()
                    .into_iter()
                    .filter(|h| span.start as usize <= h.offset && h.offset <= span.end as usize)
                    .map(|h| InlayHint {
                        position: convert::position(ix, h.offset),
                        label: InlayHintLabel::String(h.label),
                        kind: Some(InlayHintKind::TYPE),
                        text_edits: None,
                        tooltip: None,
                        padding_left: None,
                        padding_right: None,
                        data: None,
                    })
                    .collect();
                Some(hints)
            })
            .await)
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let pos = params.text_document_position_params;
        let path = doc_path(&pos.text_document);
        Ok(self
            .run(move |ws| {
                let text = ws.text(&path)?;
                let ix = ide::LineIndex::new(text.clone());
                let at = convert::offset(&ix, pos.position);
                let s = ws.signature_help(&path, &text, at)?;
                Some(SignatureHelp {
                    signatures: vec![SignatureInformation {
                        label: s.label,
                        documentation: s.doc.map(|d| {
                            Documentation::MarkupContent(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: d,
                            })
                        }),
                        parameters: Some(
                            s.params
                                .into_iter()
                                .map(|p| ParameterInformation {
                                    label: ParameterLabel::Simple(p),
                                    documentation: None,
                                })
                                .collect(),
                        ),
                        active_parameter: Some(s.active as u32),
                    }],
                    active_signature: Some(0),
                    active_parameter: Some(s.active as u32),
                })
            })
            .await)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let path = doc_path(&params.text_document);
        let uri = params.text_document.uri.clone();
        let range = params.range;
        Ok(self
            .run(move |ws| {
                let an = ws.analysis(&path)?;
                let ix = &an.line_index;
                let actions = an
                    .code_actions(convert::span(ix, range))
                    .into_iter()
                    .map(|a| {
                        let edits = a
                            .edits
                            .into_iter()
                            .map(|e| TextEdit::new(convert::range(ix, e.span), e.new_text))
                            .collect();
                        CodeActionOrCommand::CodeAction(CodeAction {
                            title: a.title,
                            kind: Some(CodeActionKind::QUICKFIX),
                            edit: Some(WorkspaceEdit::new(HashMap::from([(uri.clone(), edits)]))),
                            ..CodeAction::default()
                        })
                    })
                    .collect();
                Some(actions)
            })
            .await)
    }
}
