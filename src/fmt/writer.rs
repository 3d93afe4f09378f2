//! The output side of the formatter: text, spaces, line breaks and indentation.
//!
//! Spaces and line breaks are requested, not written: a space is only written between two
//! pieces of text on the same line, and a line break only once however often it is asked for,
//! so the printer never leaves trailing white space or doubled blank lines behind.

/// Two spaces per indentation level.
const INDENT: &str = "  ";

pub(super) struct Writer {
    pub buf: String,
    /// The indentation of the current line, or of the next line while `at_line_start`.
    indent: usize,
    /// Nothing has been written on the current line yet (its indentation neither).
    at_line_start: bool,
    pending_space: bool,
    /// A line comment ended the current line: the next text goes on a new line.
    need_newline: bool,
    /// A block was just opened: no blank line may follow.
    fresh: bool,
    /// The column after the last character written.
    col: usize,
    /// The indentation of a line that a line comment breaks in the middle of an expression.
    pub cont: usize,
    /// Where the comments at the end of lines start in `buf`, to align them.
    trailing: Vec<usize>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer {
            buf: String::new(),
            indent: 0,
            at_line_start: true,
            pending_space: false,
            need_newline: false,
            fresh: false,
            col: 0,
            cont: 1,
            trailing: Vec::new(),
        }
    }

    /// Writes `s` (which may contain line breaks, as verbatim strings and comments do).
    pub fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.need_newline {
            self.line_break(self.cont);
        }
        if self.at_line_start {
            for _ in 0..self.indent {
                self.buf.push_str(INDENT);
            }
            self.col = self.indent * INDENT.len();
            self.at_line_start = false;
        } else if self.pending_space && !s.starts_with([',', ')', ']']) {
            self.buf.push(' ');
            self.col += 1;
        }
        self.pending_space = false;
        self.fresh = false;
        self.buf.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = s[i + 1..].chars().count(),
            None => self.col += s.chars().count(),
        }
    }

    /// A space before the next text, unless that text starts a line.
    pub fn space(&mut self) {
        if !self.at_line_start && !self.need_newline {
            self.pending_space = true;
        }
    }

    /// Ends the current line (once), and sets the indentation of the next one.
    pub fn line_break(&mut self, indent: usize) {
        if !self.at_line_start {
            self.buf.push('\n');
            self.at_line_start = true;
            self.col = 0;
        }
        self.indent = indent;
        self.need_newline = false;
        self.pending_space = false;
    }

    /// Ends the line after a block's opening bracket: no blank line follows it.
    pub fn open_line(&mut self, indent: usize) {
        self.line_break(indent);
        self.fresh = true;
    }

    /// One empty line, at the start of a line, unless at the start of the file or of a block, or
    /// after an empty line already.
    pub fn blank_line(&mut self) {
        if self.at_line_start && !self.fresh && !self.buf.is_empty() && !self.buf.ends_with("\n\n")
        {
            self.buf.push('\n');
        }
    }

    /// A line comment at the end of the current line: the line cannot go on.
    pub fn trailing_comment(&mut self, text: &str) {
        let aligned = !self.need_newline && !self.at_line_start;
        self.space();
        self.text(text);
        if aligned {
            self.trailing.push(self.buf.len() - text.len());
        }
        self.need_newline = true;
        self.pending_space = false;
    }

    pub fn at_line_start(&self) -> bool {
        self.at_line_start
    }

    pub fn needs_newline(&self) -> bool {
        self.need_newline
    }

    /// The indentation of the current line.
    pub fn indent(&self) -> usize {
        self.indent
    }

    /// The column the next text would start at.
    pub fn next_col(&self) -> usize {
        if self.need_newline {
            self.cont * INDENT.len()
        } else if self.at_line_start {
            self.indent * INDENT.len()
        } else {
            self.col + usize::from(self.pending_space)
        }
    }

    /// The text, ending in exactly one line break (empty when nothing was written).
    pub fn finish(mut self) -> String {
        let trimmed = self.buf.trim_end_matches('\n').len();
        self.buf.truncate(trimmed);
        if !self.buf.is_empty() {
            self.buf.push('\n');
        }
        align_trailing_comments(&self.buf, &self.trailing)
    }
}

/// Aligns the comments at the end of consecutive lines of the same indentation: each group
/// starts its comments one space after its longest line.
fn align_trailing_comments(buf: &str, trailing: &[usize]) -> String {
    struct Line {
        start: usize,
        comment: usize,
        indent: usize,
        /// The width of the code before the comment.
        width: usize,
    }
    let mut lines: Vec<Line> = Vec::with_capacity(trailing.len());
    for &comment in trailing {
        let Some(before) = buf.get(..comment) else {
            continue;
        };
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        let code = before[start..].trim_end_matches(' ');
        lines.push(Line {
            start,
            comment,
            indent: code.len() - code.trim_start_matches(' ').len(),
            width: code.chars().count(),
        });
    }
    let mut out = String::with_capacity(buf.len() + 64);
    let mut copied = 0;
    let mut i = 0;
    while i < lines.len() {
        // The group: the following lines that each have a comment, with the same indentation.
        let mut j = i + 1;
        while let Some(next) = lines.get(j) {
            let prev = &lines[j - 1];
            let adjacent = buf[prev.comment..].find('\n').map(|n| prev.comment + n + 1);
            if adjacent != Some(next.start) || next.indent != lines[i].indent {
                break;
            }
            j += 1;
        }
        if j - i >= 2 {
            let column = lines[i..j].iter().map(|l| l.width).max().unwrap_or(0) + 1;
            for line in &lines[i..j] {
                let code_end =
                    line.start + buf[line.start..line.comment].trim_end_matches(' ').len();
                out.push_str(&buf[copied..code_end]);
                out.extend(std::iter::repeat_n(' ', column - line.width));
                copied = line.comment;
            }
        }
        i = j;
    }
    out.push_str(&buf[copied..]);
    out
}
