//! A command line that cannot be parsed, told in the officer's language. clap words its
//! errors in English; with Chinese chosen (the default) the common ones are said in Chinese,
//! with the usage line clap prints and the value's own words when our types refused it.

use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::Cli;
use crate::i18n::{Lang, UnknownChoice};
use crate::ids::IdError;

/// Parses the process's arguments; a mistake is explained and ends the process.
pub fn parse() -> Result<Cli, ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    Cli::try_parse_from(&args).map_err(|error| {
        let lang = chosen_lang(&args);
        if lang == Lang::En || !error.use_stderr() {
            error.exit()
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr(), explain(&error).as_bytes());
        ExitCode::from(2)
    })
}

/// The language asked for on the command line or in `TIEMENG_LANG`, read without clap (which
/// just failed).
fn chosen_lang(args: &[std::ffi::OsString]) -> Lang {
    let mut words = args.iter().filter_map(|a| a.to_str());
    let mut given = None;
    while let Some(word) = words.next() {
        if word == "--lang" {
            given = words.next().map(str::to_owned);
        } else if let Some(value) = word.strip_prefix("--lang=") {
            given = Some(value.to_owned());
        }
    }
    given.or_else(|| std::env::var("TIEMENG_LANG").ok()).and_then(|v| v.parse().ok()).unwrap_or_default()
}

/// A parse error in Chinese, ending with the usage line and where to read more.
pub fn explain(error: &clap::Error) -> String {
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(list)) => Some(list.join("、")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::StyledStrs(list)) => {
            Some(list.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"))
        }
        _ => None,
    };
    let arg = text(ContextKind::InvalidArg).unwrap_or_default();
    let value = text(ContextKind::InvalidValue).unwrap_or_default();
    let said = match error.kind() {
        ErrorKind::InvalidValue if value.is_empty() => format!("参数 {arg} 需要一个值"),
        ErrorKind::InvalidValue => {
            let valid = text(ContextKind::ValidValue).map(|v| format!("；可选：{v}")).unwrap_or_default();
            format!("参数 {arg} 的值“{value}”无效{valid}")
        }
        ErrorKind::ValueValidation => format!("参数 {arg} 的值“{value}”无效：{}", cause(error)),
        ErrorKind::UnknownArgument => {
            format!("不认识的参数 {arg}{}", suggestion(text(ContextKind::SuggestedArg)))
        }
        ErrorKind::InvalidSubcommand => {
            let sub = text(ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("没有子命令 {sub}{}", suggestion(text(ContextKind::SuggestedSubcommand)))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必填参数：{arg}"),
        ErrorKind::MissingSubcommand => "缺少子命令".to_owned(),
        ErrorKind::ArgumentConflict => {
            let prior = text(ContextKind::PriorArg).unwrap_or_default();
            format!("参数 {arg} 不能与 {prior} 同时使用")
        }
        ErrorKind::NoEquals => format!("参数 {arg} 须写成 {arg}=<值>"),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => format!("参数 {arg} 的值个数不对"),
        _ => "命令行有误".to_owned(),
    };
    let usage =
        text(ContextKind::Usage).map(|u| format!("\n\n{}", u.replacen("Usage: ", "用法：", 1))).unwrap_or_default();
    format!("错误：{said}{usage}\n\n更多说明请用 --help 查看。\n")
}

fn suggestion(suggested: Option<String>) -> String {
    suggested.map(|s| format!("；是否要写 {s}？")).unwrap_or_default()
}

/// Why a value was refused, in Chinese when the refusing type has the words.
fn cause(error: &clap::Error) -> String {
    let Some(source) = std::error::Error::source(error) else { return String::new() };
    if let Some(choice) = source.downcast_ref::<UnknownChoice>() {
        return choice.describe(Lang::Zh);
    }
    if let Some(id) = source.downcast_ref::<IdError>() {
        return id.zh();
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> String {
        let error = Cli::try_parse_from(args).expect_err("refused");
        explain(&error)
    }

    #[test]
    fn an_unknown_reason_lists_the_reasons_in_chinese() {
        let said =
            refused(&["tiemeng", "case", "withdraw", "01a24dd6-448b-75a3-8294-9c9ceb9d08b5", "--reason", "duplicate"]);
        assert!(
            said.starts_with("错误：参数 --reason <REASON> 的值“duplicate”无效：“duplicate”不是可选的值；可选："),
            "{said}"
        );
        assert!(said.contains("lapsed（有效期届满）") && said.contains("--help"), "{said}");
        assert!(!said.contains("unknown WithdrawReason") && !said.contains("invalid value"), "{said}");
    }

    #[test]
    fn a_misspelt_option_or_command_gets_a_suggestion_in_chinese() {
        let said = refused(&["tiemeng", "case", "lst"]);
        assert!(said.contains("没有子命令 lst；是否要写 list？"), "{said}");
        let said = refused(&["tiemeng", "case", "list", "--outbx"]);
        assert!(said.contains("不认识的参数 --outbx；是否要写 --outbox？"), "{said}");
    }

    #[test]
    fn a_bad_case_id_is_explained_by_the_id_itself() {
        // Anything short could be a reference number, which only the node can look up.
        let long = "1234567890".repeat(5);
        let said = refused(&["tiemeng", "case", "show", &long]);
        assert!(said.contains(&format!("“{long}”无效：应为协查编号（UUID 第 7 版）或协查文号")), "{said}");
    }
}
