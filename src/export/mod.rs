//! Export: evaluated values to YAML or JSON text.
//!
//! Which value `cairn export` writes follows one rule (see docs/language.md, "Export"): a
//! program that declares resources exports one document per resource, in declaration order;
//! a program without resources exports its module document. `--document` asks for the module
//! document either way.
//!
//! Output is deterministic: keys keep declaration order, floats use the shortest form that
//! reads back as the same number, and nothing depends on hashing or the clock.

pub mod json;
pub mod yaml;

use crate::eval::ResourceInstance;
use crate::value::Value;

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
        resources.iter().map(|r| &r.body).collect()
    } else {
        vec![document]
    }
}

/// Renders documents: one document alone as a single YAML document or JSON value; several as
/// a YAML stream (`---` before each) or a JSON array.
pub fn render(docs: &[&Value], format: Format) -> Result<String, String> {
    render_as(docs, format, docs.len() != 1)
}

/// Renders documents as a stream (a YAML stream, a JSON array) even when there is only one or
/// none: how resources are exported, so the shape of the output does not depend on how many
/// resources a run produced.
pub fn render_stream(docs: &[&Value], format: Format) -> Result<String, String> {
    render_as(docs, format, true)
}

fn render_as(docs: &[&Value], format: Format, stream: bool) -> Result<String, String> {
    match (format, stream) {
        (Format::Yaml, false) => match docs {
            [one] => yaml::to_string(one),
            _ => yaml::to_stream(docs),
        },
        (Format::Yaml, true) => yaml::to_stream(docs),
        (Format::Json, _) => {
            let mut out = match (docs, stream) {
                ([one], false) => json::to_string(one, Some(2))?,
                _ => {
                    let list = Value::list(docs.iter().map(|d| (*d).clone()).collect());
                    json::to_string(&list, Some(2))?
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
/// Call [`check`] first; this returns an error only for I/O.
pub fn write_to(
    docs: &[&Value],
    format: Format,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut buf = String::with_capacity(64 * 1024);
    let mut keys = yaml::KeyCache::default();
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    match (format, docs) {
        (Format::Yaml, [one]) => {
            yaml::write_document(&mut buf, one, &mut keys).map_err(invalid)?;
            w.write_all(buf.as_bytes())?;
        }
        (Format::Yaml, _) => {
            for d in docs {
                buf.clear();
                buf.push_str("---\n");
                yaml::write_document(&mut buf, d, &mut keys).map_err(invalid)?;
                w.write_all(buf.as_bytes())?;
            }
        }
        (Format::Json, [one]) => {
            json::write(&mut buf, one, Some(2), 0).map_err(invalid)?;
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
                json::write(&mut buf, d, Some(2), 1).map_err(invalid)?;
                w.write_all(buf.as_bytes())?;
            }
            w.write_all(if docs.is_empty() { b"]\n" } else { b"\n]\n" })?;
        }
    }
    Ok(())
}

/// Builds an export one document at a time, as [`render_stream`] writes the same documents:
/// for streaming evaluation, where each resource is written (and its value released) as soon
/// as it is known.
pub struct StreamWriter {
    format: Format,
    out: String,
    count: usize,
    keys: yaml::KeyCache,
    /// The first document that could not be written.
    pub error: Option<String>,
}

impl StreamWriter {
    pub fn new(format: Format) -> StreamWriter {
        StreamWriter {
            format,
            out: String::new(),
            count: 0,
            keys: yaml::KeyCache::default(),
            error: None,
        }
    }

    /// Appends one document.
    pub fn push(&mut self, doc: &Value) {
        if self.error.is_some() {
            return;
        }
        let result = match self.format {
            Format::Yaml => {
                self.out.push_str("---\n");
                yaml::write_document(&mut self.out, doc, &mut self.keys)
            }
            Format::Json => {
                self.out
                    .push_str(if self.count == 0 { "[\n  " } else { ",\n  " });
                check(&[doc], Format::Json)
                    .and_then(|()| json::write(&mut self.out, doc, Some(2), 1))
            }
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
        self.count += 1;
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The whole output; [`render_stream`] produces the same for the same documents.
    pub fn finish(mut self) -> String {
        match (self.format, self.count) {
            (Format::Json, 0) => "[]\n".to_string(),
            (Format::Json, _) => {
                self.out.push_str("\n]\n");
                self.out
            }
            (Format::Yaml, _) => self.out,
        }
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
