//! Text that people type at one station and read at another, on a web page, a terminal or a
//! printed letter. A field may hold any language, but not characters that act instead of
//! being read: C0 and C1 controls (an escape sequence can erase lines on the partner's terminal
//! or set its title), bidirectional embeddings, overrides and isolates (they reorder what is
//! shown, so 「犀溪已拦截」 can display as something else), and line or paragraph separators.
//! Line breaks and tabs are allowed only where a field is meant to run over several lines.
//!
//! A field that must be filled in needs at least one character a person can see: a value made
//! only of spaces and zero-width characters is empty to the reader.

use std::borrow::Cow;

/// How a text field is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Names, places, numbers, titles: one line.
    OneLine,
    /// Descriptions, narratives, messages: line breaks (`\n`) and tabs allowed.
    Lines,
}

/// What is wrong with a text, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFault {
    /// A control character (C0, DEL, C1), or a line break or tab in a one-line field. A carriage
    /// return is refused everywhere: a line ends with `\n`.
    Control(char),
    /// A bidirectional embedding, override or isolate, or a line/paragraph separator.
    Reordering(char),
}

impl TextFault {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Control(_) => "control_character",
            Self::Reordering(_) => "bidi_control",
        }
    }

    /// The offending character, as `U+001B`.
    pub fn codepoint(self) -> String {
        let (Self::Control(c) | Self::Reordering(c)) = self;
        format!("U+{:04X}", u32::from(c))
    }
}

/// The first character of `value` that a field laid out as `layout` may not hold.
pub fn fault(value: &str, layout: Layout) -> Option<TextFault> {
    value.chars().find_map(|c| match c {
        '\n' | '\t' if layout == Layout::Lines => None,
        c if c.is_control() => Some(TextFault::Control(c)),
        c if is_reordering(c) => Some(TextFault::Reordering(c)),
        _ => None,
    })
}

/// True when `value` has at least one character a person can see.
pub fn has_visible(value: &str) -> bool {
    value.chars().any(|c| !c.is_whitespace() && !c.is_control() && !is_default_ignorable(c) && !is_reordering(c))
}

/// Bidirectional embeddings, overrides and isolates, and the line and paragraph separators.
fn is_reordering(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// Unicode's Default_Ignorable_Code_Point: characters rendered as nothing at all (zero-width
/// spaces and joiners, variation selectors, the soft hyphen, fillers, tags).
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}'
        // Blank glyphs that look like nothing: the braille blank and the Hangul fillers.
        | '\u{2800}')
}

/// `text` made safe to write to a terminal: every control character but the line break and
/// the tab, and every reordering character, is written as a JSON-style `\u001b` escape, so
/// data stored before it was refused, or sent by an older partner, can never act on the
/// reader's terminal. The escape is also valid inside a JSON string.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_reordering(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

/// `text` on one line for a log: like [`terminal_safe`], and line breaks and tabs escaped too,
/// so a partner's message cannot forge log lines.
pub fn log_safe(text: &str) -> Cow<'_, str> {
    match terminal_safe(text) {
        Cow::Borrowed(t) if !t.contains(['\n', '\t']) => Cow::Borrowed(t),
        other => Cow::Owned(other.replace('\n', "\\n").replace('\t', "\\t")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chinese_and_any_script_pass_in_both_layouts() {
        for text in ["罗阳派出所", "Ахмед", "محمد", "𠮷野家", "⚠️ 持刀", "O'Brien-Smith"] {
            assert_eq!(fault(text, Layout::OneLine), None, "{text}");
            assert!(has_visible(text), "{text}");
        }
    }

    #[test]
    fn line_breaks_and_tabs_only_in_fields_of_several_lines() {
        assert_eq!(fault("第一行\n第二行\t完", Layout::Lines), None);
        assert_eq!(fault("第一行\n第二行", Layout::OneLine), Some(TextFault::Control('\n')));
        assert_eq!(fault("a\tb", Layout::OneLine), Some(TextFault::Control('\t')));
        assert_eq!(fault("a\r\nb", Layout::Lines), Some(TextFault::Control('\r')), "a line ends with \\n");
    }

    #[test]
    fn terminal_controls_and_reordering_are_refused_everywhere() {
        for (text, code) in [
            ("\u{1b}[2J清屏", "control_character"),
            ("\u{1b}]0;标题\u{7}", "control_character"),
            ("nul\0", "control_character"),
            ("c1\u{9b}31m", "control_character"),
            ("del\u{7f}", "control_character"),
            ("已拦截\u{202e}捕抓", "bidi_control"),
            ("\u{2066}isolate\u{2069}", "bidi_control"),
            ("line\u{2028}separator", "bidi_control"),
        ] {
            for layout in [Layout::OneLine, Layout::Lines] {
                assert_eq!(fault(text, layout).map(TextFault::code), Some(code), "{text:?}");
            }
        }
        assert_eq!(fault("\u{1b}x", Layout::Lines).map(TextFault::codepoint).as_deref(), Some("U+001B"));
    }

    #[test]
    fn zero_width_and_blank_characters_are_not_something_to_read() {
        for blank in ["", "   ", "\u{200b}\u{200b}", "\u{feff}", "\u{3000}\u{200d}", "\u{2800}", "\u{00ad}\n\t"] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        assert!(has_visible("\u{200b}张\u{200b}"));
    }

    #[test]
    fn terminal_output_escapes_what_would_act_and_keeps_the_rest() {
        assert_eq!(terminal_safe("罗阳\n犀溪\t马站"), "罗阳\n犀溪\t马站");
        assert_eq!(terminal_safe("\u{1b}[2J"), "\\u001b[2J");
        assert_eq!(terminal_safe("a\rb\u{9b}c\u{202e}"), "a\\u000db\\u009bc\\u202e");
        assert_eq!(log_safe("第一行\n第二行"), "第一行\\n第二行");
        let json = serde_json::to_string(&"x\u{202e}y").unwrap();
        let safe = terminal_safe(&json);
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), "x\u{202e}y", "still valid JSON");
    }

    proptest! {
        #[test]
        fn nothing_that_acts_on_a_terminal_survives_escaping(text in any::<String>()) {
            let safe = terminal_safe(&text);
            let acts = |c: char| is_reordering(c) || (c.is_control() && c != '\n' && c != '\t');
            prop_assert!(!safe.chars().any(acts));
            prop_assert!(log_safe(&text).chars().all(|c| !c.is_control() && !is_reordering(c)));
            if fault(&text, Layout::Lines).is_none() {
                prop_assert_eq!(safe.as_ref(), text.as_str(), "a text a field accepts is printed as it is");
            }
        }
    }
}
