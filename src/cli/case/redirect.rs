//! `tiemeng case redirect`: the new request that replaces one a partner declined, refused
//! here as the node would refuse it before anything is sent.

use crate::cli::render;
use crate::client::ClientError;
use crate::i18n::Lang;
use crate::ids::StationId;

/// What `case redirect` would send, and the words that show it.
pub(super) struct RedirectPlan {
    pub(super) new: crate::node::NewCase,
    pub(super) preview: String,
}

/// The new request replacing the declined one: from the station `from` that declined it (the
/// only one that did, if not given), to `to` (the station it suggested, if not given).
pub(super) fn redirect_plan(
    detail: &crate::node::CaseDetail,
    from: Option<StationId>,
    to: Vec<StationId>,
    names: &render::Names,
    lang: Lang,
) -> Result<RedirectPlan, ClientError> {
    // Refused here as the node would refuse it, with a code to act on, before anything is sent.
    let refused = |status: u16, code: &str, title: (&str, &str), detail: (&str, &str)| {
        ClientError::Problem(crate::client::RemoteProblem {
            status,
            code: code.to_owned(),
            title: lang.pick(title.0, title.1).to_owned(),
            detail: lang.pick(detail.0, detail.1).to_owned(),
            errors: Vec::new(),
            duplicates: Box::default(),
        })
    };
    use crate::domain::lifecycle::TargetState;
    let declined: Vec<_> = detail.case.targets.iter().filter(|t| t.state == TargetState::Declined).collect();
    let target = match (&from, declined.as_slice()) {
        (Some(from), _) => declined.iter().find(|t| &t.station == from).copied(),
        (None, [only]) => Some(*only),
        (None, []) => None,
        (None, _) => {
            return Err(refused(
                422,
                "redirect_which",
                ("请指明改发哪一个单位退回的协查", "say which decline to redirect"),
                (
                    "有多个单位退回了这份协查，请用 --from 指定。",
                    "more than one station declined it: name one with --from.",
                ),
            ));
        }
    };
    let Some(target) = target else {
        return Err(refused(
            409,
            "not_declined",
            ("该单位未退回此协查，不能改发", "that station did not decline this request"),
            ("只有协作单位退回的协查才能改发。", "only a request a partner declined can be redirected."),
        ));
    };
    let to = if to.is_empty() { target.suggested_station.clone().into_iter().collect() } else { to };
    if to.is_empty() {
        return Err(refused(
            422,
            "redirect_to",
            ("请指定发往单位", "say where to send it"),
            ("退回时没有建议改发单位，请用 --to 指定。", "the decline suggested no station: name one with --to."),
        ));
    }
    let of = crate::node::RedirectOf { case: detail.case.id, station: target.station.clone() };
    let new = crate::node::redirected_request(&detail.request, of, to.clone())
        .map_err(|e| ClientError::Decode { url: detail.case.id.to_string(), reason: e.to_string() })?;
    let stations: Vec<&str> = to.iter().map(|s| names.of(s.as_str())).collect();
    let number = detail.case.refno.as_ref().map_or_else(|| detail.case.id.to_string(), |r| r.label.clone());
    let preview = match lang {
        Lang::Zh => format!(
            "将改发：{number}（{}退回）\n新协查：{}\n发往：{}\n内容与原请求相同，将另行编号、签名发送。确认无误后加 --yes 重新执行。",
            names.of(target.station.as_str()),
            new.title,
            stations.join("、")
        ),
        Lang::En => format!(
            "to redirect: {number} (declined by {})\nnew request: {}\nto: {}\nThe same content, numbered and signed anew. Run again with --yes to send it.",
            names.of(target.station.as_str()),
            new.title,
            stations.join(", ")
        ),
    };
    Ok(RedirectPlan { new, preview })
}
