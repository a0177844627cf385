//! What each kind of request must satisfy beyond its types, and its one-line summary.

use time::{Date, OffsetDateTime};

use super::*;
use crate::domain::text::{Layout, has_visible};
use crate::domain::validate::{Errors, FieldError};
use crate::i18n::Label;

/// The earliest year a reported time or date may fall in.
const EARLIEST_YEAR: i32 = 1900;

/// Collects field errors for one details object, with the clock it is judged against.
pub(super) struct Check {
    pub(super) errors: Errors,
    /// Latest acceptable instant for a reported time.
    latest: OffsetDateTime,
    /// Today's date in Beijing, the latest acceptable calendar date.
    today: Date,
}

impl Check {
    pub(super) fn new(now: OffsetDateTime) -> Self {
        let latest = now.checked_add(CLOCK_SKEW).unwrap_or(now);
        Self { errors: Errors::default(), latest, today: beijing_date(latest) }
    }

    fn push(&mut self, field: &str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) {
        self.errors.push(FieldError::new(format!("details.{field}"), code, zh, en));
    }

    /// A required text: something to read, at most `max` characters.
    fn text(&mut self, field: &str, value: &str, max: usize, zh_label: &str, en_label: &str) {
        let path = format!("details.{field}");
        self.errors.require_text(&path, value, zh_label, en_label);
        self.errors.text(&path, value, max, layout(max));
    }

    /// An optional text: at most `max` characters.
    fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        self.errors.text(&format!("details.{field}"), value.unwrap_or_default(), max, layout(max));
    }

    /// A time that has happened, and not before 1900: an earlier one is a typo (a year of
    /// 0026 for 2026), and no one in a case today was seen or born then.
    fn not_future(&mut self, field: &str, at: OffsetDateTime, zh_label: &str, en_label: &str) {
        self.not_before_1900(field, at.year(), zh_label, en_label);
        if at > self.latest {
            self.push(
                field,
                "in_future",
                format!("{zh_label}不能晚于当前时间"),
                format!("{en_label} cannot be in the future"),
            );
        }
    }

    /// A date that has come, and not before 1900.
    fn date_not_future(&mut self, field: &str, date: Date, zh_label: &str, en_label: &str) {
        self.not_before_1900(field, date.year(), zh_label, en_label);
        if date > self.today {
            self.push(
                field,
                "in_future",
                format!("{zh_label}不能晚于今天"),
                format!("{en_label} cannot be in the future"),
            );
        }
    }

    fn not_before_1900(&mut self, field: &str, year: i32, zh_label: &str, en_label: &str) {
        if year < EARLIEST_YEAR {
            self.push(
                field,
                "too_early",
                format!("{zh_label}不能早于 {EARLIEST_YEAR} 年，请核对年份"),
                format!("{en_label} cannot be before {EARLIEST_YEAR}; check the year"),
            );
        }
    }

    /// A list that needs at least `min` items; `zh_few`/`en_few` say what is missing.
    fn at_least(&mut self, field: &str, len: usize, min: usize, zh_few: &str, en_few: &str) {
        if len < min {
            self.push(field, "too_few", zh_few, en_few);
        }
        self.at_most(field, len);
    }

    /// Any list: at most [`LIST_MAX`] items.
    fn at_most(&mut self, field: &str, len: usize) {
        if len > LIST_MAX {
            self.push(field, "too_many", format!("最多填写 {LIST_MAX} 项"), format!("at most {LIST_MAX} items"));
        }
    }

    /// A resident ID whose embedded birth date has not happened yet is a typo; parsing could
    /// not catch it because it has no clock.
    fn id_number(&mut self, field: &str, id: &ResidentId) {
        self.not_before_1900(
            field,
            id.birth_date().year(),
            "身份证号码中的出生日期",
            "the birth date in the resident ID",
        );
        if id.birth_date() > self.today {
            self.push(
                field,
                "in_future",
                "身份证号码中的出生日期晚于今天，请核对",
                "the birth date in the resident ID is in the future",
            );
        }
    }

    fn vehicles(&mut self, vehicles: &[Vehicle]) {
        self.at_most("vehicles", vehicles.len());
        for (i, vehicle) in vehicles.iter().enumerate() {
            let field = format!("vehicles[{i}].description");
            if vehicle.plate.is_none() && !has_visible(&vehicle.description) {
                self.push(
                    &field,
                    "required",
                    "请填写车牌号或车辆特征",
                    "give the plate or a description of the vehicle",
                );
            }
            self.optional_text(&field, Some(vehicle.description.as_str()), SHORT_TEXT_MAX);
        }
    }
}

impl MissingPerson {
    pub(super) fn validate(&self, check: &mut Check) {
        check.text("name", &self.name, NAME_MAX, "失踪人员姓名", "missing person's name");
        check.text("description", &self.description, LONG_TEXT_MAX, "失踪人员体貌特征", "description");
        check.text("last_seen_place", &self.last_seen_place, SHORT_TEXT_MAX, "最后出现地点", "place last seen");
        check.not_future("last_seen_at", self.last_seen_at, "最后出现时间", "time last seen");
        check.optional_text("contact", self.contact.as_deref(), SHORT_TEXT_MAX);
        check.optional_text("risk_notes", self.risk_notes.as_deref(), LONG_TEXT_MAX);
        self.validate_identity(check);
    }

    /// Age, birth date, ID number and sex must be given in some form and agree with each other.
    fn validate_identity(&self, check: &mut Check) {
        if self.age.is_none() && self.birth_date.is_none() && self.id_number.is_none() {
            check.push(
                "age",
                "required",
                "请填写失踪人员的年龄、出生日期或身份证号码",
                "give the missing person's age, birth date or resident ID",
            );
        }
        if let Some(id) = &self.id_number {
            self.validate_id_number(check, id);
        }
        if let Some(birth) = self.birth_date {
            check.date_not_future("birth_date", birth, "出生日期", "birth date");
            if birth > beijing_date(self.last_seen_at) {
                check.push(
                    "birth_date",
                    "out_of_order",
                    "出生日期不能晚于最后出现时间",
                    "birth date is after the time last seen",
                );
            }
        }
        self.validate_age(check);
    }

    fn validate_id_number(&self, check: &mut Check, id: &ResidentId) {
        check.id_number("id_number", id);
        if self.birth_date.is_some_and(|birth| birth != id.birth_date()) {
            check.push(
                "birth_date",
                "inconsistent_birth_date",
                "出生日期与身份证号码不一致",
                "birth date does not match the resident ID",
            );
        }
        let id_sex = if id.is_male() { Sex::Male } else { Sex::Female };
        if self.sex != Sex::Unknown && self.sex != id_sex {
            check.push("sex", "inconsistent_sex", "性别与身份证号码不一致", "sex does not match the resident ID");
        }
    }

    /// The reported age may be the age when last seen or now, and families often give 虚岁
    /// (nominal age, one or two more than full years), so the check allows a year below the
    /// age when last seen and two above the age today.
    fn validate_age(&self, check: &mut Check) {
        let Some(age) = self.age else { return };
        if age > AGE_MAX {
            check.push(
                "age",
                "out_of_range",
                format!("年龄应在 0 至 {AGE_MAX} 岁之间"),
                format!("age must be 0 to {AGE_MAX}"),
            );
            return;
        }
        let Some(birth) = self.known_birth_date() else {
            return;
        };
        let lowest = full_years(birth, beijing_date(self.last_seen_at)) - 1;
        let highest = full_years(birth, check.today) + 2;
        if !(lowest..=highest).contains(&i32::from(age)) {
            check.push("age", "inconsistent_age", "年龄与出生日期不符", "age does not match the birth date");
        }
    }

    /// The birth date as given, or else as encoded in the resident ID.
    fn known_birth_date(&self) -> Option<Date> {
        self.birth_date.or_else(|| self.id_number.as_ref().map(ResidentId::birth_date))
    }

    pub(super) fn summary_zh(&self) -> String {
        let mut traits = Vec::new();
        if self.sex != Sex::Unknown {
            traits.push(self.sex.zh().to_owned());
        }
        let age = self
            .age
            .map(i32::from)
            .or_else(|| self.known_birth_date().map(|birth| full_years(birth, beijing_date(self.last_seen_at))));
        if let Some(age) = age {
            traits.push(format!("{age}岁"));
        }
        let traits = if traits.is_empty() { String::new() } else { format!("（{}）", traits.join("，")) };
        format!(
            "失踪人员 {}{traits}，最后出现于 {}，{}",
            one_line(&self.name, 20),
            one_line(&self.last_seen_place, 40),
            crate::clock::local_minute(self.last_seen_at)
        )
    }
}

impl Fugitive {
    pub(super) fn validate(&self, check: &mut Check) {
        check.text("name", &self.name, NAME_MAX, "在逃人员姓名", "fugitive's name");
        check.text(
            "warrant_number",
            &self.warrant_number,
            CASE_NUMBER_MAX,
            "网上追逃编号或案件编号",
            "warrant or case number",
        );
        check.text("offence", &self.offence, SHORT_TEXT_MAX, "涉嫌罪名", "offence");
        check.text(
            "last_known_location",
            &self.last_known_location,
            SHORT_TEXT_MAX,
            "最后已知位置",
            "last known location",
        );
        if let Some(at) = self.last_known_at {
            check.not_future("last_known_at", at, "最后出现时间", "time last known");
        }
        if let Some(id) = &self.id_number {
            check.id_number("id_number", id);
        }
        let notes = self.danger_notes.as_deref().unwrap_or_default();
        if self.danger.contains(&DangerFlag::Other) && !has_visible(notes) {
            check.push("danger_notes", "required", "请说明其他危险情况", "describe the other danger");
        }
        check.optional_text("danger_notes", Some(notes), LONG_TEXT_MAX);
        check.vehicles(&self.vehicles);
    }

    pub(super) fn summary_zh(&self) -> String {
        let mut text = format!(
            "在逃人员 {}（涉嫌{}，编号 {}），最后位于 {}；请求{}",
            one_line(&self.name, 20),
            one_line(&self.offence, 20),
            one_line(&self.warrant_number, 30),
            one_line(&self.last_known_location, 40),
            self.action.zh()
        );
        if !self.danger.is_empty() {
            let dangers: Vec<&str> = self.danger.iter().map(|d| d.zh()).collect();
            text.push_str(&format!("；危险：{}", dangers.join("、")));
        }
        text
    }
}

impl SerialTheft {
    pub(super) fn validate(&self, check: &mut Check) {
        check.at_least(
            "linked_case_numbers",
            self.linked_case_numbers.len(),
            1,
            "请至少填写一个关联案件编号",
            "give at least one linked case number",
        );
        self.validate_case_numbers(check);
        check.text("modus_operandi", &self.modus_operandi, LONG_TEXT_MAX, "作案手法", "modus operandi");
        check.at_most("stolen_items", self.stolen_items.len());
        for (i, item) in self.stolen_items.iter().enumerate() {
            check.text(&format!("stolen_items[{i}]"), item, SHORT_TEXT_MAX, "被盗物品名称", "stolen item");
        }
        check.at_most("suspects", self.suspects.len());
        for (i, suspect) in self.suspects.iter().enumerate() {
            suspect.validate(check, i);
        }
        check.vehicles(&self.vehicles);
        check.at_least("incidents", self.incidents.len(), 1, "请至少填写一起案发情况", "give at least one incident");
        for (i, incident) in self.incidents.iter().enumerate() {
            incident.validate(check, i);
        }
    }

    /// Each number present and short; a number listed twice (after normalisation) is flagged,
    /// since it would double-count the series.
    fn validate_case_numbers(&self, check: &mut Check) {
        let mut seen = BTreeSet::new();
        for (i, number) in self.linked_case_numbers.iter().enumerate() {
            let field = format!("linked_case_numbers[{i}]");
            check.text(&field, number, CASE_NUMBER_MAX, "关联案件编号", "linked case number");
            let normalised = normalise_case_number(number);
            if !normalised.is_empty() && !seen.insert(normalised) {
                check.push(&field, "duplicate", "关联案件编号重复", "linked case number is listed twice");
            }
        }
    }

    pub(super) fn summary_zh(&self) -> String {
        let first = self.linked_case_numbers.first().map(|n| one_line(n, 30)).unwrap_or_default();
        let more = match self.linked_case_numbers.len() {
            0 | 1 => String::new(),
            n => format!(" 等 {n} 起"),
        };
        format!(
            "系列盗窃 {} 起（关联案件 {first}{more}），作案手法：{}",
            self.incidents.len(),
            one_line(&self.modus_operandi, 40)
        )
    }
}

impl Suspect {
    pub(super) fn validate(&self, check: &mut Check, index: usize) {
        let name = self.name.as_deref().unwrap_or_default();
        if !has_visible(name) && self.id_number.is_none() && !has_visible(&self.description) {
            check.push(
                &format!("suspects[{index}].description"),
                "required",
                "请至少填写嫌疑人姓名、身份证号码或体貌特征之一",
                "give the suspect's name, resident ID or description",
            );
        }
        check.optional_text(&format!("suspects[{index}].name"), Some(name), NAME_MAX);
        if let Some(id) = &self.id_number {
            check.id_number(&format!("suspects[{index}].id_number"), id);
        }
        check.optional_text(&format!("suspects[{index}].description"), Some(self.description.as_str()), LONG_TEXT_MAX);
    }
}

impl Incident {
    pub(super) fn validate(&self, check: &mut Check, index: usize) {
        check.not_future(&format!("incidents[{index}].at"), self.at, "案发时间", "incident time");
        check.text(&format!("incidents[{index}].place"), &self.place, SHORT_TEXT_MAX, "案发地点", "incident place");
        check.optional_text(&format!("incidents[{index}].summary"), Some(self.summary.as_str()), LONG_TEXT_MAX);
    }
}

impl Dispute {
    pub(super) fn validate(&self, check: &mut Check) {
        check.at_least("parties", self.parties.len(), 2, "请至少填写两方当事人", "give at least two parties");
        for (i, party) in self.parties.iter().enumerate() {
            check.text(&format!("parties[{i}].name"), &party.name, NAME_MAX, "当事人姓名或单位名称", "party's name");
            check.optional_text(&format!("parties[{i}].role"), party.role.as_deref(), SHORT_TEXT_MAX);
            check.optional_text(&format!("parties[{i}].contact"), party.contact.as_deref(), SHORT_TEXT_MAX);
        }
        check.text("place", &self.place, SHORT_TEXT_MAX, "纠纷发生地点", "place of the dispute");
        check.text("summary", &self.summary, LONG_TEXT_MAX, "纠纷简要情况", "summary of the dispute");
        if let Some(since) = self.disputed_since {
            check.date_not_future("disputed_since", since, "纠纷起始日期", "start of the dispute");
        }
    }

    pub(super) fn summary_zh(&self) -> String {
        let names: Vec<String> = self.parties.iter().take(2).map(|p| one_line(&p.name, 20)).collect();
        let more = if self.parties.len() > 2 { format!(" 等 {} 方", self.parties.len()) } else { String::new() };
        format!(
            "矛盾纠纷 {}{more}，地点 {}：{}",
            names.join(" 与 "),
            one_line(&self.place, 40),
            one_line(&self.summary, 40)
        )
    }
}

impl General {
    pub(super) fn validate(&self, check: &mut Check) {
        check.text("subject", &self.subject, SHORT_TEXT_MAX, "协查事项", "subject");
        check.text("request", &self.request, LONG_TEXT_MAX, "协查请求内容", "request");
    }
}

/// Long texts (descriptions, summaries, notes on danger or risk) may run over several lines;
/// names, places, numbers and short descriptions take one.
fn layout(max: usize) -> Layout {
    if max >= LONG_TEXT_MAX { Layout::Lines } else { Layout::OneLine }
}

/// The calendar date of `at` in Beijing.
fn beijing_date(at: OffsetDateTime) -> Date {
    crate::clock::beijing_date(at)
}

/// Full years (周岁) from `birth` to `on`.
pub(super) fn full_years(birth: Date, on: Date) -> i32 {
    let years = on.year() - birth.year();
    let before_birthday = (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day());
    if before_birthday { years - 1 } else { years }
}
