//! SARIF 2.1.0 output (`cairn lint --format sarif`), for code scanning in CI (GitHub, GitLab).

use serde_json::{Value as Json, json};

use crate::diagnostics::{Diagnostic, Severity};
use crate::source::SourceMap;

/// The diagnostics of a lint run as one SARIF 2.1.0 log.
pub fn log(diagnostics: &[Diagnostic], sources: &SourceMap) -> Json {
    let rules: Vec<Json> = super::rules::ALL
        .iter()
        .map(|r| {
            let i = r.info();
            json!({
                "id": i.code,
                "name": i.name,
                "shortDescription": { "text": i.summary },
                "fullDescription": { "text": i.why },
                "help": { "text": format!("{}\n\nInstead:\n{}", i.why, i.instead.trim()) },
                "helpUri": format!("https://github.com/cairn-lang/cairn/blob/main/docs/lint-rules.md#{}", i.name),
                "defaultConfiguration": { "level": level(i.level) },
                "properties": { "tags": [i.group.name()] },
            })
        })
        .collect();
    let results: Vec<Json> = diagnostics
        .iter()
        .map(|d| {
            let locations: Vec<Json> = d
                .primary()
                .map(|l| {
                    let (sl, sc) = sources.line_col(l.file, l.span.start as usize);
                    let (el, ec) = sources.line_col(l.file, l.span.end as usize);
                    vec![json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": sources.name(l.file).replace('\\', "/") },
                            "region": {
                                "startLine": sl, "startColumn": sc,
                                "endLine": el, "endColumn": ec,
                            }
                        }
                    })]
                })
                .unwrap_or_default();
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!(" ({h})"));
            }
            json!({
                "ruleId": d.code.id,
                "level": match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "note",
                },
                "message": { "text": text },
                "locations": locations,
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "cairn",
                "informationUri": "https://github.com/cairn-lang/cairn",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

fn level(l: super::Level) -> &'static str {
    match l {
        super::Level::Off => "none",
        super::Level::Warn => "warning",
        super::Level::Error => "error",
    }
}
