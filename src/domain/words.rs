//! The words of a text as search finds them: one tokenisation for what is indexed and for
//! what is asked, so that a query matches exactly the cases whose texts hold its terms.
//!
//! Chinese has no spaces between words, so a run of Han characters becomes its overlapping
//! character pairs (bigrams: `张三丰` → `张三`, `三丰`), and, where [`Grain::WithSingles`] asks
//! for it, its single characters too, so a one-character query (a surname) finds names and
//! titles. A run of letters and digits becomes one lower-cased word (`C12345` → `c12345`).
//! Full-width forms are read as their ASCII forms first (`１２３４` is `1234`). Everything
//! else (punctuation, spaces, control characters) separates terms and is never part of one.
//!
//! A query of several Han characters matches a text holding all its pairs, which is nearly
//! always a text holding the query itself; the benefit is that no dictionary is needed.

use std::collections::BTreeSet;

/// A term longer than this (in bytes) is cut: nobody types a 64-character word, and index
/// keys stay short.
pub const TERM_MAX_BYTES: usize = 64;

/// Whether Han runs also give their single characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// Character pairs only (long free text: keeps the index small).
    Pairs,
    /// Pairs and single characters (names: a surname alone finds them).
    WithSingles,
}

/// A character as search reads it: full-width ASCII as ASCII, lower case.
fn fold(c: char) -> char {
    let c = match u32::from(c) {
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_lowercase().next().unwrap_or(c)
}

/// Han ideographs (the unified blocks and their extensions, and the compatibility block).
pub fn is_han(c: char) -> bool {
    matches!(u32::from(c), 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x323AF)
}

/// Part of a latin, digit or other alphabetic word.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

fn cut(term: String) -> String {
    if term.len() <= TERM_MAX_BYTES {
        return term;
    }
    let mut end = TERM_MAX_BYTES;
    while !term.is_char_boundary(end) {
        end -= 1;
    }
    term[..end].to_owned()
}

/// The runs of a text: Han runs (`true`) and word runs (`false`), folded.
fn runs(text: &str) -> Vec<(bool, Vec<char>)> {
    let mut out = Vec::new();
    let mut current: Option<(bool, Vec<char>)> = None;
    for c in text.chars().map(fold) {
        let class = if is_han(c) {
            Some(true)
        } else if is_word(c) {
            Some(false)
        } else {
            None
        };
        match (class, current.as_mut()) {
            (Some(han), Some((was_han, run))) if *was_han == han => run.push(c),
            (Some(han), _) => {
                out.extend(current.take());
                current = Some((han, vec![c]));
            }
            (None, _) => out.extend(current.take()),
        }
    }
    out.extend(current);
    out
}

/// The terms of a text, in order of appearance (a term may repeat).
pub fn terms(text: &str, grain: Grain) -> Vec<String> {
    let mut out = Vec::new();
    for (han, run) in runs(text) {
        if !han {
            out.push(cut(run.into_iter().collect()));
            continue;
        }
        if grain == Grain::WithSingles || run.len() == 1 {
            out.extend(run.iter().map(|c| c.to_string()));
        }
        out.extend(run.windows(2).map(|pair| pair.iter().collect::<String>()));
    }
    out.dedup();
    out
}

/// The terms a resident ID is found by: the whole number, and its last 4 and last 6
/// characters (what an officer reads out as 尾号).
pub fn resident_id_terms(id: &str) -> Vec<String> {
    let id: String = id.chars().map(fold).collect();
    let chars: Vec<char> = id.chars().collect();
    let mut out = vec![id.clone()];
    for tail in [4, 6] {
        if let Some(start) = chars.len().checked_sub(tail) {
            out.push(chars[start..].iter().collect());
        }
    }
    out
}

/// The term of a normalised plate (`浙C12345` → `浙c12345`), besides its words.
pub fn plate_term(plate: &str) -> String {
    plate.chars().map(fold).collect()
}

/// The terms of a query, each required (AND), without repeats. A whitespace-separated part
/// that reads as a plate is looked up as that plate; `尾号1234` (and `身份证尾号1234`) asks for
/// the last digits alone. Han runs of one character ask for that character; longer ones for
/// their pairs.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::new();
    let mut add = |term: String, out: &mut BTreeSet<String>| {
        if out.insert(term.clone()) {
            ordered.push(term);
        }
    };
    let chunks: Vec<&str> = query.split(|c: char| fold(c).is_whitespace()).filter(|c| !c.is_empty()).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        // `尾号1234`, `身份证尾号 1234`: the digits are what is asked for.
        let chunk = match chunk.find("尾号").map(|at| &chunk[at + "尾号".len()..]) {
            Some("") if i + 1 < chunks.len() => continue,
            Some(rest) if !rest.is_empty() => rest,
            _ => chunk,
        };
        let folded: String = chunk.chars().map(fold).collect();
        if folded.chars().any(is_han)
            && folded.chars().any(|c| c.is_ascii_alphanumeric())
            && let Ok(plate) = super::plate::Plate::parse(chunk)
        {
            add(plate_term(plate.as_str()), &mut out);
            continue;
        }
        for (han, run) in runs(chunk) {
            if !han || run.len() == 1 {
                add(cut(run.into_iter().collect()), &mut out);
            } else {
                for pair in run.windows(2) {
                    add(pair.iter().collect(), &mut out);
                }
            }
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_runs_become_pairs_and_words_stay_whole() {
        assert_eq!(terms("张三丰 在 C12345 车上", Grain::Pairs), ["张三", "三丰", "在", "c12345", "车上"]);
        assert_eq!(terms("王某某", Grain::WithSingles), ["王", "某", "王某", "某某"]);
    }

    #[test]
    fn full_width_forms_read_as_ascii() {
        assert_eq!(terms("ＡＢ１２３４　张三", Grain::Pairs), ["ab1234", "张三"]);
        assert_eq!(query_terms("１２３４"), ["1234"]);
    }

    #[test]
    fn a_query_asks_for_what_the_index_holds() {
        assert_eq!(query_terms("张三丰"), ["张三", "三丰"]);
        assert_eq!(query_terms("张"), ["张"]);
        assert_eq!(query_terms("尾号1234"), ["1234"]);
        assert_eq!(query_terms("身份证尾号 123456"), ["123456"]);
        assert_eq!(query_terms("尾号"), ["尾号"]);
        assert_eq!(query_terms("身份证尾号123456"), ["123456"]);
        assert_eq!(query_terms("浙C·12345"), ["浙c12345"]);
        assert_eq!(query_terms("  "), Vec::<String>::new());
        assert_eq!(query_terms("<script>"), ["script"]);
    }

    #[test]
    fn a_resident_id_is_found_by_its_last_digits() {
        assert_eq!(resident_id_terms("11010519491231002X"), ["11010519491231002x", "002x", "31002x"]);
    }

    #[test]
    fn long_words_are_cut_at_a_character_boundary() {
        let long = "a".repeat(63) + "é";
        assert_eq!(terms(&long, Grain::Pairs), ["a".repeat(63)]);
    }
}
