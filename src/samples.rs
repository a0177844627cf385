//! Realistic sample requests in Chinese, one per kind, built from today's date. The demo sends
//! them, `tiemeng case template --example` prints them, and tests use them as valid inputs. Names, ID numbers and plates are invented; ID numbers carry valid check digits.

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use crate::domain::case::{Priority, Restriction};
use crate::domain::details::{
    CaseDetails, CaseKind, DangerFlag, Dispute, Fugitive, General, Incident, MissingPerson, Party, RequestedAction,
    SerialTheft, Sex, Suspect, Vehicle,
};
use crate::domain::plate::Plate;
use crate::domain::resident_id::{ResidentId, check_char};
use crate::ids::StationId;
use crate::node::NewCase;

/// A resident ID from its first 17 digits, with the check character computed.
pub fn resident_id(first17: &str) -> Option<ResidentId> {
    let check = check_char(first17)?;
    ResidentId::parse(&format!("{first17}{check}")).ok()
}

fn plate(text: &str) -> Option<Plate> {
    Plate::parse(text).ok()
}

/// A request of `kind` to `targets`, dated around `now`.
pub fn sample(kind: CaseKind, targets: Vec<StationId>, now: OffsetDateTime) -> NewCase {
    match kind {
        CaseKind::MissingPerson => missing_elderly_man(targets, now),
        CaseKind::Fugitive => fugitive_alert(targets, now),
        CaseKind::SerialTheft => serial_car_thefts(targets, now),
        CaseKind::Dispute => border_dispute(targets, now),
        CaseKind::General => general_check(targets, now),
    }
}

fn case(
    targets: Vec<StationId>,
    priority: Priority,
    title: &str,
    details: CaseDetails,
    narrative: &str,
    contact: &str,
) -> NewCase {
    NewCase {
        targets,
        priority,
        title: title.to_owned(),
        details,
        narrative: narrative.to_owned(),
        contact: contact.to_owned(),
        reference: None,
        restrictions: Vec::new(),
        review_by: None,
        confirm_duplicate: false,
        attachments: Vec::new(),
        redirect_of: None,
    }
}

/// 失踪人员: an elderly man with dementia who wandered off toward the border.
pub fn missing_elderly_man(targets: Vec<StationId>, now: OffsetDateTime) -> NewCase {
    let details = CaseDetails::MissingPerson(MissingPerson {
        name: "吴德福".into(),
        sex: Sex::Male,
        age: Some(78),
        birth_date: None,
        id_number: resident_id("33032919480312001"),
        description: "身高约165厘米，偏瘦，白发，穿深蓝色中山装、黑色布鞋，说泰顺方言，左手腕戴红绳".into(),
        last_seen_place: "泰顺县罗阳镇洲岭村村口公交站（往寿宁犀溪方向）".into(),
        last_seen_at: now - Duration::hours(5),
        contact: Some("家属吴小军 13857700123".into()),
        risk_notes: Some("患阿尔茨海默病，需每日服药；夜间山区气温低".into()),
    });
    let mut new = case(
        targets,
        Priority::Urgent,
        "协查失踪老人吴德福（78岁，患阿尔茨海默病）",
        details,
        "老人今晨离家后未归，村口监控显示其登上开往犀溪方向的班车。请协助在犀溪镇车站、集市及沿途村庄查找，发现后请就地照看并立即联系。",
        "罗阳派出所联络员 陈志强 0577-67580110",
    );
    new.review_by = Some((now + Duration::days(30)).date());
    new
}

/// 在逃人员: one fugitive alert for several stations along the border.
pub fn fugitive_alert(targets: Vec<StationId>, now: OffsetDateTime) -> NewCase {
    let details = CaseDetails::Fugitive(Fugitive {
        name: "郑国平".into(),
        id_number: resident_id("33032919850716003"),
        warrant_number: "T3303292026110017".into(),
        offence: "故意伤害（致一人重伤）".into(),
        danger: BTreeSet::from([DangerFlag::Violent]),
        danger_notes: None,
        vehicles: vec![Vehicle { plate: plate("浙C7K2X9"), description: "白色五菱宏光面包车".into() }],
        last_known_location: "泰顺县罗阳镇至寿宁县犀溪镇县道 X221 沿线".into(),
        last_known_at: Some(now - Duration::hours(2)),
        action: RequestedAction::Intercept,
    });
    let mut new = case(
        targets,
        Priority::Urgent,
        "在逃人员郑国平协查拦截（故意伤害）",
        details,
        "嫌疑人作案后驾车逃离，可能经县道进入福建境内或折返苍南。请在辖区卡口、加油站布控，发现后注意安全，先控制车辆再通报。",
        "罗阳派出所联络员 陈志强 0577-67580110",
    );
    new.restrictions = vec![Restriction::PoliceOnly, Restriction::NoOnward];
    new.review_by = Some((now + Duration::days(90)).date());
    new
}

/// 系列盗窃: four suspects of thefts from cars, fleeing toward 罗阳.
pub fn serial_car_thefts(targets: Vec<StationId>, now: OffsetDateTime) -> NewCase {
    let suspect = |name: &str, first17: &str, description: &str| Suspect {
        name: Some(name.into()),
        id_number: resident_id(first17),
        description: description.into(),
    };
    let details = CaseDetails::SerialTheft(SerialTheft {
        linked_case_numbers: vec![
            "A3509245200002026110003".into(),
            "A3509245200002026110007".into(),
            "A3509245200002026110011".into(),
        ],
        modus_operandi: "夜间在景区停车场砸破车窗盗窃车内财物，得手后驾车经县道往泰顺罗阳方向逃离".into(),
        stolen_items: vec!["笔记本电脑 2 台".into(), "现金约 6800 元".into(), "香烟 5 条".into()],
        suspects: vec![
            suspect("林某强", "35092419950204001", "男，约30岁，身高175厘米，平头，左臂有纹身"),
            suspect("林某杰", "35092419970811003", "男，约28岁，与林某强系兄弟，戴黑框眼镜"),
            suspect("陈某", "35092420010509007", "男，约25岁，瘦高，常穿黑色连帽衫，负责望风"),
            suspect("张某华", "33032919920923005", "男，约33岁，泰顺口音，负责驾车"),
        ],
        vehicles: vec![Vehicle { plate: plate("闽J3E8L6"), description: "银灰色大众桑塔纳".into() }],
        incidents: vec![
            Incident {
                at: now - Duration::days(9),
                place: "寿宁县犀溪镇西浦景区停车场".into(),
                summary: "两辆轿车车窗被砸，被盗笔记本电脑一台、现金 3200 元".into(),
            },
            Incident {
                at: now - Duration::days(5),
                place: "寿宁县犀溪镇仙岩村停车场".into(),
                summary: "一辆越野车被砸，被盗香烟 5 条".into(),
            },
            Incident {
                at: now - Duration::days(2),
                place: "寿宁县犀溪镇犀溪村文化广场".into(),
                summary: "一辆面包车被砸，被盗笔记本电脑一台、现金 3600 元".into(),
            },
        ],
    });
    case(
        targets,
        Priority::High,
        "犀溪系列砸车窗盗窃案四名嫌疑人协查（逃往罗阳方向）",
        details,
        "三起案件作案手法一致，监控显示嫌疑车辆每次作案后经县道驶入泰顺罗阳。请协助核查嫌疑人在罗阳的落脚点及销赃渠道。",
        "犀溪派出所联络员 黄立新 0593-5580110",
    )
}

/// 矛盾纠纷: a land dispute between villages on either side of the provincial line.
pub fn border_dispute(targets: Vec<StationId>, now: OffsetDateTime) -> NewCase {
    let details = CaseDetails::Dispute(Dispute {
        parties: vec![
            Party {
                name: "苍南县马站镇岭头村村民委员会".into(),
                role: Some("浙江一方".into()),
                contact: Some("村主任 蔡某".into()),
            },
            Party {
                name: "福鼎市前岐镇岭下村村民委员会".into(),
                role: Some("福建一方".into()),
                contact: Some("村主任 林某".into()),
            },
        ],
        place: "浙闽交界岭头—岭下山场（界碑 14 号附近）".into(),
        summary: "两村因山林权属及毛竹采伐发生争执，近日双方村民在山场对峙，需两地派出所联合调处".into(),
        disputed_since: Some((now - Duration::days(40)).date()),
    });
    case(
        targets,
        Priority::High,
        "岭头村与岭下村山林权属纠纷联合调处",
        details,
        "建议两地派出所会同镇司法所、林业站于本周内到现场联合调处，调处前请做好对方村民的稳控工作。",
        "马站派出所联络员 王海涛 0577-64780110",
    )
}

/// 其他协查: a routine address check.
pub fn general_check(targets: Vec<StationId>, _now: OffsetDateTime) -> NewCase {
    let details = CaseDetails::General(General {
        subject: "核查暂住人员信息".into(),
        request: "请协助核查犀溪镇犀溪村 23 号出租屋内暂住人员的身份及暂住登记情况".into(),
    });
    case(
        targets,
        Priority::Routine,
        "核查犀溪村出租屋暂住人员",
        details,
        "系我所辖区一起纠纷案件的关系人，需确认其现住址。",
        "罗阳派出所联络员 陈志强 0577-67580110",
    )
}
