//! One diagnostic model for every stage.
//!
//! Stages produce [`Diagnostic`]s as plain data: a stable [`Code`] from the registry in
//! [`codes`], a severity, a message, labelled byte spans in files, a `help` line and notes.
//! Rendering is separate: [`render`] turns them into miette reports for terminals and into JSON
//! for tools. Nothing in here does I/O.

pub mod codes;
pub mod render;

use crate::source::FileId;
use crate::syntax::ast::Span;
pub use codes::Code;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A span in a file with a message. The primary label marks where the problem is; secondary
/// labels give context ("declared here", "called from here").
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// Adds the primary label.
    pub fn at(mut self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label.
    pub fn also(mut self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary label, if any.
    pub fn primary(&self) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
    }

    /// Sort key: file, then position, then code; diagnostics without a span come last.
    pub fn sort_key(&self) -> (u32, u32, u32, &'static str) {
        match self.primary() {
            Some(l) => (0, l.file.0, l.span.start, self.code.id),
            None => (1, 0, 0, self.code.id),
        }
    }
}

/// Sorts diagnostics by file and position, and keeps one of several that report the same
/// problem at the same place (an error inside a function called from two fields, say).
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup_by(|b, a| {
        a.code == b.code
            && a.message == b.message
            && a.primary().map(|l| (l.file, l.span)) == b.primary().map(|l| (l.file, l.span))
    });
}

/// Names longer than this (in characters) get no suggestion and are never suggested: the edit
/// distance takes time and memory in the product of the lengths.
pub const MAX_SUGGESTED_NAME: usize = 64;

/// How many candidates at most are compared with the edit distance (an object of millions of
/// keys must not make a typo expensive); candidates whose length alone rules them out do not
/// count.
pub const MAX_SUGGESTION_CANDIDATES: usize = 10_000;

/// The closest candidate to `name` by edit distance, for "did you mean" help. Bounded: names
/// longer than [`MAX_SUGGESTED_NAME`] are left out, and at most
/// [`MAX_SUGGESTION_CANDIDATES`] distances are computed.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = name.chars().count();
    if len > MAX_SUGGESTED_NAME {
        return None;
    }
    let limit = (len / 3).max(1);
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    let mut compared = 0;
    for c in candidates {
        if c == name || c.len() > 4 * MAX_SUGGESTED_NAME {
            continue;
        }
        // The distance is at least the difference of the lengths.
        let clen = c.chars().count();
        if clen > MAX_SUGGESTED_NAME || clen.abs_diff(len) > limit {
            continue;
        }
        compared += 1;
        if compared > MAX_SUGGESTION_CANDIDATES {
            break;
        }
        let d = edit_distance(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
/// adjacent characters each cost 1 (so `imgae` is one edit from `image`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["replicas", "image", "port"];
        assert_eq!(did_you_mean("replica", names), Some("replicas"));
        assert_eq!(did_you_mean("imgae", names), Some("image"));
        assert_eq!(did_you_mean("zzz", names), None);
    }

    #[test]
    fn suggestions_are_bounded() {
        // Long names are neither suggested nor given suggestions: no quadratic work on them.
        let long = "a".repeat(30_000);
        let longer = format!("{long}b");
        assert_eq!(did_you_mean(&long, [longer.as_str()]), None);
        assert_eq!(did_you_mean("a", [long.as_str()]), None);
        let at_limit = "x".repeat(MAX_SUGGESTED_NAME);
        let typo = format!("{}y", "x".repeat(MAX_SUGGESTED_NAME - 1));
        assert_eq!(
            did_you_mean(&typo, [at_limit.as_str()]),
            Some(at_limit.as_str())
        );
        // Many candidates: only so many distances are computed, so a closer name past them
        // is not found; candidates ruled out by their length alone do not count.
        let mut many = vec!["abcdzz"; MAX_SUGGESTION_CANDIDATES];
        many.push("abcdeg");
        assert_eq!(did_you_mean("abcdef", many.iter().copied()), Some("abcdzz"));
        let mut few = vec!["a-much-longer-name"; MAX_SUGGESTION_CANDIDATES];
        few.push("abcdeg");
        assert_eq!(did_you_mean("abcdef", few.iter().copied()), Some("abcdeg"));
    }
}
