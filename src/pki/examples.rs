//! The example stations and officers of the dev PKI, the demo and the example
//! configs. They live here, once, so that the certificates `tiemeng pki init`
//! writes and the configs generated from them can never disagree.
//!
//! The stations are the Zhejiang–Fujian border desk (铁盟警务联络站): 泰顺罗阳 and
//! 寿宁犀溪 across the provincial line, and 苍南马站 on the Zhejiang side.

use super::dev::{OfficerSpec, ROLE_ADMIN, ROLE_CHIEF, ROLE_DUTY, ROLE_LIAISON, StationSpec};

/// (id, Chinese name, GB/T 2260 division).
const STATIONS: &[(&str, &str, &str)] = &[
    ("zj-taishun-luoyang", "泰顺县公安局罗阳派出所", "330329"),
    ("fj-shouning-xixi", "寿宁县公安局犀溪派出所", "350924"),
    ("zj-cangnan-mazhan", "苍南县公安局马站派出所", "330327"),
];

/// (station, badge, name, role). Badges are the division plus a sequence number.
const OFFICERS: &[(&str, &str, &str, &str)] = &[
    ("zj-taishun-luoyang", "330329001", "陈志强", ROLE_LIAISON),
    ("zj-taishun-luoyang", "330329002", "林晓燕", ROLE_DUTY),
    ("zj-taishun-luoyang", "330329004", "潘建华", ROLE_DUTY),
    ("zj-taishun-luoyang", "330329003", "吴建国", ROLE_CHIEF),
    ("zj-taishun-luoyang", "330329090", "周文博", ROLE_ADMIN),
    ("fj-shouning-xixi", "350924001", "黄立新", ROLE_LIAISON),
    ("fj-shouning-xixi", "350924002", "郑丽娟", ROLE_DUTY),
    ("fj-shouning-xixi", "350924004", "叶志勇", ROLE_DUTY),
    ("fj-shouning-xixi", "350924003", "李德明", ROLE_CHIEF),
    ("fj-shouning-xixi", "350924090", "陈秀英", ROLE_ADMIN),
    ("zj-cangnan-mazhan", "330327001", "王海涛", ROLE_LIAISON),
    ("zj-cangnan-mazhan", "330327002", "蔡雪梅", ROLE_DUTY),
    ("zj-cangnan-mazhan", "330327004", "徐静", ROLE_DUTY),
    ("zj-cangnan-mazhan", "330327003", "金振华", ROLE_CHIEF),
    ("zj-cangnan-mazhan", "330327090", "杨志远", ROLE_ADMIN),
];

/// The DNS name a dev station serves on: `<id>.tiemeng.test` (`.test` is reserved
/// by RFC 2606, so it can never resolve to a real host).
pub fn example_dns(station_id: &str) -> String {
    format!("{station_id}.tiemeng.test")
}

/// The three example stations.
pub fn example_stations() -> Vec<StationSpec> {
    STATIONS
        .iter()
        .map(|(id, name_zh, division)| StationSpec {
            id: (*id).to_owned(),
            name_zh: (*name_zh).to_owned(),
            division: (*division).to_owned(),
            dns: vec![example_dns(id)],
        })
        .collect()
}

/// The example officers: per station a liaison, two duty officers (so a case can be handed
/// over at shift change), a chief and an administrator.
pub fn example_officers() -> Vec<OfficerSpec> {
    OFFICERS
        .iter()
        .map(|(station, badge, name, role)| OfficerSpec {
            station: (*station).to_owned(),
            badge: (*badge).to_owned(),
            name: (*name).to_owned(),
            role,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_station_has_each_role_and_badges_match_divisions() {
        let stations = example_stations();
        let officers = example_officers();
        for station in &stations {
            for role in [ROLE_LIAISON, ROLE_DUTY, ROLE_CHIEF, ROLE_ADMIN] {
                assert!(
                    officers.iter().any(|o| o.station == station.id && o.role == role),
                    "{} lacks {role}",
                    station.id
                );
            }
            for officer in officers.iter().filter(|o| o.station == station.id) {
                assert!(officer.badge.starts_with(&station.division));
            }
        }
        assert_eq!(officers.iter().filter(|o| o.role == ROLE_ADMIN).count(), stations.len(), "one admin per station");
    }
}
