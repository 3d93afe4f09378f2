//! The analysis survives any text: every Cairn file of the repository cut at many points, with
//! every query at the cut (deterministic cut points; no panic, no hang).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn::ide::Workspace;

fn cairn_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            cairn_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "cairn") {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_file_cut_anywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for d in [
        "tests/corpus",
        "examples",
        "stdlib/lists.cairn",
        "stdlib/strings.cairn",
        "stdlib/k8s/helpers.cairn",
    ] {
        let p = root.join(d);
        if p.is_file() {
            files.push(p);
        } else {
            cairn_files(&p, &mut files);
        }
    }
    assert!(files.len() > 50, "{}", files.len());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let mut queries = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        let path = f.canonicalize().unwrap_or_else(|_| f.clone());
        for _ in 0..3 {
            let mut cut = next(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut_text = &text[..cut];
            let mut ws = Workspace::new(Arc::new(cairn::FsLoader));
            ws.set(path.clone(), cut_text);
            let at = cut;
            let _ = ws.completion(&path, cut_text, at);
            let _ = ws.signature_help(&path, cut_text, at);
            if let Some(an) = ws.analysis_at(&path, at.saturating_sub(1)) {
                let _ = an.hover(at.saturating_sub(1));
                let _ = an.definition(at.saturating_sub(1));
                let _ = an.diagnostics();
                let _ = an.symbols();
                let _ = an.semantic_tokens();
                let _ = an.inlay_hints();
                let _ = an.code_actions(cairn::syntax::ast::Span::new(0, cut));
                let _ = an.format();
            }
            let _ = ws.references(&path, at.saturating_sub(1), true);
            queries += 1;
        }
    }
    assert!(queries > 150, "{queries}");
}
