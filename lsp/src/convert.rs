//! Between LSP and the IDE layer: URIs and paths, positions and byte offsets, and the IDE's
//! plain data as LSP types. All position conversion goes through [`cairn::ide::LineIndex`].

use std::path::{Path, PathBuf};

use cairn::ide::{self, FileKey, LineIndex};
use cairn::syntax::ast::Span;
use tower_lsp::lsp_types as lsp;
use tower_lsp::lsp_types::Url;

/// The path a document URI names; documents that are not files (`untitled:`) get a path of
/// their own under a folder no file has.
pub fn path_of(uri: &Url) -> PathBuf {
    match uri.to_file_path() {
        Ok(p) => cairn::source::normalize(&p),
        Err(()) => PathBuf::from("/.cairn-lsp-untitled").join(uri.path().trim_start_matches('/')),
    }
}

pub fn position(ix: &LineIndex, offset: usize) -> lsp::Position {
    let p = ix.position(offset);
    lsp::Position::new(p.line, p.character)
}

pub fn offset(ix: &LineIndex, pos: lsp::Position) -> usize {
    ix.offset(ide::Position {
        line: pos.line,
        character: pos.character,
    })
}

pub fn range(ix: &LineIndex, span: Span) -> lsp::Range {
    lsp::Range::new(
        position(ix, span.start as usize),
        position(ix, span.end as usize),
    )
}

pub fn span(ix: &LineIndex, r: lsp::Range) -> Span {
    let a = offset(ix, r.start);
    let b = offset(ix, r.end).max(a);
    Span::new(a, b)
}

/// Where the standard library's files are written for the editor to open.
pub fn std_dir() -> PathBuf {
    std::env::temp_dir().join(format!("cairn-lsp-std-{}", env!("CARGO_PKG_VERSION")))
}

/// The file a location is in, as a URI and its text (a standard library file is written out
/// once, so the editor can open it).
pub fn file_of(key: &FileKey, ws_text: impl Fn(&Path) -> Option<String>) -> Option<(Url, String)> {
    match key {
        FileKey::Path(p) => {
            let text = ws_text(p)?;
            Some((Url::from_file_path(p).ok()?, text))
        }
        FileKey::Std(name) => {
            let text = ide::std_text(name)?;
            let path = std_dir().join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).ok()?;
                }
                std::fs::write(&path, text).ok()?;
            }
            Some((Url::from_file_path(&path).ok()?, text.to_string()))
        }
    }
}

pub fn severity(s: cairn::Severity) -> lsp::DiagnosticSeverity {
    match s {
        cairn::Severity::Error => lsp::DiagnosticSeverity::ERROR,
        cairn::Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        cairn::Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

pub fn completion_kind(k: ide::CompletionKind) -> lsp::CompletionItemKind {
    use ide::CompletionKind as K;
    match k {
        K::Field => lsp::CompletionItemKind::FIELD,
        K::Variable => lsp::CompletionItemKind::VARIABLE,
        K::Function => lsp::CompletionItemKind::FUNCTION,
        K::Module => lsp::CompletionItemKind::MODULE,
        K::Type => lsp::CompletionItemKind::STRUCT,
        K::Literal => lsp::CompletionItemKind::ENUM_MEMBER,
        K::Keyword => lsp::CompletionItemKind::KEYWORD,
        K::File => lsp::CompletionItemKind::FILE,
    }
}

pub fn symbol_kind(k: ide::SymbolKind) -> lsp::SymbolKind {
    use ide::SymbolKind as K;
    match k {
        K::Variable => lsp::SymbolKind::VARIABLE,
        K::Constant => lsp::SymbolKind::CONSTANT,
        K::Function => lsp::SymbolKind::FUNCTION,
        K::Struct => lsp::SymbolKind::STRUCT,
        K::TypeAlias => lsp::SymbolKind::TYPE_PARAMETER,
        K::Field => lsp::SymbolKind::FIELD,
        K::Module => lsp::SymbolKind::MODULE,
        K::Object => lsp::SymbolKind::OBJECT,
        K::Namespace => lsp::SymbolKind::NAMESPACE,
    }
}

/// The semantic token legend: the index of each [`ide::TokenKind`].
pub fn token_legend() -> lsp::SemanticTokensLegend {
    use ide::TokenKind as K;
    let types = ide::TokenKind::ALL
        .iter()
        .map(|k| match k {
            K::Keyword => lsp::SemanticTokenType::KEYWORD,
            K::String => lsp::SemanticTokenType::STRING,
            K::Number => lsp::SemanticTokenType::NUMBER,
            K::Comment => lsp::SemanticTokenType::COMMENT,
            K::Variable => lsp::SemanticTokenType::VARIABLE,
            K::Parameter => lsp::SemanticTokenType::PARAMETER,
            K::Function => lsp::SemanticTokenType::FUNCTION,
            K::Type => lsp::SemanticTokenType::TYPE,
            K::Namespace => lsp::SemanticTokenType::NAMESPACE,
            K::Property => lsp::SemanticTokenType::PROPERTY,
        })
        .collect();
    lsp::SemanticTokensLegend {
        token_types: types,
        token_modifiers: vec![
            lsp::SemanticTokenModifier::DECLARATION,
            lsp::SemanticTokenModifier::DEFAULT_LIBRARY,
        ],
    }
}

/// Tokens in LSP's relative encoding (UTF-16 columns and lengths). The tokens come in source
/// order, so their positions are counted with one cursor over the text (linear in its size).
pub fn tokens(ix: &LineIndex, toks: &[ide::SemanticToken]) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(toks.len());
    let mut cursor = ix.cursor();
    let (mut line, mut col) = (0u32, 0u32);
    for t in toks {
        let a = cursor.position(t.span.start as usize);
        let b = cursor.position(t.span.end as usize);
        if (a.line, a.character) < (line, col) {
            // Out of order (never from `semantic_tokens`): LSP's deltas cannot go back.
            continue;
        }
        if b.line != a.line || b.character <= a.character {
            continue;
        }
        let delta_line = a.line - line;
        let delta_start = if delta_line == 0 {
            a.character - col
        } else {
            a.character
        };
        let kind = ide::TokenKind::ALL
            .iter()
            .position(|k| *k == t.kind)
            .unwrap_or(0);
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: b.character - a.character,
            token_type: kind as u32,
            token_modifiers_bitset: u32::from(t.declaration) | (u32::from(t.builtin) << 1),
        });
        line = a.line;
        col = a.character;
    }
    out
}
