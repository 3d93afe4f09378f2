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

use crate::eval::Evaluation;
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

/// The documents to export, by the rule above.
pub fn documents(eval: &Evaluation, selection: Selection) -> Vec<&Value> {
    if selection == Selection::Auto && !eval.resources.is_empty() {
        eval.resources.iter().map(|r| &r.body).collect()
    } else {
        vec![&eval.document]
    }
}

/// Renders documents: YAML as a stream (`---` before each document when there are several),
/// JSON as one value (an array when there are several documents).
pub fn render(docs: &[&Value], format: Format) -> Result<String, String> {
    match format {
        Format::Yaml => {
            if let [one] = docs {
                yaml::to_string(one)
            } else {
                yaml::to_stream(docs)
            }
        }
        Format::Json => {
            let mut out = if let [one] = docs {
                json::to_string(one, Some(2))?
            } else {
                let list = Value::list(docs.iter().map(|d| (*d).clone()).collect());
                json::to_string(&list, Some(2))?
            };
            out.push('\n');
            Ok(out)
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
