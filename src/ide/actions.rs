//! Edits: quick fixes from diagnostics, references and rename across the workspace.

use std::path::Path;

use super::resolve::Target;
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

impl Workspace {
    /// Every place in the workspace that refers to what the name at `offset` in `path` refers
    /// to, with its definition when `with_definition`; sorted by file and position.
    pub fn references(&self, path: &Path, offset: usize, with_definition: bool) -> Vec<Location> {
        let Some(an) = self.analysis(path) else {
            return Vec::new();
        };
        let Some(target) = an
            .name_at(offset)
            .and_then(|r| an.target_location(&r.target))
        else {
            return Vec::new();
        };
        let mut out: Vec<Location> = Vec::new();
        let mut files = self.files();
        if !files.iter().any(|f| f == path) {
            files.push(path.to_path_buf());
        }
        for f in files {
            let here = if f == path {
                an.references_here(&target)
            } else {
                match self.analysis(&f) {
                    Some(other) => other.references_here(&target),
                    None => continue,
                }
            };
            for span in here {
                let loc = Location {
                    file: FileKey::Path(f.clone()),
                    span,
                };
                if !with_definition && loc == target {
                    continue;
                }
                out.push(loc);
            }
        }
        if with_definition && !out.contains(&target) {
            out.push(target);
        }
        out.sort();
        out.dedup();
        out
    }

    /// The edits that rename what the name at `offset` refers to, everywhere in the workspace.
    /// Builtins and the standard library cannot be renamed, and the new name must be a name.
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
        let r = an.name_at(offset).ok_or("there is no name here")?;
        let Target::Def { .. } = r.target else {
            return Err("a builtin cannot be renamed".into());
        };
        if let Some(Location {
            file: FileKey::Std(_),
            ..
        }) = an.target_location(&r.target)
        {
            return Err("a name of the standard library cannot be renamed".into());
        }
        let mut by_file: Vec<(std::path::PathBuf, Vec<TextEdit>)> = Vec::new();
        for loc in self.references(path, offset, true) {
            let FileKey::Path(p) = loc.file else { continue };
            let edit = TextEdit {
                span: loc.span,
                new_text: new_name.to_string(),
            };
            match by_file.iter_mut().find(|(f, _)| *f == p) {
                Some((_, edits)) => edits.push(edit),
                None => by_file.push((p, vec![edit])),
            }
        }
        Ok(by_file)
    }

    /// The span of the name at `offset` if it can be renamed.
    pub fn prepare_rename(&self, path: &Path, offset: usize) -> Option<Span> {
        let an = self.analysis(path)?;
        let r = an.name_at(offset)?;
        match an.target_location(&r.target)? {
            Location {
                file: FileKey::Path(_),
                ..
            } => Some(r.span),
            _ => None,
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
