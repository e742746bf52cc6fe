//! Where the commands write: stdout and stderr as the text is ready (a long
//! command can show progress, an interrupted one has already said what it
//! did), a closed pipe that is not an error, and one line for any other
//! failure to write stdout. Below every command; it imports none of them.

use std::io::{self, Write};
use std::process::ExitCode;

use serde::Serialize;

use crate::escape;
use crate::exit::Kind;

pub struct Out {
    stdout: Box<dyn Write>,
    stderr: Box<dyn Write>,
    /// stdout is what the command is for (a script, a page, a signature):
    /// failing to write it is exit 2. Otherwise the exit code tells an
    /// outcome (a coupon's!) and stays as it is.
    stdout_is_the_product: bool,
    stdout_failed: bool,
}

impl Out {
    /// The process's own stdout and stderr.
    pub fn process() -> Self {
        Out::to(Box::new(io::stdout()), Box::new(io::stderr()))
    }

    pub fn to(stdout: Box<dyn Write>, stderr: Box<dyn Write>) -> Self {
        Out {
            stdout,
            stderr,
            stdout_is_the_product: false,
            stdout_failed: false,
        }
    }

    pub fn set_stdout_is_the_product(&mut self, product: bool) {
        self.stdout_is_the_product = product;
    }

    /// Writes to stdout now. A closed pipe (`wxcoupon … | head`) is not an
    /// error; any other failure is said once on stderr.
    pub fn out(&mut self, text: &str) {
        if self.stdout_failed {
            return;
        }
        let written = self
            .stdout
            .write_all(text.as_bytes())
            .and_then(|()| self.stdout.flush());
        match written {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                self.stdout_failed = true;
                self.err(&format!("wxcoupon: error: cannot write to stdout: {e}\n"));
            }
            Ok(()) => {}
        }
    }

    /// Writes to stderr now; there is nowhere to say that this failed.
    pub fn err(&mut self, text: &str) {
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    /// One JSON value on one line of stdout.
    pub fn json(&mut self, value: &impl Serialize) {
        self.out(&json_line(value));
    }

    /// An input, configuration or key error: nothing was done.
    pub fn invalid(&mut self, error: &anyhow::Error, json: bool) -> u8 {
        let message = crate::redact::secrets(&format!("{error:#}")).into_owned();
        if json {
            self.json(&serde_json::json!({"outcome": "invalid", "message": message}));
        } else {
            self.err(&format!(
                "wxcoupon: error: {}\n",
                escape::term_lines(&message, "  ")
            ));
        }
        Kind::Invalid.exit_code()
    }

    /// The exit code: the command's own, unless the product could not be written.
    pub fn finish(self, code: u8) -> ExitCode {
        if self.stdout_failed && self.stdout_is_the_product {
            return ExitCode::from(Kind::Invalid.exit_code());
        }
        ExitCode::from(code)
    }
}

/// A value as one line of JSON. Besides what JSON must escape (C0 controls,
/// quotes, backslashes), DEL, the C1 controls and the bidirectional
/// controls are written as `\uXXXX`: a terminal that shows the line (`jq`
/// aside) cannot be steered by a coupon code or a WeChat Pay message.
pub fn json_line(value: &impl Serialize) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, TerminalSafe);
    let mut s = match value.serialize(&mut ser) {
        Ok(()) => String::from_utf8(buf).unwrap_or_default(),
        Err(e) => {
            format!(r#"{{"outcome":"internal","message":"cannot serialize the output: {e}"}}"#)
        }
    };
    s.push('\n');
    s
}

/// serde_json's compact output, escaping what a terminal would act on.
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) || escape::is_bidi_control(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_keeps_the_rest() {
        let v = serde_json::json!({
            "message": "a\u{9b}2Jb\u{202e}c\u{7f}d\u{1b}[0m 券已失效 \u{2069}\"",
            "k\u{85}": 1,
        });
        let line = json_line(&v);
        assert_eq!(
            line,
            "{\"k\\u0085\":1,\"message\":\"a\\u009b2Jb\\u202ec\\u007fd\\u001b[0m 券已失效 \\u2069\\\"\"}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, v);
    }
}
