//! Renderers for [`Diagnostic`]s: miette reports for people, JSON for tools, and a compact plain
//! form for `Display` and logs.
//!
//! The miette adapter is available to every user of the library; the graphical (fancy) handler is
//! compiled only with the `cli` feature, so embedders do not pay for terminal rendering.

use std::fmt;

use miette::{LabeledSpan, NamedSource};

use super::{Diagnostic, Severity};
use crate::source::SourceMap;

/// A diagnostic bundled with its source text, implementing [`miette::Diagnostic`].
///
/// Labels in the file of the primary label are shown inline; labels in other files become
/// related reports.
#[derive(Debug)]
pub struct MietteReport {
    code: String,
    message: String,
    severity: Severity,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<NamedSource<String>>,
    related: Vec<MietteReport>,
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// Builds the miette adapter for one diagnostic.
pub fn to_miette(diag: &Diagnostic, sources: &SourceMap) -> MietteReport {
    let main_file = diag.primary().map(|l| l.file);
    let mut labels = Vec::new();
    let mut related = Vec::new();
    for l in &diag.labels {
        let text = sources.text(l.file);
        let start = (l.span.start as usize).min(text.len());
        let len = (l.span.len()).min(text.len() - start);
        let msg = (!l.message.is_empty()).then(|| l.message.clone());
        if Some(l.file) == main_file {
            labels.push(if l.primary {
                LabeledSpan::new_primary_with_span(msg, (start, len))
            } else {
                LabeledSpan::new_with_span(msg, (start, len))
            });
        } else {
            related.push(MietteReport {
                code: diag.code.id.to_string(),
                message: l.message.clone(),
                severity: Severity::Info,
                help: None,
                labels: vec![LabeledSpan::new_primary_with_span(None, (start, len))],
                source: Some(NamedSource::new(sources.name(l.file), text.to_string())),
                related: Vec::new(),
            });
        }
    }
    let mut help = diag.help.clone();
    for note in &diag.notes {
        let h = help.get_or_insert_with(String::new);
        if !h.is_empty() {
            h.push('\n');
        }
        h.push_str("note: ");
        h.push_str(note);
    }
    MietteReport {
        code: diag.code.id.to_string(),
        message: diag.message.clone(),
        severity: diag.severity,
        help,
        labels,
        source: main_file.map(|f| NamedSource::new(sources.name(f), sources.text(f).to_string())),
        related,
    }
}

/// Renders a diagnostic with miette's graphical handler; `color` turns on ANSI colours.
#[cfg(feature = "cli")]
pub fn fancy(diag: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    // miette lays lines out with padding widths that must fit in 16 bits; a label on a very
    // long line (a generated file) is shown the plain way instead.
    let long_line = diag.labels.iter().any(|l| {
        let text = sources.text(l.file);
        let at = (l.span.start as usize).min(text.len());
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        end - start > MAX_FANCY_LINE
    });
    if long_line {
        return format!("{}\n", plain(diag, sources));
    }
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    let report = to_miette(diag, sources);
    if handler.render_report(&mut out, &report).is_err() {
        return plain(diag, sources);
    }
    out
}

/// Lines longer than this are not drawn with source excerpts.
#[cfg(feature = "cli")]
const MAX_FANCY_LINE: usize = 2000;

/// A compact rendering: `error[E0100]: message` and `--> file:line:col`, then help and notes.
pub fn plain(diag: &Diagnostic, sources: &SourceMap) -> String {
    let mut out = format!(
        "{}[{}]: {}",
        diag.severity.as_str(),
        diag.code.id,
        diag.message
    );
    if let Some(l) = diag.primary() {
        let (line, col) = sources.line_col(l.file, l.span.start as usize);
        out.push_str(&format!(
            "\n  --> {}:{}:{}",
            sources.name(l.file),
            line,
            col
        ));
        if !l.message.is_empty() {
            out.push_str(&format!(": {}", l.message));
        }
    }
    for l in diag.labels.iter().filter(|l| !l.primary) {
        let (line, col) = sources.line_col(l.file, l.span.start as usize);
        out.push_str(&format!(
            "\n  ... {}:{}:{}: {}",
            sources.name(l.file),
            line,
            col,
            l.message
        ));
    }
    if let Some(h) = &diag.help {
        out.push_str(&format!("\n  help: {h}"));
    }
    for n in &diag.notes {
        out.push_str(&format!("\n  note: {n}"));
    }
    out
}

/// The machine-readable form used by `--diagnostics json`.
pub fn json(diag: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let labels: Vec<serde_json::Value> = diag
        .labels
        .iter()
        .map(|l| {
            let (line, column) = sources.line_col(l.file, l.span.start as usize);
            let (end_line, end_column) = sources.line_col(l.file, l.span.end as usize);
            serde_json::json!({
                "file": sources.name(l.file),
                "start": l.span.start,
                "end": l.span.end,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "message": l.message,
                "primary": l.primary,
            })
        })
        .collect();
    serde_json::json!({
        "code": diag.code.id,
        "severity": diag.severity.as_str(),
        "message": diag.message,
        "labels": labels,
        "help": diag.help,
        "notes": diag.notes,
    })
}
