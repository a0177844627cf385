//! Trouble with a partner station in words for the administrator: why it cannot be reached, or
//! why it refused what this station sent. The raw detail (the transport's own message, the
//! partner's refusal text) is kept beside the words, for whoever digs further; the words come
//! first and are in the reader's language.

use crate::i18n::Lang;

/// What went wrong with a partner, from its stable code and the raw message, in `lang`.
pub fn peer_trouble(code: &str, message: &str, lang: Lang) -> String {
    let (zh, en) = match code {
        "unreachable" => transport(message),
        "peer_certificate" => (
            "对方节点的证书不是本站为其配置的证书机构（peers[].ca）签发，或证书中的单位不是它",
            "the partner's certificate is not from the CA configured for it (peers[].ca), or names another station",
        ),
        "bad_answer" => {
            ("对方节点的答复无法识别（版本不一致？）", "the partner's answer could not be read (another version?)")
        }
        "bad_receipt" => ("对方回执的签名无法验证", "the partner's receipt does not verify"),
        "storage" => {
            ("本站未能保存对方的答复，将重试", "this station could not store the partner's answer; it tries again")
        }
        refusal => return refused(refusal, lang),
    };
    lang.pick(zh, en).to_owned()
}

/// Why a partner cannot be reached, when there is more to say than that it cannot: a
/// certificate not from its CA, say. `None` for a plain `unreachable`.
pub fn unreachable_cause(code: &str, lang: Lang) -> Option<String> {
    (code != "unreachable").then(|| peer_trouble(code, "", lang))
}

/// The cause of a request that got no answer, from the transport's message chain.
fn transport(message: &str) -> (&'static str, &'static str) {
    let lower = message.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&["connection refused"]) {
        (
            "对方节点拒绝连接：节点未运行，或地址、端口不对",
            "the partner's node refused the connection: not running, or the wrong address or port",
        )
    } else if has(&["timed out", "deadline has elapsed", "timeout"]) {
        ("连接对方节点超时：网络不通或对方过忙", "no answer in time: the network is down or the partner is overloaded")
    } else if has(&["dns error", "failed to lookup", "name or service not known", "no address associated"]) {
        ("找不到对方节点的地址（域名解析失败）", "the partner's address cannot be found (name lookup failed)")
    } else if has(&["network is unreachable", "no route to host", "host is unreachable"]) {
        ("网络不通，到不了对方节点", "no network route to the partner's node")
    } else if has(&["certificate", "handshake", "tls", "alert"]) {
        (
            "与对方节点建立加密连接失败（证书或加密设置不符）",
            "the encrypted connection to the partner failed (certificates or TLS settings differ)",
        )
    } else if has(&["connection reset", "broken pipe", "unexpected eof", "connection closed", "incomplete message"]) {
        ("连接在传输中被中断", "the connection was cut while sending")
    } else {
        ("无法连接对方节点", "the partner's node cannot be reached")
    }
}

/// A partner's refusal, by its stable code.
fn refused(code: &str, lang: Lang) -> String {
    let (zh, en) = match code {
        "unknown_key" => (
            "对方没有本站的签名公钥：请对方管理员在其配置中加入本站的公钥",
            "the partner does not hold this station's signing key: its administrator adds the key to its config",
        ),
        "key_expired" | "key_revoked" | "key_not_yet_valid" => (
            "对方认为本站的签名密钥在签署时无效（过期、吊销或尚未生效）：核对双方配置中的密钥有效期",
            "the partner holds this station's signing key as not valid at the time of signing: compare both configs' key dates",
        ),
        "bad_signature" | "signer_mismatch" => (
            "对方验证本站签名不通过：对方配置中的本站公钥可能有误",
            "the partner cannot verify this station's signature: the public key it holds for this station may be wrong",
        ),
        "from_the_future" => (
            "对方认为报文时间在未来：请核对两站的系统时间（NTP）",
            "the partner sees the envelope as dated in the future: check both stations' clocks (NTP)",
        ),
        "storage_unavailable" => {
            ("对方节点暂时无法保存，将自动重试", "the partner could not store it for now; sending is retried")
        }
        "held_back" => ("对方在等待同一批中更早的报文", "the partner waits for an earlier envelope of the same batch"),
        "history_missing" => (
            "对方发现本站缺少部分报文（本站可能从备份恢复过），正在自动核对补齐",
            "the partner finds envelopes missing here (a restore from backup?); reconciliation brings them back",
        ),
        "not_addressed_to_us" | "bad_addressing" => {
            ("对方认为报文的收件单位不对", "the partner finds the envelope wrongly addressed")
        }
        "unknown_case" | "not_party" => (
            "对方没有该协查，或本站不是该协查的参与单位",
            "the partner does not hold the case, or this station is not a party to it",
        ),
        "illegal_transition" | "wrong_party" => {
            ("对方那边该协查的状态不允许这一步", "the case's state at the partner does not allow this step")
        }
        "equivocation" | "out_of_order" | "conflict" | "case_exists" => {
            ("对方已有与之冲突的报文，已作为证据保存", "the partner holds a conflicting envelope, kept as evidence")
        }
        "invalid_body" => (
            "对方认为报文内容不符合规定（双方版本不一致？）",
            "the partner finds the content against its rules (another version?)",
        ),
        _ => ("对方拒收了报文", "the partner refused the envelope"),
    };
    lang.pick(zh, en).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_reads_as_the_node_not_running_in_either_language() {
        let raw = "error sending request for url (https://localhost:7444/fed/v1/inbox): client error (Connect): \
                   tcp connect error: Connection refused (os error 111)";
        assert!(peer_trouble("unreachable", raw, Lang::Zh).starts_with("对方节点拒绝连接"));
        assert!(peer_trouble("unreachable", raw, Lang::En).contains("not running"));
    }

    #[test]
    fn every_code_a_partner_sends_back_has_words_of_its_own() {
        let codes = [
            "unknown_key",
            "key_expired",
            "key_revoked",
            "key_not_yet_valid",
            "bad_signature",
            "signer_mismatch",
            "from_the_future",
            "storage_unavailable",
            "held_back",
            "history_missing",
            "not_addressed_to_us",
            "bad_addressing",
            "unknown_case",
            "not_party",
            "illegal_transition",
            "wrong_party",
            "equivocation",
            "out_of_order",
            "conflict",
            "case_exists",
            "invalid_body",
        ];
        let fallback = refused("no_such_code", Lang::Zh);
        for code in codes {
            let zh = peer_trouble(code, "", Lang::Zh);
            assert_ne!(zh, fallback, "{code} has no words");
            assert!(!peer_trouble(code, "", Lang::En).chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        }
    }
}
