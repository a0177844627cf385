//! The rules the validator promises, written out again independently of it, to check what it accepts.

use std::collections::BTreeSet;

use proptest::prelude::*;
use time::{Date, OffsetDateTime};

use super::beijing_date;
use crate::domain::details::{
    CASE_NUMBER_MAX, CLOCK_SKEW, CaseDetails, DangerFlag, LIST_MAX, LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX, Sex,
    Vehicle, normalise_case_number,
};
use crate::domain::resident_id::{ResidentId, check_char};

/// What the validator promises about details it accepts as of `now`.
pub(super) struct Rules {
    latest: OffsetDateTime,
    today: Date,
}

impl Rules {
    pub(super) fn at(now: OffsetDateTime) -> Self {
        let latest = now.checked_add(CLOCK_SKEW).unwrap_or(now);
        Self { latest, today: beijing_date(latest) }
    }

    pub(super) fn required(&self, value: &str, max: usize) -> Result<(), TestCaseError> {
        prop_assert!(!value.trim().is_empty(), "blank required text accepted");
        self.limit(value, max)
    }

    pub(super) fn limit(&self, value: &str, max: usize) -> Result<(), TestCaseError> {
        prop_assert!(value.chars().count() <= max, "{} characters accepted, limit {max}", value.chars().count());
        Ok(())
    }

    fn list(&self, len: usize, min: usize) -> Result<(), TestCaseError> {
        prop_assert!((min..=LIST_MAX).contains(&len), "a list of {len} accepted");
        Ok(())
    }

    fn not_future(&self, at: OffsetDateTime) -> Result<(), TestCaseError> {
        prop_assert!(at <= self.latest, "{at} accepted, later than {}", self.latest);
        Ok(())
    }

    fn id(&self, id: &ResidentId) -> Result<(), TestCaseError> {
        let text = id.as_str();
        prop_assert_eq!(text.len(), 18);
        prop_assert_eq!(check_char(&text[..17]), text.chars().last(), "bad check character in {}", text);
        let reparsed = ResidentId::parse(text).ok();
        prop_assert_eq!(reparsed.as_ref(), Some(id));
        prop_assert!(id.birth_date() <= self.today, "resident ID born after today: {}", text);
        Ok(())
    }

    fn vehicles(&self, vehicles: &[Vehicle]) -> Result<(), TestCaseError> {
        self.list(vehicles.len(), 0)?;
        for vehicle in vehicles {
            prop_assert!(vehicle.plate.is_some() || !vehicle.description.trim().is_empty(), "empty vehicle accepted");
            self.limit(&vehicle.description, SHORT_TEXT_MAX)?;
        }
        Ok(())
    }

    pub(super) fn details(&self, details: &CaseDetails) -> Result<(), TestCaseError> {
        match details {
            CaseDetails::MissingPerson(p) => {
                self.required(&p.name, NAME_MAX)?;
                self.required(&p.description, LONG_TEXT_MAX)?;
                self.required(&p.last_seen_place, SHORT_TEXT_MAX)?;
                self.not_future(p.last_seen_at)?;
                self.limit(p.contact.as_deref().unwrap_or_default(), SHORT_TEXT_MAX)?;
                self.limit(p.risk_notes.as_deref().unwrap_or_default(), LONG_TEXT_MAX)?;
                prop_assert!(p.age.is_some() || p.birth_date.is_some() || p.id_number.is_some(), "no age given");
                prop_assert!(p.age.is_none_or(|age| age <= 130));
                if let Some(birth) = p.birth_date {
                    prop_assert!(birth <= self.today && birth <= beijing_date(p.last_seen_at));
                }
                if let Some(id) = &p.id_number {
                    self.id(id)?;
                    prop_assert!(p.birth_date.is_none_or(|birth| birth == id.birth_date()));
                    let id_sex = if id.is_male() { Sex::Male } else { Sex::Female };
                    prop_assert!(p.sex == Sex::Unknown || p.sex == id_sex, "sex contradicts the resident ID");
                }
            }
            CaseDetails::Fugitive(f) => {
                self.required(&f.name, NAME_MAX)?;
                self.required(&f.warrant_number, CASE_NUMBER_MAX)?;
                self.required(&f.offence, SHORT_TEXT_MAX)?;
                self.required(&f.last_known_location, SHORT_TEXT_MAX)?;
                if let Some(at) = f.last_known_at {
                    self.not_future(at)?;
                }
                if let Some(id) = &f.id_number {
                    self.id(id)?;
                }
                let notes = f.danger_notes.as_deref().unwrap_or_default();
                prop_assert!(!f.danger.contains(&DangerFlag::Other) || !notes.trim().is_empty());
                self.limit(notes, LONG_TEXT_MAX)?;
                self.vehicles(&f.vehicles)?;
            }
            CaseDetails::SerialTheft(s) => {
                self.list(s.linked_case_numbers.len(), 1)?;
                let mut seen = BTreeSet::new();
                for number in &s.linked_case_numbers {
                    self.required(number, CASE_NUMBER_MAX)?;
                    prop_assert!(seen.insert(normalise_case_number(number)), "repeated case number {number:?}");
                }
                self.required(&s.modus_operandi, LONG_TEXT_MAX)?;
                self.list(s.stolen_items.len(), 0)?;
                for item in &s.stolen_items {
                    self.required(item, SHORT_TEXT_MAX)?;
                }
                self.list(s.suspects.len(), 0)?;
                for suspect in &s.suspects {
                    let name = suspect.name.as_deref().unwrap_or_default();
                    let described = !name.trim().is_empty() || !suspect.description.trim().is_empty();
                    prop_assert!(described || suspect.id_number.is_some(), "an undescribed suspect accepted");
                    self.limit(name, NAME_MAX)?;
                    self.limit(&suspect.description, LONG_TEXT_MAX)?;
                    if let Some(id) = &suspect.id_number {
                        self.id(id)?;
                    }
                }
                self.vehicles(&s.vehicles)?;
                self.list(s.incidents.len(), 1)?;
                for incident in &s.incidents {
                    self.not_future(incident.at)?;
                    self.required(&incident.place, SHORT_TEXT_MAX)?;
                    self.limit(&incident.summary, LONG_TEXT_MAX)?;
                }
            }
            CaseDetails::Dispute(d) => {
                self.list(d.parties.len(), 2)?;
                for party in &d.parties {
                    self.required(&party.name, NAME_MAX)?;
                    self.limit(party.role.as_deref().unwrap_or_default(), SHORT_TEXT_MAX)?;
                    self.limit(party.contact.as_deref().unwrap_or_default(), SHORT_TEXT_MAX)?;
                }
                self.required(&d.place, SHORT_TEXT_MAX)?;
                self.required(&d.summary, LONG_TEXT_MAX)?;
                prop_assert!(d.disputed_since.is_none_or(|since| since <= self.today));
            }
            CaseDetails::General(g) => {
                self.required(&g.subject, SHORT_TEXT_MAX)?;
                self.required(&g.request, LONG_TEXT_MAX)?;
            }
        }
        Ok(())
    }
}
