//! Edits: quick fixes from diagnostics, references and rename across the workspace.

use std::path::Path;

use super::resolve::{DefKind, Target};
use super::{Analysis, FileKey, Location, Workspace};
use crate::syntax::ast::Span;

/// A replacement of a span of a document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// A quick fix: edits to the document, and the message of the diagnostic it fixes.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeAction {
    pub title: String,
    pub edits: Vec<TextEdit>,
    pub diagnostic: String,
}

impl Analysis {
    /// The fixes the diagnostics touching `span` offer.
    pub fn code_actions(&self, span: Span) -> Vec<CodeAction> {
        let mut out = Vec::new();
        for d in self.diagnostics() {
            if d.span.end < span.start || span.end < d.span.start {
                continue;
            }
            for (at, replacement) in &d.fixes {
                let title = if replacement.is_empty() {
                    format!("Remove `{}`", self.slice(self.file, *at).trim())
                } else if self.slice(self.file, *at).is_empty() {
                    format!("Insert `{replacement}`")
                } else {
                    format!("Replace with `{replacement}`")
                };
                out.push(CodeAction {
                    title,
                    edits: vec![TextEdit {
                        span: *at,
                        new_text: replacement.clone(),
                    }],
                    diagnostic: d.message.clone(),
                });
            }
        }
        out
    }
}

/// What references and rename at a cursor are about.
struct Subject {
    /// The name or key at the cursor.
    span: Span,
    /// Where what it refers to is declared.
    target: Location,
    /// Whether that is a schema field (named by keys and member names too).
    field: bool,
}

impl Analysis {
    /// The subject at `offset`: a name with a declaration in a file, or a key or member name
    /// that names a schema field.
    fn subject(&self, offset: usize) -> Option<Subject> {
        if let Some(r) = self.name_at(offset) {
            let target = self.target_location(&r.target)?;
            let field = matches!(
                r.target,
                Target::Def {
                    kind: DefKind::Field,
                    ..
                }
            );
            return Some(Subject {
                span: r.span,
                target,
                field,
            });
        }
        let (span, target) = self.field_use_at(offset)?;
        Some(Subject {
            span,
            target,
            field: true,
        })
    }
}

impl Workspace {
    /// Every place in the workspace that refers to what the name at `offset` in `path` refers
    /// to, with its definition when `with_definition`; sorted by file and position. On a schema
    /// field (its declaration, a key of an object of its schema, or a member name), that is
    /// every key and member name that names the field, in every file that sees its schema.
    pub fn references(&self, path: &Path, offset: usize, with_definition: bool) -> Vec<Location> {
        let Some(an) = self.analysis(path) else {
            return Vec::new();
        };
        match an.subject(offset) {
            Some(s) => self.references_to(path, &an, &s.target, with_definition),
            None => Vec::new(),
        }
    }

    /// Every place in the workspace that refers to `target`; `an` is the analysis of `path`.
    fn references_to(
        &self,
        path: &Path,
        an: &Analysis,
        target: &Location,
        with_definition: bool,
    ) -> Vec<Location> {
        let mut out: Vec<Location> = Vec::new();
        let mut files = self.files();
        if !files.iter().any(|f| f == path) {
            files.push(path.to_path_buf());
        }
        for f in files {
            let here = if f == path {
                an.references_here(target)
            } else {
                match self.analysis(&f) {
                    Some(other) => other.references_here(target),
                    None => continue,
                }
            };
            for span in here {
                let loc = Location {
                    file: FileKey::Path(f.clone()),
                    span,
                };
                if !with_definition && loc == *target {
                    continue;
                }
                out.push(loc);
            }
        }
        if with_definition && !out.contains(target) {
            out.push(target.clone());
        }
        out.sort();
        out.dedup();
        out
    }

    /// The edits that rename what the name at `offset` refers to, everywhere in the workspace.
    /// Builtins and the standard library cannot be renamed, and the new name must be a name.
    /// A schema field is renamed at its declaration, in its schema's checks and defaults, and
    /// at every key and member name that names it (inside the quotes of a quoted key); a name
    /// another field of its schema has is refused.
    pub fn rename(
        &self,
        path: &Path,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<(std::path::PathBuf, Vec<TextEdit>)>, String> {
        if !crate::importers::is_ident(new_name) || crate::syntax::KEYWORDS.contains(&new_name) {
            return Err(format!("`{new_name}` is not a valid name"));
        }
        let an = self.analysis(path).ok_or("the document cannot be read")?;
        let subject = match an.subject(offset) {
            Some(s) => s,
            None => {
                return Err(match an.name_at(offset) {
                    Some(_) => "a builtin cannot be renamed".into(),
                    None => "there is no name here".into(),
                });
            }
        };
        if let FileKey::Std(_) = subject.target.file {
            return Err(if subject.field {
                "a field of the standard library cannot be renamed".into()
            } else {
                "a name of the standard library cannot be renamed".into()
            });
        }
        if subject.field {
            for schema in an.schemas_with_field(&subject.target) {
                if let Some(other) = schema.field(new_name)
                    && !(other.span == subject.target.span
                        && an.key(other.file) == subject.target.file)
                {
                    return Err(format!(
                        "`{}` already has a field `{new_name}`",
                        schema.name
                    ));
                }
            }
        }
        let mut by_file: Vec<(std::path::PathBuf, Vec<TextEdit>)> = Vec::new();
        for loc in self.references_to(path, &an, &subject.target, true) {
            let FileKey::Path(p) = loc.file else { continue };
            let span = match self.text(&p) {
                Some(text) => super::fields::rename_span(&text, loc.span),
                None => loc.span,
            };
            let edit = TextEdit {
                span,
                new_text: new_name.to_string(),
            };
            match by_file.iter_mut().find(|(f, _)| *f == p) {
                Some((_, edits)) => edits.push(edit),
                None => by_file.push((p, vec![edit])),
            }
        }
        Ok(by_file)
    }

    /// The span of the name at `offset` if it can be renamed (inside the quotes of a quoted
    /// key or field name).
    pub fn prepare_rename(&self, path: &Path, offset: usize) -> Option<Span> {
        let an = self.analysis(path)?;
        let s = an.subject(offset)?;
        match s.target.file {
            FileKey::Path(_) => Some(super::fields::rename_span(an.text(), s.span)),
            FileKey::Std(_) => None,
        }
    }

    /// Analyses `path` at `offset`, recording what the checker sees there (for hover and
    /// definition). When the item at `offset` does not parse, it is analysed cut after the name
    /// at the cursor with its brackets closed (offsets before the cut are those of the
    /// document).
    pub fn analysis_at(&self, path: &Path, offset: usize) -> Option<Analysis> {
        let text = self.text(path)?;
        let fixed = super::repair::for_position(&text, offset, &self.parser(path));
        Some(Analysis::new(self, path, &fixed, Some(offset)))
    }
}
