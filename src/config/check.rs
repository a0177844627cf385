//! What the types of a config cannot say: files present, names unique, values in range, key
//! spans within the cap. Each problem is said in both languages ([`Problem`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::{Config, Problem};
use crate::i18n::Lang;

impl Config {
    /// Checks what types cannot: files present, names unique, values in range.
    pub fn check(&self) -> Result<(), Problem> {
        if self.station.name.trim().is_empty() {
            return Err(Problem::new("station.name", "本站名称为空", "the station's display name is empty"));
        }
        if let Some((zh, en)) =
            crate::domain::refno::format_problem(&self.station.refno_format, &self.station.short_name())
        {
            return Err(Problem::new("station.refno_format", zh, en));
        }
        if !self.server.public_url.starts_with("https://") {
            return Err(Problem::new("server.public_url", "必须以 https:// 开头", "must start with https://"));
        }
        if !(1..=120).contains(&self.server.handshake_timeout_secs) {
            return Err(Problem::new(
                "server.handshake_timeout_secs",
                "必须在 1 到 120 秒之间",
                "must be between 1 and 120 seconds",
            ));
        }
        if !(1..=3600).contains(&self.server.idle_timeout_secs) {
            return Err(Problem::new(
                "server.idle_timeout_secs",
                "必须在 1 到 3600 秒之间",
                "must be between 1 and 3600 seconds",
            ));
        }
        if self.server.max_connections_per_identity == 0 {
            return Err(Problem::new("server.max_connections_per_identity", "至少为 1", "must be at least 1"));
        }
        if self.server.max_handshakes_per_source == 0 {
            return Err(Problem::new("server.max_handshakes_per_source", "至少为 1", "must be at least 1"));
        }
        if self.storage.cache_mb < 8 {
            return Err(Problem::new("storage.cache_mb", "至少为 8（MiB）", "must be at least 8 (MiB)"));
        }
        if self.tls.ca_bundle.is_some() {
            return Err(Problem::new(
                "tls.ca_bundle",
                "已不再读取：单一证书包会让任何受信任的CA为任何人担保。请在 tls.home_ca 中填写本站所在省的CA\
                 （本站民警证书只能由它签发），在 peers[].ca 中填写各协作单位的CA，然后删除 ca_bundle",
                "no longer read: one bundle let every trusted CA vouch for anyone. Name this station's own \
                 province CA in tls.home_ca (it alone issues officer certificates here) and each partner's CA \
                 in peers[].ca, then remove ca_bundle",
            ));
        }
        check_file("tls.home_ca", &self.tls.home_ca)?;
        check_file("tls.cert", &self.tls.cert)?;
        check_file("tls.key", &self.tls.key)?;
        for (i, crl) in self.tls.crls.iter().enumerate() {
            check_file(&format!("tls.crls[{i}]"), crl)?;
        }
        self.check_signing_keys()?;
        self.check_peers()?;
        self.check_officers()?;
        for (label, windows) in self.deadlines.all() {
            if windows.ack.0 >= windows.report.0 {
                return Err(Problem::new(
                    format!("deadlines.{label}"),
                    "签收期限必须短于反馈期限",
                    "the ack window must be shorter than the report window",
                ));
            }
        }
        if self.federation.clock_skew_secs > 3600 {
            return Err(Problem::new(
                "federation.clock_skew_secs",
                "允许超过一小时的时钟偏差会让伪造的未来时间通过；请校准时钟（NTP）",
                "more than an hour of skew would let forged future dates through; fix the clocks (NTP) instead",
            ));
        }
        if self.limits.officer_requests_per_minute == 0 || self.limits.peer_requests_per_minute == 0 {
            return Err(Problem::new(
                "limits",
                "请求限额至少为每分钟 1 次",
                "request limits must be at least 1 per minute",
            ));
        }
        let attachments = &self.attachments;
        if !(1..=1024).contains(&attachments.max_file_mb) || !(1..=100).contains(&attachments.max_files) {
            return Err(Problem::new(
                "attachments",
                "单个附件上限须在 1 到 1024 MB 之间，附件个数上限须在 1 到 100 之间",
                "the largest file must be 1 to 1024 MB, and the most files 1 to 100",
            ));
        }
        if attachments.max_total_mb < attachments.max_file_mb || attachments.max_total_mb > 10 * 1024 {
            return Err(Problem::new(
                "attachments.max_total_mb",
                "附件合计上限不能小于单个附件上限，也不能超过 10240 MB",
                "the total may not be below the largest file, nor above 10240 MB",
            ));
        }
        if !(1..=1000).contains(&self.federation.batch_size) {
            return Err(Problem::new("federation.batch_size", "必须在 1 到 1000 之间", "must be between 1 and 1000"));
        }
        if !(1..=86_400).contains(&self.federation.max_backoff_secs) {
            return Err(Problem::new(
                "federation.max_backoff_secs",
                "必须在 1 秒到 1 天之间",
                "must be between 1 second and 1 day",
            ));
        }
        self.alerts.check()
    }

    /// Private key files (signing keys, the node's TLS key) that users other than their owner
    /// may read, with their mode: whoever reads a signing key can sign as the station.
    pub fn exposed_private_keys(&self) -> Vec<(PathBuf, u32)> {
        use std::os::unix::fs::PermissionsExt;
        self.signing_keys
            .iter()
            .map(|k| &k.file)
            .chain([&self.tls.key])
            .filter_map(|path| {
                let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
                (mode & 0o077 != 0).then(|| (path.clone(), mode))
            })
            .collect()
    }

    fn check_signing_keys(&self) -> Result<(), Problem> {
        if self.signing_keys.is_empty() {
            return Err(Problem::new("signing_keys", "至少需要一个签名密钥", "at least one signing key is needed"));
        }
        let mut ids = BTreeSet::new();
        for (i, key) in self.signing_keys.iter().enumerate() {
            let at = |field: &str| format!("signing_keys[{i}].{field}");
            if crate::ids::KeyRef::new(self.station.id.clone(), &key.id).is_err() {
                return Err(Problem::new(at("id"), KEY_ID_ZH, KEY_ID_EN));
            }
            if !ids.insert(&key.id) {
                return Err(Problem::new(
                    at("id"),
                    format!("密钥编号 {:?} 重复出现", key.id),
                    format!("key id {:?} appears twice", key.id),
                ));
            }
            check_file(&at("file"), &key.file)?;
            self.check_key_span(&at("valid_until"), key.valid_from, key.valid_until)?;
            check_key_order(&at("valid_until"), key.valid_from, key.valid_until)?;
        }
        Ok(())
    }

    fn check_peers(&self) -> Result<(), Problem> {
        let mut ids = BTreeSet::new();
        for (i, peer) in self.peers.iter().enumerate() {
            let at = |field: &str| format!("peers[{i}].{field}");
            if peer.id == self.station.id {
                return Err(Problem::new(at("id"), "本站不能把自己列为协作单位", "a station cannot be its own peer"));
            }
            if !ids.insert(&peer.id) {
                return Err(Problem::new(
                    at("id"),
                    format!("协作单位 {} 重复出现", peer.id),
                    format!("peer {} appears twice", peer.id),
                ));
            }
            if !peer.url.starts_with("https://") {
                return Err(Problem::new(at("url"), "必须以 https:// 开头", "must start with https://"));
            }
            check_file(&at("ca"), &peer.ca)?;
            if peer.keys.is_empty() {
                return Err(Problem::new(
                    at("keys"),
                    "请至少列出该协作单位的一个公钥",
                    "list at least one public key of the peer",
                ));
            }
            let mut key_ids = BTreeSet::new();
            for (k, key) in peer.keys.iter().enumerate() {
                let key_at = format!("peers[{i}].keys[{k}]");
                if crate::ids::KeyRef::new(peer.id.clone(), &key.id).is_err() {
                    return Err(Problem::new(format!("{key_at}.id"), KEY_ID_ZH, KEY_ID_EN));
                }
                if !key_ids.insert(&key.id) {
                    return Err(Problem::new(
                        format!("{key_at}.id"),
                        format!("该协作单位的密钥编号 {:?} 重复出现", key.id),
                        format!("key id {:?} appears twice for this peer", key.id),
                    ));
                }
                self.check_key_span(&format!("{key_at}.valid_until"), key.valid_from, key.valid_until)?;
                let field = if key.public_file.is_some() { "public_file" } else { "public" };
                crate::keys::parse_public_key(key.public.as_deref().unwrap_or_default()).map_err(|e| {
                    Problem::new(format!("{key_at}.{field}"), e.describe(Lang::Zh), e.describe(Lang::En))
                })?;
                check_key_order(&format!("{key_at}.valid_until"), key.valid_from, key.valid_until)?;
            }
        }
        Ok(())
    }

    fn check_key_span(
        &self,
        key: &str,
        from: Option<OffsetDateTime>,
        until: Option<OffsetDateTime>,
    ) -> Result<(), Problem> {
        if let (Some(from), Some(until)) = (from, until)
            && until - from > self.max_key_validity()
        {
            let days = self.federation.max_key_validity_days;
            return Err(Problem::new(
                key,
                format!("密钥有效期超过 {days} 天（federation.max_key_validity_days）；请改为轮换密钥"),
                format!(
                    "the key would be valid for more than {days} days (federation.max_key_validity_days); rotate keys instead"
                ),
            ));
        }
        Ok(())
    }

    fn check_officers(&self) -> Result<(), Problem> {
        let mut badges = BTreeSet::new();
        for (i, officer) in self.officers.iter().enumerate() {
            if !badges.insert(&officer.badge) {
                return Err(Problem::new(
                    format!("officers[{i}].badge"),
                    format!("警号 {} 重复出现", officer.badge),
                    format!("badge {} appears twice", officer.badge),
                ));
            }
            if officer.roles.is_empty() {
                return Err(Problem::new(
                    format!("officers[{i}].roles"),
                    "请为该民警至少指定一个角色",
                    "give the officer at least one role",
                ));
            }
            if officer.name.trim().is_empty() {
                return Err(Problem::new(format!("officers[{i}].name"), "民警姓名为空", "the officer's name is empty"));
            }
        }
        Ok(())
    }
}

/// What a key id may be made of, as [`crate::ids::KeyRef`] takes it.
const KEY_ID_ZH: &str = "请用 1–32 个 ASCII 字母、数字、'-' 或 '_'";
const KEY_ID_EN: &str = "use 1–32 ASCII letters, digits, '-' or '_'";

fn check_key_order(key: &str, from: Option<OffsetDateTime>, until: Option<OffsetDateTime>) -> Result<(), Problem> {
    if let (Some(from), Some(until)) = (from, until)
        && from >= until
    {
        return Err(Problem::new(key, "必须晚于 valid_from", "must be after valid_from"));
    }
    Ok(())
}

pub(super) fn check_file(key: &str, path: &Path) -> Result<(), Problem> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => {
            Err(Problem::new(key, format!("{} 不是文件", path.display()), format!("{} is not a file", path.display())))
        }
        Err(e) => Err(Problem::unreadable(key, path, &e)),
    }
}
