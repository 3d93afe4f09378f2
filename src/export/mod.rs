//! Export: evaluated values to YAML or JSON text.
//!
//! Which value `cairn export` writes follows one rule (see docs/language.md, "Export"): a
//! program that declares resources exports one document per resource; a program without
//! resources exports its module document. `--document` asks for the module document either way.
//!
//! Resources come out in a stable order that `kubectl apply` can take as it is: Kubernetes
//! objects by kind (namespaces first, then what others need: accounts, roles, config, services,
//! storage, workloads; webhooks last — the order kustomize and Helm use), and in declaration
//! order within a kind; documents that are not Kubernetes objects follow, in declaration order
//! ([`order`]).
//!
//! Output is deterministic: keys keep declaration order, floats use the shortest form that
//! reads back as the same number, and nothing depends on hashing or the clock.
//!
//! Output is bounded: the writers stop with [`ExportError::TooLarge`] once the text passes a
//! limit ([`DEFAULT_MAX_OUTPUT`] unless given), checked as it is written, so a value that is
//! small in memory but huge written out (a shared part doubled again and again) is refused
//! before it takes the memory.

pub mod json;
pub mod yaml;

use std::fmt;

use crate::diagnostics::{Diagnostic, codes};
use crate::eval::ResourceInstance;
use crate::value::Value;

/// The largest output the writers produce when not told otherwise: the default memory budget
/// of an evaluation (see [`crate::eval::Limits`]).
pub const DEFAULT_MAX_OUTPUT: usize = crate::eval::DEFAULT_MAX_MEMORY as usize;

/// Why values could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    /// A value YAML or JSON cannot hold (a function; NaN or an infinity in JSON): why.
    Invalid(String),
    /// The output would be longer than this many bytes.
    TooLarge(usize),
}

impl ExportError {
    /// The error with `TooLarge` naming `limit` (writers report the position they stopped at).
    pub(crate) fn with_limit(self, limit: usize) -> ExportError {
        match self {
            ExportError::TooLarge(_) => ExportError::TooLarge(limit),
            other => other,
        }
    }

    /// The diagnostic: E0200 for what cannot be written, E0152 for output too large.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            ExportError::Invalid(m) => Diagnostic::error(codes::NOT_EXPORTABLE, m.clone())
                .with_help("export only data: functions stay inside the program"),
            ExportError::TooLarge(_) => {
                Diagnostic::error(codes::OUTPUT_TOO_LARGE, self.to_string()).with_help(
                    "a value used more than once is written out each time; if the output really \
                     is this large, raise the budget with `--max-memory` (or `Engine::limits`)",
                )
            }
        }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Invalid(m) => f.write_str(m),
            ExportError::TooLarge(n) => write!(
                f,
                "the output would be larger than {}",
                crate::eval::bytes_text(*n as u64)
            ),
        }
    }
}

impl std::error::Error for ExportError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

/// Which part of an evaluation to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Selection {
    /// Resources if the program declares any, else the module document.
    #[default]
    Auto,
    /// The module document, even when there are resources.
    Document,
}

/// The documents to export from the parts of an evaluation, by the rule above. A program that
/// declares resources exports them even when none was produced this time (an empty stream):
/// its module document is not meant for the tools that read the resources.
pub fn select<'a>(
    document: &'a Value,
    resources: &'a [ResourceInstance],
    declares_resources: bool,
    selection: Selection,
) -> Vec<&'a Value> {
    if selection == Selection::Auto && declares_resources {
        // Resources that `cairn apply` manages (`exec`, `file`) are not documents.
        let bodies: Vec<&Value> = resources
            .iter()
            .filter(|r| !crate::resources::is_applied(&r.type_path))
            .map(|r| &r.body)
            .collect();
        order(&bodies).into_iter().map(|i| bodies[i]).collect()
    } else {
        vec![document]
    }
}

/// Kubernetes kinds in the order they are applied (others come between `PodDisruptionBudget`
/// and the webhook configurations).
pub const KIND_ORDER: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds applied last: admission webhooks would otherwise intercept the objects they guard
/// before those exist.
const KIND_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// A Kubernetes object's `kind`: the document is an object with string `apiVersion` and `kind`.
pub fn kubernetes_kind(doc: &Value) -> Option<&str> {
    let o = doc.as_object()?;
    match (o.get("apiVersion"), o.get("kind")) {
        (Some(Value::Str(_)), Some(Value::Str(k))) => Some(k),
        _ => None,
    }
}

/// Where a document goes in the export order (lower first).
pub fn rank(doc: &Value) -> usize {
    match kubernetes_kind(doc) {
        Some(k) => match KIND_ORDER.iter().position(|x| *x == k) {
            Some(i) => i,
            None => match KIND_LAST.iter().position(|x| *x == k) {
                Some(i) => KIND_ORDER.len() + 1 + i,
                None => KIND_ORDER.len(),
            },
        },
        None => KIND_ORDER.len() + 1 + KIND_LAST.len(),
    }
}

/// The export order of resource documents: by [`rank`], in declaration order within a rank.
pub fn order(docs: &[&Value]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..docs.len()).collect();
    idx.sort_by_key(|&i| rank(docs[i]));
    idx
}

/// A file name for a document written to a folder (`export -o DIR`): its position, then the
/// kind and name of a Kubernetes object (`03-deployment-web.yaml`), or `label` for other
/// documents; only lower-case letters, digits, `.`, `-` and `_`.
pub fn file_name(
    position: usize,
    width: usize,
    doc: &Value,
    label: &str,
    format: Format,
) -> String {
    let clean = |s: &str| -> String {
        let mut out = String::new();
        for c in s.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                out.push(c);
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_matches('-').to_string()
    };
    let meta = doc
        .as_object()
        .and_then(|o| o.get("metadata"))
        .and_then(Value::as_object);
    let field = |k: &str| match meta.and_then(|m| m.get(k)) {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    let stem = match kubernetes_kind(doc) {
        Some(kind) => {
            let mut parts = vec![clean(kind)];
            if let Some(ns) = field("namespace") {
                parts.push(clean(&ns));
            }
            parts.push(clean(&field("name").unwrap_or_else(|| label.to_string())));
            parts.join("-")
        }
        None => clean(label),
    };
    let ext = match format {
        Format::Yaml => "yaml",
        Format::Json => "json",
    };
    format!("{position:0width$}-{stem}.{ext}")
}

/// Whether a file name has the shape [`file_name`] gives (`NN-….yaml` / `.json`): such files in
/// an output folder are ones an earlier export wrote.
pub fn is_export_file_name(name: &str) -> bool {
    let Some((digits, rest)) = name.split_once('-') else {
        return false;
    };
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !rest.is_empty()
        && (rest.ends_with(".yaml") || rest.ends_with(".json"))
}

/// Renders documents: one document alone as a single YAML document or JSON value; several as
/// a YAML stream (`---` before each) or a JSON array.
pub fn render(docs: &[&Value], format: Format) -> Result<String, ExportError> {
    render_as(docs, format, docs.len() != 1, DEFAULT_MAX_OUTPUT)
}

/// [`render`], refusing output longer than `max` bytes.
pub fn render_limited(docs: &[&Value], format: Format, max: usize) -> Result<String, ExportError> {
    render_as(docs, format, docs.len() != 1, max)
}

/// Renders documents as a stream (a YAML stream, a JSON array) even when there is only one or
/// none: how resources are exported, so the shape of the output does not depend on how many
/// resources a run produced.
pub fn render_stream(docs: &[&Value], format: Format) -> Result<String, ExportError> {
    render_as(docs, format, true, DEFAULT_MAX_OUTPUT)
}

/// [`render_stream`], refusing output longer than `max` bytes.
pub fn render_stream_limited(
    docs: &[&Value],
    format: Format,
    max: usize,
) -> Result<String, ExportError> {
    render_as(docs, format, true, max)
}

fn render_as(
    docs: &[&Value],
    format: Format,
    stream: bool,
    max: usize,
) -> Result<String, ExportError> {
    match (format, stream) {
        (Format::Yaml, false) => match docs {
            [one] => yaml::to_string_limited(one, max),
            _ => yaml::to_stream(docs, max),
        },
        (Format::Yaml, true) => yaml::to_stream(docs, max),
        (Format::Json, _) => {
            let mut out = match (docs, stream) {
                ([one], false) => json::to_string_limited(one, Some(2), max)?,
                _ => {
                    let list = Value::list(docs.iter().map(|d| (*d).clone()).collect());
                    json::to_string_limited(&list, Some(2), max)?
                }
            };
            out.push('\n');
            Ok(out)
        }
    }
}

/// Checks that every document can be written in `format`: for JSON, no NaN or infinity (YAML
/// has `.nan` and `.inf`). Run before streaming, so that a failure does not leave half an
/// output behind. Functions are not checked here: evaluation already reports any function that
/// reaches a field or a resource.
pub fn check(docs: &[&Value], format: Format) -> Result<(), String> {
    if format == Format::Yaml {
        return Ok(());
    }
    fn walk(v: &Value, json: bool) -> Result<(), String> {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || walk_inner(v, json))
    }
    fn walk_inner(v: &Value, json: bool) -> Result<(), String> {
        match v {
            Value::Func(_) => Err("a function cannot be exported".to_string()),
            Value::Float(x) if json && !x.is_finite() => Err(format!(
                "JSON has no representation for {}",
                format_float(*x)
            )),
            Value::List(items) => items.iter().try_for_each(|i| walk(i, json)),
            Value::Object(o) => o.values().try_for_each(|i| walk(i, json)),
            _ => Ok(()),
        }
    }
    docs.iter()
        .try_for_each(|d| walk(d, format == Format::Json))
}

/// Writes documents as [`render`] would, but streaming: one document at a time goes through a
/// small buffer, so exporting a large program does not hold its whole output in memory.
/// Call [`check`] first; this returns an error only for I/O, and for output longer than `max`
/// bytes (an error of kind `InvalidData` whose inner error is the [`ExportError`]; part of the
/// output may have been written).
pub fn write_to(
    docs: &[&Value],
    format: Format,
    w: &mut dyn std::io::Write,
    max: usize,
) -> std::io::Result<()> {
    let mut buf = String::with_capacity(64 * 1024);
    let mut keys = yaml::KeyCache::default();
    let mut written = 0usize;
    let invalid =
        |e: ExportError| std::io::Error::new(std::io::ErrorKind::InvalidData, e.with_limit(max));
    match (format, docs) {
        (Format::Yaml, [one]) => {
            yaml::write_document(&mut buf, one, &mut keys, max).map_err(invalid)?;
            w.write_all(buf.as_bytes())?;
        }
        (Format::Yaml, _) => {
            for d in docs {
                buf.clear();
                buf.push_str("---\n");
                let left = max.saturating_sub(written);
                yaml::write_document(&mut buf, d, &mut keys, left).map_err(invalid)?;
                written += buf.len();
                w.write_all(buf.as_bytes())?;
            }
        }
        (Format::Json, [one]) => {
            json::write(&mut buf, one, Some(2), 0, max).map_err(invalid)?;
            buf.push('\n');
            w.write_all(buf.as_bytes())?;
        }
        (Format::Json, _) => {
            w.write_all(b"[")?;
            for (i, d) in docs.iter().enumerate() {
                buf.clear();
                if i > 0 {
                    buf.push(',');
                }
                buf.push_str("\n  ");
                let left = max.saturating_sub(written);
                json::write(&mut buf, d, Some(2), 1, left).map_err(invalid)?;
                written += buf.len();
                w.write_all(buf.as_bytes())?;
            }
            w.write_all(if docs.is_empty() { b"]\n" } else { b"\n]\n" })?;
        }
    }
    Ok(())
}

/// Builds an export one document at a time, as [`render_stream`] writes the same documents
/// (in [`order`]): for streaming evaluation, where each resource is rendered (and its value
/// released) as soon as it is known. Documents are rendered into one buffer per [`rank`], so
/// they are in export order without sorting or copying.
pub struct StreamWriter {
    format: Format,
    /// One file per document (`export -o DIR/`) rather than one stream.
    files: bool,
    /// The rendered documents by rank (a stream), or all of them (files).
    buckets: Vec<String>,
    /// In files mode, each document: its rank, where its text is in `buckets[0]`, and its
    /// file name stem.
    docs: Vec<(usize, std::ops::Range<usize>, String)>,
    count: usize,
    keys: yaml::KeyCache,
    /// The most bytes the whole output may take, and how many it takes so far.
    limit: usize,
    written: usize,
    /// The first document that could not be written.
    pub error: Option<ExportError>,
}

impl StreamWriter {
    /// A writer of one stream (a YAML stream, a JSON array).
    pub fn new(format: Format) -> StreamWriter {
        StreamWriter {
            format,
            files: false,
            buckets: vec![String::new(); KIND_ORDER.len() + KIND_LAST.len() + 2],
            docs: Vec::new(),
            count: 0,
            keys: yaml::KeyCache::default(),
            limit: DEFAULT_MAX_OUTPUT,
            written: 0,
            error: None,
        }
    }

    /// The writer refusing output longer than `max` bytes (instead of [`DEFAULT_MAX_OUTPUT`]).
    pub fn limit(mut self, max: usize) -> StreamWriter {
        self.limit = max;
        self
    }

    /// A writer of one file per document (see [`StreamWriter::files`]).
    pub fn for_files(format: Format) -> StreamWriter {
        StreamWriter {
            files: true,
            ..StreamWriter::new(format)
        }
    }

    /// Appends one document; `label` names its file (in files mode) when it is not a
    /// Kubernetes object (the resource's address, say).
    pub fn push(&mut self, doc: &Value, label: &str) {
        if self.error.is_some() {
            return;
        }
        let r = rank(doc);
        let out = &mut self.buckets[if self.files { 0 } else { r }];
        let start = out.len();
        // This bucket may grow by what is left of the limit.
        let max = start.saturating_add(self.limit.saturating_sub(self.written));
        let result = match self.format {
            Format::Yaml => {
                if !self.files {
                    out.push_str("---\n");
                }
                yaml::write_document(out, doc, &mut self.keys, max)
            }
            Format::Json => check(&[doc], Format::Json)
                .map_err(ExportError::Invalid)
                .and_then(|()| {
                    if !self.files {
                        out.push_str(",\n  ");
                    }
                    json::write(out, doc, Some(2), if self.files { 0 } else { 1 }, max)
                }),
        };
        self.written += out.len() - start;
        if let Err(e) = result {
            self.error = Some(e.with_limit(self.limit));
        }
        if self.files {
            let end = out.len();
            let name = file_name(0, 1, doc, label, self.format);
            let stem = name.split_once('-').map_or(name.as_str(), |(_, s)| s);
            let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s).to_string();
            self.docs.push((r, start..end, stem));
        }
        self.count += 1;
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Writes the whole output; [`render_stream`] produces the same for the same documents.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let parts = self.buckets.iter().filter(|b| !b.is_empty());
        match self.format {
            Format::Yaml => {
                for b in parts {
                    w.write_all(b.as_bytes())?;
                }
            }
            Format::Json if self.count == 0 => w.write_all(b"[]\n")?,
            Format::Json => {
                w.write_all(b"[")?;
                for (i, b) in parts.enumerate() {
                    // Every document starts with `,`: the first of all does not need it.
                    w.write_all(if i == 0 {
                        &b.as_bytes()[1..]
                    } else {
                        b.as_bytes()
                    })?;
                }
                w.write_all(b"\n]\n")?;
            }
        }
        Ok(())
    }

    /// The whole output as text.
    pub fn finish(self) -> String {
        let mut out = Vec::with_capacity(self.buckets.iter().map(String::len).sum::<usize>() + 8);
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The documents as files of their own, in export order: (file name, text). Names are
    /// numbered from 1 (`01-namespace-shop.yaml`); see [`file_name`].
    pub fn files(mut self) -> Vec<(String, String)> {
        self.docs.sort_by_key(|d| d.0);
        let width = self.docs.len().to_string().len().max(2);
        let ext = match self.format {
            Format::Yaml => "yaml",
            Format::Json => "json",
        };
        let json = self.format == Format::Json;
        let text = &self.buckets[0];
        self.docs
            .iter()
            .enumerate()
            .map(|(i, (_, range, stem))| {
                let mut t = text[range.clone()].to_string();
                if json {
                    t.push('\n');
                }
                (format!("{:0width$}-{stem}.{ext}", i + 1), t)
            })
            .collect()
    }
}

/// Formats a float so that YAML 1.1, YAML 1.2 and JSON readers all read it back as the same
/// float: always with a `.` (`1.0`), exponents with a sign (`1.0e+300`), and `.inf`/`.nan`.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return ".nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let s = format!("{x:?}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let mantissa = if mantissa.contains('.') {
                mantissa.to_string()
            } else {
                format!("{mantissa}.0")
            };
            let exp = if exp.starts_with('-') {
                exp.to_string()
            } else {
                format!("+{exp}")
            };
            format!("{mantissa}e{exp}")
        }
        None if s.contains('.') => s,
        None => format!("{s}.0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_back_everywhere() {
        assert_eq!(format_float(1.0), "1.0");
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(1e300), "1.0e+300");
        assert_eq!(format_float(1.5e-7), "1.5e-7");
        assert_eq!(format_float(-0.0), "-0.0");
    }
}
