//! Varied, valid requests for load: the sample requests of every kind, with the names that
//! link cases (resident IDs, plates, case numbers) drawn at random, so that cases link only
//! where real ones would (rarely), not all with each other as copies of one sample would.

use rand::Rng;
use rand::rngs::StdRng;
use time::OffsetDateTime;

use crate::domain::details::{CaseDetails, CaseKind};
use crate::domain::plate::Plate;
use crate::domain::resident_id::ResidentId;
use crate::ids::StationId;
use crate::node::NewCase;
use crate::samples;

/// Kinds in the proportions a border station sees them (general checks and disputes most).
const KIND_MIX: [(CaseKind, u32); 5] = [
    (CaseKind::General, 30),
    (CaseKind::Dispute, 20),
    (CaseKind::MissingPerson, 20),
    (CaseKind::Fugitive, 15),
    (CaseKind::SerialTheft, 15),
];

/// A random kind from [`KIND_MIX`].
pub fn kind(rng: &mut StdRng) -> CaseKind {
    let total: u32 = KIND_MIX.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (kind, weight) in KIND_MIX {
        if pick < weight {
            return kind;
        }
        pick -= weight;
    }
    CaseKind::General
}

/// A request of a random kind to `targets`, made at `at`, with fresh subjects.
pub fn new_case(rng: &mut StdRng, targets: Vec<StationId>, at: OffsetDateTime) -> NewCase {
    let kind = kind(rng);
    new_case_of(rng, kind, targets, at)
}

/// A request of `kind` to `targets`, made at `at`, with fresh subjects.
pub fn new_case_of(rng: &mut StdRng, kind: CaseKind, targets: Vec<StationId>, at: OffsetDateTime) -> NewCase {
    let mut new = samples::sample(kind, targets, at);
    vary(rng, &mut new.details, at);
    // Titles and narratives name a place, so a word search finds some cases, not all.
    let place = PLACES[rng.gen_range(0..PLACES.len())];
    new.title = format!("{}（{place}）", new.title);
    new.narrative = format!("{place}方向。{}", new.narrative);
    new
}

/// Surnames, most common first, for generated names.
const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗',
    '郑',
];
/// Characters of given names.
const GIVEN: &[char] = &[
    '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞',
    '平', '刚', '桂', '英', '华', '建', '国', '德', '福', '志', '海',
];
/// Places on the border named in titles and narratives.
const PLACES: &[&str] =
    &["罗阳镇", "马站镇", "西溪乡", "前岐镇", "泗溪镇", "南溪镇", "雅阳镇", "沙埕镇", "桐山街道", "龙港"];

/// A generated Chinese name: a surname and one or two given characters, so that a name is
/// shared by a few cases in a thousand, as real ones are.
pub fn name(rng: &mut StdRng) -> String {
    let mut name = String::from(SURNAMES[rng.gen_range(0..SURNAMES.len())]);
    for _ in 0..rng.gen_range(1..=2) {
        name.push(GIVEN[rng.gen_range(0..GIVEN.len())]);
    }
    name
}

fn vary(rng: &mut StdRng, details: &mut CaseDetails, at: OffsetDateTime) {
    match details {
        CaseDetails::MissingPerson(d) => {
            d.name = name(rng);
            // The ID decides age and sex, so the sample's fixed age is dropped.
            let id = resident_id(rng, at, d.sex == crate::domain::details::Sex::Male);
            d.age = None;
            d.id_number = id;
        }
        CaseDetails::Fugitive(d) => {
            d.name = name(rng);
            let male = rng.r#gen();
            d.id_number = resident_id(rng, at, male);
            d.warrant_number = format!("T{}", digits(rng, 16));
            for vehicle in &mut d.vehicles {
                vehicle.plate = plate(rng, '浙');
            }
        }
        CaseDetails::SerialTheft(d) => {
            for number in &mut d.linked_case_numbers {
                *number = format!("A{}", digits(rng, 22));
            }
            for suspect in &mut d.suspects {
                suspect.name = Some(name(rng));
                let male = rng.r#gen();
                suspect.id_number = resident_id(rng, at, male);
            }
            for vehicle in &mut d.vehicles {
                vehicle.plate = plate(rng, '闽');
            }
        }
        CaseDetails::General(d) => d.subject = format!("核查暂住人员{}", name(rng)),
        CaseDetails::Dispute(_) => {}
    }
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// A valid resident ID of someone born 18 to 70 years before `at`.
fn resident_id(rng: &mut StdRng, at: OffsetDateTime, male: bool) -> Option<ResidentId> {
    let province = if rng.r#gen() { "33" } else { "35" };
    let year = at.year() - rng.gen_range(18..70);
    let sequence = rng.gen_range(0..500) * 2 + u32::from(male);
    let first17 = format!(
        "{province}{}{year:04}{:02}{:02}{sequence:03}",
        digits(rng, 4),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28)
    );
    samples::resident_id(&first17)
}

/// A random ordinary plate of the province whose short name is `province`.
fn plate(rng: &mut StdRng, province: char) -> Option<Plate> {
    const SERIAL: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let issuer = char::from(b'A' + rng.gen_range(0..8u8));
    let serial: String = (0..5).map(|_| char::from(SERIAL[rng.gen_range(0..SERIAL.len())])).collect();
    Plate::parse(&format!("{province}{issuer}{serial}")).ok()
}

/// A part of a request body template.
#[derive(Debug, Clone)]
enum Piece {
    /// JSON text kept as is.
    Text(String),
    /// A resident ID of a man or a woman.
    Id { male: bool },
    /// A plate of the province with this short name.
    Plate(char),
    /// A case number: a letter and this many digits.
    Number { prefix: char, digits: usize },
}

/// Request bodies as JSON, cheaply: a template per kind, serialised once, with only the
/// subject fields drawn afresh for each body, so a load generator spends a few microseconds
/// per request rather than building and serialising a request each time.
#[derive(Debug)]
pub struct Bodies {
    templates: Vec<Vec<Piece>>,
    rng: StdRng,
    now: OffsetDateTime,
}

impl Bodies {
    /// Templates of requests to `targets` made around `now`, in the proportions of [`KIND_MIX`].
    pub fn new(seed: u64, targets: &[StationId], now: OffsetDateTime) -> Self {
        use rand::SeedableRng;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut templates = Vec::new();
        for (kind, weight) in KIND_MIX {
            for _ in 0..weight / 5 {
                templates.push(template(&mut rng, kind, targets, now));
            }
        }
        Self { templates, rng, now }
    }

    /// The next body.
    pub fn next_body(&mut self) -> Vec<u8> {
        let pick = self.rng.gen_range(0..self.templates.len());
        let mut out = String::with_capacity(4096);
        for piece in &self.templates[pick] {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Id { male } => {
                    let id = resident_id(&mut self.rng, self.now, *male);
                    out.push_str(id.as_ref().map_or("", |id| id.as_str()));
                }
                Piece::Plate(province) => {
                    let plate = plate(&mut self.rng, *province);
                    out.push_str(plate.as_ref().map_or("", |p| p.as_str()));
                }
                Piece::Number { prefix, digits: n } => {
                    out.push(*prefix);
                    out.push_str(&digits(&mut self.rng, *n));
                }
            }
        }
        out.into_bytes()
    }
}

fn template(rng: &mut StdRng, kind: CaseKind, targets: &[StationId], now: OffsetDateTime) -> Vec<Piece> {
    let mut new = samples::sample(kind, targets.to_vec(), now);
    vary(rng, &mut new.details, now);
    let json = serde_json::to_string(&new).unwrap_or_default();
    let id = |id: &Option<ResidentId>| id.as_ref().map(|id| (id.as_str().to_owned(), Piece::Id { male: id.is_male() }));
    let plates = |vehicles: &[crate::domain::details::Vehicle], province: char| {
        vehicles
            .iter()
            .filter_map(|v| v.plate.as_ref())
            .map(|p| (p.as_str().to_owned(), Piece::Plate(province)))
            .collect::<Vec<_>>()
    };
    let mut slots: Vec<(String, Piece)> = Vec::new();
    match &new.details {
        CaseDetails::MissingPerson(d) => slots.extend(id(&d.id_number)),
        CaseDetails::Fugitive(d) => {
            slots.extend(id(&d.id_number));
            slots.push((d.warrant_number.clone(), Piece::Number { prefix: 'T', digits: 16 }));
            slots.extend(plates(&d.vehicles, '浙'));
        }
        CaseDetails::SerialTheft(d) => {
            for number in &d.linked_case_numbers {
                slots.push((number.clone(), Piece::Number { prefix: 'A', digits: 22 }));
            }
            slots.extend(d.suspects.iter().filter_map(|s| id(&s.id_number)));
            slots.extend(plates(&d.vehicles, '闽'));
        }
        CaseDetails::Dispute(_) | CaseDetails::General(_) => {}
    }
    let mut found: Vec<(usize, usize, Piece)> = slots
        .into_iter()
        .filter_map(|(value, piece)| json.find(&format!("\"{value}\"")).map(|at| (at + 1, value.len(), piece)))
        .collect();
    found.sort_by_key(|(at, _, _)| *at);
    let mut pieces = Vec::new();
    let mut from = 0;
    for (at, len, piece) in found {
        if at < from {
            continue;
        }
        pieces.push(Piece::Text(json[from..at].to_owned()));
        pieces.push(piece);
        from = at + len;
    }
    pieces.push(Piece::Text(json[from..].to_owned()));
    pieces
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn generated_requests_are_valid_and_name_fresh_subjects() {
        let mut rng = StdRng::seed_from_u64(7);
        let at = crate::clock::from_unix_ms(1_700_000_000_000);
        let target: StationId = "fj-shouning-xixi".parse().unwrap();
        let mut subjects = std::collections::BTreeSet::new();
        let mut named = 0;
        for _ in 0..500 {
            let new = new_case(&mut rng, vec![target.clone()], at);
            let errors = new.details.validate(at);
            assert!(errors.is_empty(), "{errors:?} in {:?}", new.details);
            for key in new.details.subject_keys() {
                named += 1;
                subjects.insert(key);
            }
        }
        assert!(subjects.len() * 100 >= named * 99, "{} distinct of {named}", subjects.len());
    }

    #[test]
    fn template_bodies_parse_as_valid_requests_with_fresh_subjects() {
        let at = crate::clock::from_unix_ms(1_700_000_000_000);
        let target: StationId = "fj-shouning-xixi".parse().unwrap();
        let mut bodies = Bodies::new(3, &[target], at);
        let mut subjects = std::collections::BTreeSet::new();
        let mut named = 0;
        for _ in 0..500 {
            let body = bodies.next_body();
            let new: NewCase = serde_json::from_slice(&body).unwrap();
            let errors = new.details.validate(at);
            assert!(errors.is_empty(), "{errors:?} in {:?}", new.details);
            for key in new.details.subject_keys() {
                named += 1;
                subjects.insert(key);
            }
        }
        assert!(named > 300 && subjects.len() * 100 >= named * 99, "{} distinct of {named}", subjects.len());
    }
}
