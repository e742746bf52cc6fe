//! Text that came from the network is escaped before a terminal sees it.

/// Escapes control characters (C0, DEL, C1) and bidirectional overrides, so
/// that an answer cannot move the cursor, recolour the screen or reorder text.
pub fn term(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Like `term`, but keeps line breaks, indenting every line after the first
/// by `indent` — for wxcoupon's own multi-line messages, which may quote input.
pub fn term_lines(s: &str, indent: &str) -> String {
    s.lines()
        .map(term)
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// A character that reorders the text around it (bidirectional controls).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// At most this many characters of a long text from the network are quoted.
pub const CUT_CHARS: usize = 200;

/// A text from the network for a message: white space folded, cut at
/// `CUT_CHARS` with its whole size said, and said to be empty when it is.
pub fn cut(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.is_empty() {
        return "(empty)".into();
    }
    shorten(&folded, text.len())
}

/// `text` cut at `CUT_CHARS`, saying the whole size (`total` bytes) when cut.
pub fn shorten(text: &str, total: usize) -> String {
    clip(text, CUT_CHARS, &format!("{total} bytes in all"))
}

/// `text` cut at `max` characters, then `… (size)`, when it is longer.
pub fn clip(text: &str, max: usize, size: &str) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}… ({size})", &text[..at]),
    }
}

/// Quotes a value for a POSIX shell only when it needs it.
pub fn shell(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/@=+%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(term("a\x1b[31mb\n"), "a\\u{001b}[31mb\\n");
        assert_eq!(term("券不存在"), "券不存在");
        assert_eq!(term("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{009b}");
    }

    #[test]
    fn multi_line_messages_keep_their_lines() {
        assert_eq!(term_lines("a\nb\x1b", "  "), "a\n  b\\u{001b}");
    }

    #[test]
    fn long_texts_are_cut_at_a_character_saying_their_size() {
        assert_eq!(clip("券券券", 3, "9 bytes"), "券券券");
        assert_eq!(clip("券券券", 2, "9 bytes"), "券券… (9 bytes)");
        let long = "x".repeat(CUT_CHARS + 1);
        assert_eq!(
            shorten(&long, 500),
            format!("{}… (500 bytes in all)", &long[..CUT_CHARS])
        );
        assert_eq!(shorten(&long[1..], 500), long[1..]);
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell("abc-1_2"), "abc-1_2");
        assert_eq!(shell("a'b"), r"'a'\''b'");
        assert_eq!(shell("$x"), "'$x'");
    }
}
