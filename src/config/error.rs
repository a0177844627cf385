//! A configuration problem in words an admin can act on: the file, the key (as a TOML path)
//! and what is wrong, in Chinese and in English.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::i18n::{Lang, io_error};

/// A configuration problem: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// The key, as a TOML path (`peers[1].url`), or empty for the whole file.
    pub key: String,
    /// What is wrong, in English words an admin can act on.
    pub message: String,
    /// The same in Chinese. For the parser's findings it still quotes the parser's English,
    /// until they are put in Chinese words of their own.
    pub zh: String,
}

impl ConfigError {
    pub(super) fn at(file: &Path, problem: Problem) -> Self {
        Self { file: file.to_owned(), key: problem.key, message: problem.en, zh: problem.zh }
    }

    /// The problem for people reading `lang`: the file, the key and what is wrong.
    pub fn describe(&self, lang: Lang) -> String {
        match (lang, self.key.is_empty()) {
            (Lang::En, _) => self.to_string(),
            (Lang::Zh, true) => format!("{}：{}", self.file.display(), self.zh),
            (Lang::Zh, false) => format!("{}：配置项 {}：{}", self.file.display(), self.key, self.zh),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: key `{}`: {}", self.file.display(), self.key, self.message)
        }
    }
}

/// What a check found wrong and at which key, in both languages. [`Problem::new`] is the only
/// way to make one and takes both, so no check can speak to one language only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key, as a TOML path, or empty for the whole file.
    pub key: String,
    /// What is wrong, in Chinese.
    pub zh: String,
    /// What is wrong, in English.
    pub en: String,
}

impl Problem {
    /// A problem at `key`, said in Chinese and in English.
    #[track_caller]
    pub(crate) fn new(key: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        // The tests walk every place a problem is made; this is how they know one was reached.
        #[cfg(test)]
        super::tests::reached(std::panic::Location::caller());
        Self { key: key.into(), zh: zh.into(), en: en.into() }
    }

    /// A file that cannot be read, in both languages.
    #[track_caller]
    pub(crate) fn unreadable(key: impl Into<String>, path: &Path, error: &std::io::Error) -> Self {
        let path = path.display();
        Self::new(
            key,
            format!("无法读取 {path}：{}", io_error(error, Lang::Zh)),
            format!("cannot read {path}: {error}"),
        )
    }
}

impl std::error::Error for ConfigError {}

/// The TOML parser's finding in Chinese: where it is, and what serde's fixed wording says.
pub(super) fn parser_words(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default();
    let last = message.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
    let place = first.strip_prefix("TOML parse error at line ").and_then(|rest| {
        let (line, column) = rest.split_once(", column ")?;
        Some((line.trim().to_owned(), column.trim().to_owned()))
    });
    let said = crate::domain::decode::serde_words(last);
    let what = if said.code == "invalid_value" { "TOML 格式错误".to_owned() } else { said.zh };
    match place {
        Some((line, column)) => format!("第 {line} 行第 {column} 列：{what}"),
        None => what,
    }
}
