//! `tiemeng pki ...`: the dev PKI for admins setting up stations. Output is in the
//! language the admin chose (Chinese unless `--lang en`); every line names the file written.

use std::path::{Path, PathBuf};

use time::Duration;

use super::ca_files;
use super::crl::DEFAULT_CRL_DAYS;
use super::dev;
use super::examples::{example_officers, example_stations};
use super::files::Overwrite;
use super::layout::{self, CaPaths};
use super::leaf::LeafSpec;
use super::signing;
use super::{PkiError, names};
use crate::i18n::Lang;

/// 开发/测试用证书管理（仅供开发环境，勿用于生产）。
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PkiCommand {
    /// 一次生成全套开发证书：各省根CA、三个示例派出所、各所民警及管理员。
    Init {
        /// 输出目录。
        #[arg(long, default_value = "certs/dev")]
        dir: PathBuf,
        /// 覆盖已有文件（包括CA私钥）。
        #[arg(long)]
        force: bool,
    },
    /// 生成一个省级测试根CA及其（空的）吊销列表。
    Ca {
        /// 省级行政区划代码，如 33（浙江）、35（福建）。
        #[arg(long)]
        province: String,
        /// CA名称，默认如“浙江省公安厅 铁盟测试根CA”。
        #[arg(long)]
        name: Option<String>,
        /// CA文件目录。
        #[arg(long, default_value = "certs/dev/ca")]
        dir: PathBuf,
        /// 覆盖已有的CA。
        #[arg(long)]
        force: bool,
    },
    /// 为派出所节点签发TLS证书（服务端+客户端）。
    Station {
        /// 签发CA的证书文件，如 certs/dev/ca/33-ca.pem（私钥在同目录 33-ca.key）。
        #[arg(long)]
        ca: PathBuf,
        /// 派出所标识，如 zj-taishun-luoyang。
        #[arg(long)]
        id: String,
        /// 节点的DNS名称，可重复；localhost 与 127.0.0.1 总会加入。
        #[arg(long)]
        dns: Vec<String>,
        /// 输出目录，默认为 CA 上级目录下的 stations/<标识>。
        #[arg(long)]
        out: Option<PathBuf>,
        /// 覆盖已有文件。
        #[arg(long)]
        force: bool,
    },
    /// 为民警签发客户端证书。
    Officer {
        /// 签发CA的证书文件。
        #[arg(long)]
        ca: PathBuf,
        /// 所属派出所标识。
        #[arg(long)]
        station: String,
        /// 警号，如 330329001。
        #[arg(long)]
        badge: String,
        /// 姓名（证书CN）。
        #[arg(long)]
        name: String,
        /// 输出目录，默认为 CA 上级目录下的 officers/<派出所>。
        #[arg(long)]
        out: Option<PathBuf>,
        /// 覆盖已有文件。
        #[arg(long)]
        force: bool,
    },
    /// 吊销证书：记入 CA 旁的 <省>.revoked.json 并重新签发吊销列表。
    Revoke {
        /// 签发CA的证书文件。
        #[arg(long)]
        ca: PathBuf,
        /// 要吊销的证书文件。
        #[arg(long)]
        cert: PathBuf,
        /// 吊销列表输出文件，默认为 CA 旁的 <省>.crl.pem。
        #[arg(long)]
        crl_out: Option<PathBuf>,
        /// 吊销列表有效天数。
        #[arg(long, default_value_t = DEFAULT_CRL_DAYS)]
        days: i64,
    },
    /// 重新签发吊销列表（到期前定期执行）。
    Crl {
        /// 签发CA的证书文件。
        #[arg(long)]
        ca: PathBuf,
        /// 吊销列表有效天数。
        #[arg(long, default_value_t = DEFAULT_CRL_DAYS)]
        days: i64,
        /// 输出文件，默认为 CA 旁的 <省>.crl.pem。
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// 生成 Ed25519 报文签名密钥（signing-<编号>.key / .pub）。
    SigningKey {
        /// 输出目录，通常是派出所目录。
        #[arg(long)]
        out: PathBuf,
        /// 密钥编号，如 k2。
        #[arg(long)]
        key_id: String,
        /// 覆盖已有文件。
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `tiemeng pki` subcommand and prints what it wrote, in `lang`.
pub fn run(cmd: PkiCommand, lang: Lang) -> Result<(), PkiError> {
    for line in execute_in(cmd, lang)? {
        println!("{line}");
    }
    Ok(())
}

/// Runs a `tiemeng pki` subcommand and returns the report lines, in Chinese, instead of
/// printing them.
pub fn execute(cmd: PkiCommand) -> Result<Vec<String>, PkiError> {
    execute_in(cmd, Lang::Zh)
}

/// Runs a `tiemeng pki` subcommand and returns the report lines in `lang`.
pub fn execute_in(cmd: PkiCommand, lang: Lang) -> Result<Vec<String>, PkiError> {
    match cmd {
        PkiCommand::Init { dir, force } => init(&dir, force, lang),
        PkiCommand::Ca { province, name, dir, force } => ca(&province, name, &dir, force, lang),
        PkiCommand::Station { ca, id, dns, out, force } => station(&ca, &id, &dns, out, force, lang),
        PkiCommand::Officer { ca, station, badge, name, out, force } => {
            officer(&ca, &station, &badge, &name, out, force, lang)
        }
        PkiCommand::Revoke { ca, cert, crl_out, days } => revoke(&ca, &cert, crl_out, days, lang),
        PkiCommand::Crl { ca, days, out } => crl(&ca, days, out, lang),
        PkiCommand::SigningKey { out, key_id, force } => signing_key(&out, &key_id, force, lang),
    }
}

fn init(dir: &Path, force: bool, lang: Lang) -> Result<Vec<String>, PkiError> {
    let stations = example_stations();
    let layout = dev::init(dir, &stations, &example_officers(), Overwrite::from_force(force))?;
    let mut lines = Vec::new();
    for ca in &layout.authorities {
        let province = names::province_name(&ca.province).unwrap_or_default();
        let cert = ca.cert.display();
        lines.push(say(
            lang,
            format!("已生成 {province} 测试根CA：{cert}"),
            format!("test root CA of {province}: {cert}"),
        ));
    }
    let bundle = layout.ca_bundle.display();
    lines.push(say(lang, format!("已生成 CA证书包：{bundle}"), format!("CA bundle: {bundle}")));
    for s in &layout.stations {
        let (name, id, cert) = (&s.spec.name_zh, &s.spec.id, s.tls_cert.display());
        lines.push(say(
            lang,
            format!("已生成 {name}（{id}）节点证书：{cert}"),
            format!("node certificate of {name} ({id}): {cert}"),
        ));
        let (key_id, public) = (&s.signing.key_id, &s.signing.public_b64);
        lines.push(say(
            lang,
            format!("    签名公钥 {id}#{key_id}：{public}"),
            format!("    signing public key {id}#{key_id}: {public}"),
        ));
    }
    for o in &layout.officers {
        let (name, badge, role, cert) = (&o.spec.name, &o.spec.badge, role_label(o.spec.role, lang), o.cert.display());
        lines.push(say(
            lang,
            format!("已生成 民警 {name}（{badge}，{role}）证书：{cert}"),
            format!("certificate of officer {name} ({badge}, {role}): {cert}"),
        ));
        let password = super::browser::P12_PASSWORD;
        match super::browser::write_p12(&o.cert, &o.key, &o.spec.name) {
            Some(p12) => {
                let p12 = p12.display();
                lines.push(say(
                    lang,
                    format!("    浏览器导入文件（密码 {password}）：{p12}"),
                    format!("    browser import file (password {password}): {p12}"),
                ));
            }
            None => lines.push(
                lang.pick(
                    "    未生成浏览器导入文件：需要 openssl 命令",
                    "    no browser import file: the openssl command is needed",
                )
                .to_owned(),
            ),
        }
    }
    Ok(lines)
}

/// The name of a registry role (`liaison`) for people reading `lang`; one not known is shown
/// as it is.
fn role_label(role: &str, lang: Lang) -> &str {
    use super::dev::{ROLE_ADMIN, ROLE_CHIEF, ROLE_DUTY, ROLE_LIAISON};
    use crate::config::Role;
    use crate::i18n::Label;
    let known = match role {
        ROLE_LIAISON => Role::Liaison,
        ROLE_DUTY => Role::Duty,
        ROLE_CHIEF => Role::Chief,
        ROLE_ADMIN => Role::Admin,
        _ => return role,
    };
    known.label(lang)
}

/// The line for `lang`. English lines say what was made without the Chinese "generated": the
/// whole report is of files written.
fn say(lang: Lang, zh: String, en: String) -> String {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn ca(province: &str, name: Option<String>, dir: &Path, force: bool, lang: Lang) -> Result<Vec<String>, PkiError> {
    let province_name = names::validate_province(province)?;
    let name = match name {
        Some(name) => name,
        None => names::default_ca_name(province)?,
    };
    let paths = CaPaths::in_dir(dir, province);
    let crl_days = Duration::days(DEFAULT_CRL_DAYS);
    ca_files::create_ca(&paths, &name, crl_days, Overwrite::from_force(force))?;
    let (cert, key, crl) = (paths.cert.display(), paths.key.display(), paths.crl.display());
    Ok(vec![
        say(
            lang,
            format!("已生成 {province_name} 测试根CA“{name}”：{cert}"),
            format!("test root CA of {province_name} \"{name}\": {cert}"),
        ),
        say(lang, format!("    私钥：{key}"), format!("    private key: {key}")),
        say(lang, format!("    吊销列表：{crl}"), format!("    CRL: {crl}")),
    ])
}

fn station(
    ca: &Path,
    id: &str,
    dns: &[String],
    out: Option<PathBuf>,
    force: bool,
    lang: Lang,
) -> Result<Vec<String>, PkiError> {
    names::validate_station_id(id)?;
    let paths = CaPaths::from_cert(ca);
    let authority = ca_files::load_ca(&paths)?;
    let dir = out.unwrap_or_else(|| layout::station_dir(&paths.pki_root(), id));
    let (cert, key) = (dir.join("tls.pem"), dir.join("tls.key"));
    let leaf = authority.issue(&LeafSpec::station(id, dns))?;
    leaf.write(&cert, &key, Overwrite::from_force(force))?;
    let (serial, cert, key) = (leaf.serial_hex(), cert.display(), key.display());
    Ok(vec![
        say(
            lang,
            format!("已签发 派出所 {id} 节点证书（序列号 {serial}）：{cert}"),
            format!("issued the node certificate of station {id} (serial {serial}): {cert}"),
        ),
        say(lang, format!("    私钥：{key}"), format!("    private key: {key}")),
    ])
}

fn officer(
    ca: &Path,
    station: &str,
    badge: &str,
    name: &str,
    out: Option<PathBuf>,
    force: bool,
    lang: Lang,
) -> Result<Vec<String>, PkiError> {
    names::validate_station_id(station)?;
    names::validate_badge(badge)?;
    let paths = CaPaths::from_cert(ca);
    let authority = ca_files::load_ca(&paths)?;
    let (cert, key) = match out {
        Some(dir) => (dir.join(format!("{badge}.pem")), dir.join(format!("{badge}.key"))),
        None => layout::officer_paths(&paths.pki_root(), station, badge),
    };
    let leaf = authority.issue(&LeafSpec::officer(station, badge, name))?;
    leaf.write(&cert, &key, Overwrite::from_force(force))?;
    let (serial, cert, key) = (leaf.serial_hex(), cert.display(), key.display());
    Ok(vec![
        say(
            lang,
            format!("已签发 民警 {name}（{station}，警号 {badge}）证书（序列号 {serial}）：{cert}"),
            format!("issued the certificate of officer {name} ({station}, badge {badge}) (serial {serial}): {cert}"),
        ),
        say(lang, format!("    私钥：{key}"), format!("    private key: {key}")),
    ])
}

fn revoke(ca: &Path, cert: &Path, crl_out: Option<PathBuf>, days: i64, lang: Lang) -> Result<Vec<String>, PkiError> {
    let paths = CaPaths::from_cert(ca);
    let authority = ca_files::load_ca(&paths)?;
    let crl_out = crl_out.unwrap_or_else(|| paths.crl.clone());
    let done = ca_files::revoke(&authority, &paths, cert, &crl_out, crl_validity(days)?)?;
    let serial = hex::encode(&done.serial);
    let (subject, file) = (&done.subject, cert.display());
    let head = if done.newly_revoked {
        say(
            lang,
            format!("已吊销 {subject}（序列号 {serial}）：{file}"),
            format!("revoked {subject} (serial {serial}): {file}"),
        )
    } else {
        say(
            lang,
            format!("{subject}（序列号 {serial}）此前已吊销，仅重新签发吊销列表"),
            format!("{subject} (serial {serial}) was revoked before; only the CRL is issued anew"),
        )
    };
    let (number, out, record) = (done.crl_number, crl_out.display(), paths.revocations.display());
    Ok(vec![
        head,
        say(
            lang,
            format!("已签发 吊销列表（第 {number} 号，有效 {days} 天）：{out}"),
            format!("issued CRL number {number}, valid {days} days: {out}"),
        ),
        say(lang, format!("    吊销记录：{record}"), format!("    revocation record: {record}")),
    ])
}

fn crl(ca: &Path, days: i64, out: Option<PathBuf>, lang: Lang) -> Result<Vec<String>, PkiError> {
    let paths = CaPaths::from_cert(ca);
    let authority = ca_files::load_ca(&paths)?;
    let out = out.unwrap_or_else(|| paths.crl.clone());
    let number = ca_files::reissue_crl(&authority, &paths, &out, crl_validity(days)?)?;
    let out = out.display();
    Ok(vec![say(
        lang,
        format!("已签发 吊销列表（第 {number} 号，有效 {days} 天）：{out}"),
        format!("issued CRL number {number}, valid {days} days: {out}"),
    )])
}

fn signing_key(out: &Path, key_id: &str, force: bool, lang: Lang) -> Result<Vec<String>, PkiError> {
    let key = signing::generate_signing_key();
    let files = signing::write_signing_key(out, key_id, &key, Overwrite::from_force(force))?;
    let (private, public, b64) = (files.private_key.display(), files.public_key.display(), &files.public_b64);
    Ok(vec![
        say(lang, format!("已生成 签名私钥 {key_id}：{private}"), format!("signing private key {key_id}: {private}")),
        say(
            lang,
            format!("已生成 签名公钥 {key_id}：{public}（{b64}）"),
            format!("signing public key {key_id}: {public} ({b64})"),
        ),
    ])
}

/// A CRL must be valid for at least a day and, being a dev CRL, at most ten years.
fn crl_validity(days: i64) -> Result<Duration, PkiError> {
    if (1..=3650).contains(&days) {
        Ok(Duration::days(days))
    } else {
        Err(PkiError::invalid(("吊销列表有效天数", "days the CRL is valid"), &days.to_string(), ("1–3650", "1–3650")))
    }
}
