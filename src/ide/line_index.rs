//! Byte offsets and LSP positions: a line number and a column counted in UTF-16 code units.
//!
//! The engine speaks byte offsets (every span is one); editors speak UTF-16 columns. This is
//! the one place that converts between them. Positions past the end of a line or of the text
//! clamp to it, and a column inside a character (between the halves of a surrogate pair, or
//! inside a multi-byte UTF-8 sequence) moves to the start of that character, so any position a
//! client sends maps to a valid offset.

/// A position as LSP counts it: a zero-based line and a zero-based UTF-16 column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

/// Where each line of a text starts.
#[derive(Clone, Debug)]
pub struct LineIndex {
    text: std::sync::Arc<str>,
    /// Byte offsets of line starts; the first is 0.
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: impl Into<std::sync::Arc<str>>) -> LineIndex {
        let text: std::sync::Arc<str> = text.into();
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i as u32 + 1);
            }
        }
        LineIndex { text, starts }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The position of a byte offset (clamped to the text, and to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.starts[line] as usize;
        let character = self.text[start..offset]
            .chars()
            .map(char::len_utf16)
            .sum::<usize>();
        Position {
            line: line as u32,
            character: character as u32,
        }
    }

    /// A cursor for the positions of many offsets in increasing order: each is counted from
    /// the one before it when on the same line, so converting every token of a document costs
    /// one pass over its text (calling [`LineIndex::position`] for each would count from the
    /// start of its line every time, quadratic on long lines).
    pub fn cursor(&self) -> PositionCursor<'_> {
        PositionCursor {
            ix: self,
            offset: 0,
            pos: Position::default(),
        }
    }

    /// The byte offset of a position (clamped to its line and to the text).
    pub fn offset(&self, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.text.len();
        };
        let start = start as usize;
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(self.text.len(), |&s| s as usize);
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            let next = units + c.len_utf16();
            if next > pos.character as usize {
                return start + i;
            }
            units = next;
        }
        start + line.len()
    }

    /// How many lines the text has (a final newline starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// See [`LineIndex::cursor`].
pub struct PositionCursor<'a> {
    ix: &'a LineIndex,
    /// The last offset converted, and its position.
    offset: usize,
    pos: Position,
}

impl PositionCursor<'_> {
    /// The position of a byte offset, as [`LineIndex::position`] gives it. Offsets after the
    /// last one are counted from it; an earlier one is counted from the start of its line.
    pub fn position(&mut self, offset: usize) -> Position {
        let text = self.ix.text();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            self.pos = self.ix.position(offset);
        } else {
            let line = self.ix.starts.partition_point(|&s| s as usize <= offset) - 1;
            if line as u32 == self.pos.line {
                let more: usize = text[self.offset..offset].chars().map(char::len_utf16).sum();
                self.pos.character += more as u32;
            } else {
                self.pos = self.ix.position(offset);
            }
        }
        self.offset = offset;
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_round_trips() {
        let ix = LineIndex::new("ab\ncd\n");
        assert_eq!(
            ix.position(4),
            Position {
                line: 1,
                character: 1
            }
        );
        assert_eq!(
            ix.offset(Position {
                line: 1,
                character: 1
            }),
            4
        );
        assert_eq!(
            ix.position(6),
            Position {
                line: 2,
                character: 0
            }
        );
    }

    #[test]
    fn non_ascii_counts_utf16_units() {
        // `é` is 2 bytes and 1 unit; `𝄞` is 4 bytes and 2 units (a surrogate pair).
        let text = "x: \"é𝄞z\"\n";
        let ix = LineIndex::new(text);
        let z = text.find('z').unwrap_or(0);
        assert_eq!(
            ix.position(z),
            Position {
                line: 0,
                character: 7
            }
        );
        assert_eq!(
            ix.offset(Position {
                line: 0,
                character: 7
            }),
            z
        );
        // Between the halves of the pair: the start of the character.
        let clef = text.find('𝄞').unwrap_or(0);
        assert_eq!(
            ix.offset(Position {
                line: 0,
                character: 6
            }),
            clef
        );
    }

    #[test]
    fn the_cursor_agrees_with_position() {
        let text = "a é𝄞 b\r\n\nxyz 𝄞\n\n";
        let ix = LineIndex::new(text);
        let mut offsets: Vec<usize> = (0..=text.len() + 2).collect();
        // Forward, then backward and out of range: the cursor restarts where it must.
        offsets.extend([3, 1, 0, 9, 99, 2]);
        let mut cursor = ix.cursor();
        for o in offsets {
            assert_eq!(cursor.position(o), ix.position(o), "offset {o}");
        }
    }

    #[test]
    fn positions_out_of_range_clamp() {
        let ix = LineIndex::new("ab\r\ncd");
        assert_eq!(
            ix.offset(Position {
                line: 0,
                character: 99
            }),
            2
        );
        assert_eq!(
            ix.offset(Position {
                line: 9,
                character: 0
            }),
            6
        );
        assert_eq!(
            ix.position(99),
            Position {
                line: 1,
                character: 2
            }
        );
    }
}
