//! Diagnostics of one document: syntax and loading problems, type errors, and — when the
//! program has no errors — evaluation errors and lint findings with the fixes they offer.
//!
//! Only what is located in the document itself is returned; a problem in an imported file is
//! reported when that file is open. A parameter without a default has no value in the editor,
//! so the evaluator's complaint about it is left out.

use super::{Analysis, Location};
use crate::diagnostics::{Severity, codes};
use crate::lint::Fix;
use crate::syntax::ast::Span;

/// A problem in the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub severity: Severity,
    /// `E0101`, or a lint rule's name (`unused-binding`).
    pub code: String,
    pub message: String,
    /// The diagnostic's help line.
    pub help: Option<String>,
    /// Secondary labels, anywhere.
    pub related: Vec<Related>,
    /// Replacements that fix the problem, for a quick fix: a lint rule's safe fix, or the
    /// spelling a "did you mean" help suggests.
    pub fixes: Vec<(Span, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

impl Analysis {
    /// The document's diagnostics, sorted by position.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all: Vec<crate::Diagnostic> = self.link_diagnostics.clone();
        all.extend(self.check_diagnostics.iter().cloned());
        let mut lint_fixes: Vec<Fix> = Vec::new();
        if !all.iter().any(crate::Diagnostic::is_error) {
            let (more, fixes) = self.evaluate_and_lint();
            all.extend(more);
            lint_fixes = fixes;
        }
        let mut out: Vec<Diagnostic> = all
            .iter()
            .filter_map(|d| self.convert(d, &lint_fixes))
            .collect();
        out.sort_by(|a, b| {
            (a.span.start, a.span.end, &a.code, &a.message).cmp(&(
                b.span.start,
                b.span.end,
                &b.code,
                &b.message,
            ))
        });
        out.dedup();
        out
    }

    fn evaluate_and_lint(&self) -> (Vec<crate::Diagnostic>, Vec<Fix>) {
        let params = indexmap::IndexMap::new();
        let ev = crate::eval::evaluate_streaming(
            &self.program,
            &params,
            &[],
            None,
            crate::eval::Limits::default(),
        );
        let mut out: Vec<crate::Diagnostic> = ev
            .diagnostics
            .into_iter()
            .filter(|d| d.code != codes::INVALID_PARAM)
            .collect();
        let settings = self
            .program
            .project
            .as_ref()
            .map(|p| p.lint.clone())
            .unwrap_or_default();
        let Ok(config) = crate::lint::Config::from_settings(&settings) else {
            return (out, Vec::new());
        };
        let cx =
            crate::lint::Context::new(&self.program, &self.sources, &ev.resources, &ev.document);
        let (found, fixes) = crate::lint::run(&cx, &config);
        out.extend(found);
        (out, fixes)
    }

    fn convert(&self, d: &crate::Diagnostic, lint_fixes: &[Fix]) -> Option<Diagnostic> {
        let primary = d.primary();
        let span = match primary {
            Some(l) if l.file == self.file => l.span,
            Some(_) => return None,
            // A problem of the whole program (a project file): shown at the top.
            None => Span::default(),
        };
        let code = match primary {
            Some(l) if d.code.id.starts_with('L') && !l.message.is_empty() => l.message.clone(),
            _ => d.code.id.to_string(),
        };
        let related = d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .map(|l| Related {
                location: Location {
                    file: self.key(l.file),
                    span: l.span,
                },
                message: l.message.clone(),
            })
            .collect();
        let mut fixes: Vec<(Span, String)> = lint_fixes
            .iter()
            .filter(|f| f.file == self.file && overlaps(f.span, span))
            .map(|f| (f.span, f.replacement.clone()))
            .collect();
        if let Some(s) = d.help.as_deref().and_then(suggestion)
            && !span.is_empty()
            && crate::importers::is_ident(self.slice(self.file, span))
        {
            fixes.push((span, s.to_string()));
        }
        let mut message = d.message.clone();
        if let Some(l) = primary
            && !l.message.is_empty()
            && !d.code.id.starts_with('L')
        {
            message = format!("{message}: {}", l.message);
        }
        Some(Diagnostic {
            span,
            severity: d.severity,
            code,
            message,
            help: d.help.clone(),
            related,
            fixes,
        })
    }
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The name in a "did you mean `name`?" help line.
fn suggestion(help: &str) -> Option<&str> {
    let rest = help.split("did you mean `").nth(1)?;
    let name = rest.split('`').next()?;
    crate::importers::is_ident(name).then_some(name)
}
