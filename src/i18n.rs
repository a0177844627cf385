//! Languages for people. Chinese (简体) is the default everywhere a person reads tiemeng's
//! output; English is available on request (`--lang en`, `?lang=en`, `Accept-Language`).

use std::str::FromStr;

/// A language tiemeng speaks to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// The language's tag (`zh-CN`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// Reads an `Accept-Language` header: English only when it is preferred over Chinese.
    pub fn from_accept_language(header: &str) -> Self {
        let first = header.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("en") { Self::En } else { Self::Zh }
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" | "cn" => Ok(Self::Zh),
            "en" | "en-us" | "en-gb" => Ok(Self::En),
            other => Err(format!("unknown language {other:?}: use zh or en")),
        }
    }
}

/// A closed set whose members have names for people in both languages.
pub trait Label {
    /// The name in Simplified Chinese.
    fn zh(&self) -> &'static str;
    /// The name in English.
    fn en(&self) -> &'static str;
    /// The name in `lang`.
    fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh(),
            Lang::En => self.en(),
        }
    }
}

/// One choice of a closed set, as a form offers it: the wire name, the Chinese, the English.
pub type Choice = (&'static str, &'static str, &'static str);

/// A closed set made by [`labelled_enum`]: its members with their wire names and labels.
pub trait Choices: Label + Sized + 'static {
    /// Every member, in declaration order.
    fn members() -> &'static [Self];
    /// The stable wire name.
    fn wire(&self) -> &'static str;
    /// Every member as a form offers it.
    fn choices() -> Vec<Choice> {
        Self::members().iter().map(|m| (m.wire(), m.zh(), m.en())).collect()
    }
}

/// A word that is none of a closed set's wire names, with the names it could have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChoice {
    /// What was given.
    pub given: String,
    /// What may be given instead, with labels.
    pub choices: Vec<Choice>,
}

impl UnknownChoice {
    /// The refusal in `lang`, each choice with its label: `lapsed（有效期届满）`.
    pub fn describe(&self, lang: Lang) -> String {
        let each = |(wire, zh, en): &Choice| match lang {
            Lang::Zh => format!("{wire}（{zh}）"),
            Lang::En => format!("{wire} ({en})"),
        };
        let choices: Vec<String> = self.choices.iter().map(each).collect();
        match lang {
            Lang::Zh => format!("“{}”不是可选的值；可选：{}", self.given, choices.join("、")),
            Lang::En => format!("\"{}\" is not one of the choices: {}", self.given, choices.join(", ")),
        }
    }
}

impl std::fmt::Display for UnknownChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

impl std::error::Error for UnknownChoice {}

/// Implements [`Label`] and stable snake_case names for a fieldless enum from one table, so the
/// wire name, the Chinese and the English of each member are written side by side once.
#[macro_export]
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => ($wire:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        // Wire names are the snake_case of the members' names; saying so at the enum level lets
        // the OpenAPI derive see them (it cannot read the per-member renames built here).
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable wire name.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl $crate::i18n::Label for $name {
            fn zh(&self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            fn en(&self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
        }

        impl $crate::i18n::Choices for $name {
            fn members() -> &'static [Self] {
                Self::ALL
            }
            fn wire(&self) -> &'static str {
                self.as_str()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::i18n::UnknownChoice;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    other => Err($crate::i18n::UnknownChoice {
                        given: other.to_owned(),
                        choices: <Self as $crate::i18n::Choices>::choices(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// An I/O error in `lang`. The system's own text is English, so Chinese names the common
/// kinds and gives only the error number for the rest: an admin who chose Chinese reads no
/// English, and the number still finds the cause (`--lang en` shows the system's words).
pub fn io_error(error: &std::io::Error, lang: Lang) -> String {
    use std::io::ErrorKind;
    if lang == Lang::En {
        return error.to_string();
    }
    let zh = match error.kind() {
        ErrorKind::NotFound => "文件或目录不存在",
        ErrorKind::PermissionDenied => "没有访问权限",
        ErrorKind::AlreadyExists => "已存在",
        ErrorKind::IsADirectory => "这是一个目录，不是文件",
        ErrorKind::NotADirectory => "路径中有一段不是目录",
        ErrorKind::InvalidData => "内容不是有效的 UTF-8 文本",
        ErrorKind::StorageFull => "磁盘已满",
        ErrorKind::ReadOnlyFilesystem => "文件系统只读",
        ErrorKind::DirectoryNotEmpty => "目录不为空",
        ErrorKind::AddrInUse => "端口已被占用（另一个程序或节点正在使用）",
        ErrorKind::AddrNotAvailable => "本机没有这个地址",
        ErrorKind::ConnectionRefused => "连接被拒绝",
        ErrorKind::TimedOut => "超时",
        _ => {
            return match error.raw_os_error() {
                Some(code) => format!("系统错误（错误码 {code}）"),
                None => "系统错误（详情请用 --lang en 查看）".to_owned(),
            };
        }
    };
    zh.to_owned()
}
