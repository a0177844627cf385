//! Bar charts drawn as SVG on the server: no scripts, print well, scale with the page. Built
//! with maud like every page, so labels are escaped like any other text.

use maud::{Markup, html};

/// One group of bars: a label and the values of each series.
pub struct Group {
    /// Label under (or beside) the bars.
    pub label: String,
    /// One value per series.
    pub values: Vec<i64>,
}

/// A series: its name (for the legend and titles) and its colour.
pub struct Series {
    /// Name.
    pub name: String,
    /// Fill colour.
    pub colour: &'static str,
}

/// The two series every chart here shows.
pub fn sent_received(sent: &str, received: &str) -> Vec<Series> {
    vec![Series { name: sent.to_owned(), colour: "#1f3c88" }, Series { name: received.to_owned(), colour: "#2a9d8f" }]
}

fn scale_max(groups: &[Group]) -> i64 {
    groups.iter().flat_map(|g| g.values.iter().copied()).max().unwrap_or(0).max(1)
}

fn legend(series: &[Series], x: i64, y: i64) -> Markup {
    html! {
        @for (i, s) in series.iter().enumerate() {
            rect x=(x + i as i64 * 110) y=(y) width="12" height="12" fill=(s.colour) {}
            text x=(x + i as i64 * 110 + 18) y=(y + 11) font-size="12" { (s.name) }
        }
    }
}

/// The y-axis of a chart whose largest value is `max`: a step of 1, 2 or 5 × 10ⁿ and the top
/// tick, the first multiple of the step at or above `max`, with at most five steps. Ticks are
/// then whole, evenly spaced numbers (0, 2, 4, 6, 8, 10), never 0, 2, 4, 6, 9.
pub fn nice_scale(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut magnitude = 1i64;
    loop {
        for multiple in [1i64, 2, 5] {
            let step = multiple.saturating_mul(magnitude);
            let steps = max.div_euclid(step) + i64::from(max.rem_euclid(step) != 0);
            if steps <= 5 {
                return (step, step.saturating_mul(steps));
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// Vertical grouped bars, one group per month. Drawn at least [`COLUMNS_WIDTH`] units wide and
/// as wide as the page, so a year of months reads at the size of the tables around it.
pub fn columns(title: &str, groups: &[Group], series: &[Series]) -> Markup {
    let (step, top_tick) = nice_scale(scale_max(groups));
    let (left, top, height) = (44i64, 30i64, 220i64);
    let slot = 56i64;
    let width = (left + slot * groups.len().max(1) as i64 + 10).max(COLUMNS_WIDTH);
    // Groups spread over the width when there are few months, rather than huddling left.
    let slot = (width - left - 10) / groups.len().max(1) as i64;
    let bar = ((slot - 12) / series.len().max(1) as i64).min(40);
    let ticks = top_tick / step;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (top + height + 36) } width="100%" role="img" aria-label=(title) {
            title { (title) }
            (legend(series, left, 6))
            @for tick in 0..=ticks {
                @let y = top + height - height * tick / ticks;
                line x1=(left) x2=(width - 4) y1=(y) y2=(y) stroke="#d5d9e0" {}
                text x=(left - 6) y=(y + 4) font-size="13" text-anchor="end" { (step * tick) }
            }
            @for (i, group) in groups.iter().enumerate() {
                @let x0 = left + i as i64 * slot + (slot - bar * series.len() as i64) / 2;
                @for (j, value) in group.values.iter().enumerate() {
                    @let h = height * value / top_tick;
                    rect x=(x0 + j as i64 * bar) y=(top + height - h) width=(bar - 2) height=(h) fill=(series.get(j).map_or("#999", |s| s.colour)) {
                        title { (group.label) " " (series.get(j).map_or("", |s| s.name.as_str())) ": " (value) }
                    }
                }
                text x=(left + i as i64 * slot + slot / 2) y=(top + height + 20) font-size="13" text-anchor="middle" { (group.label) }
            }
        }
    }
}

/// The narrowest the monthly chart is drawn, in SVG units.
const COLUMNS_WIDTH: i64 = 720;

/// Horizontal grouped bars, one group per partner station.
pub fn bars(title: &str, groups: &[Group], series: &[Series]) -> Markup {
    let max = scale_max(groups);
    let (label_width, top, span) = (200i64, 24i64, 420i64);
    let row = 14 * series.len().max(1) as i64 + 10;
    let height = top + row * groups.len().max(1) as i64 + 8;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (label_width + span + 60) " " (height) } width=(label_width + span + 60) role="img" aria-label=(title) {
            title { (title) }
            (legend(series, label_width, 4))
            @for (i, group) in groups.iter().enumerate() {
                @let y0 = top + i as i64 * row;
                text x=(label_width - 8) y=(y0 + row / 2 + 2) font-size="12" text-anchor="end" { (group.label) }
                @for (j, value) in group.values.iter().enumerate() {
                    @let w = span * value / max;
                    rect x=(label_width) y=(y0 + j as i64 * 14) width=(w.max(1)) height="12" fill=(series.get(j).map_or("#999", |s| s.colour)) {
                        title { (group.label) " " (series.get(j).map_or("", |s| s.name.as_str())) ": " (value) }
                    }
                    text x=(label_width + w + 4) y=(y0 + j as i64 * 14 + 10) font-size="11" { (value) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_labels() {
        let groups = vec![
            Group { label: "犀溪<script>".into(), values: vec![10, 5] },
            Group { label: "马站".into(), values: vec![0, 2] },
        ];
        let svg = bars("per peer", &groups, &sent_received("发出", "收到")).into_string();
        assert!(svg.contains("width=\"420\""), "the largest bar spans the chart: {svg}");
        assert!(svg.contains("犀溪&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        let columns = columns("trend", &groups, &sent_received("发出", "收到")).into_string();
        assert!(columns.contains("height=\"220\""), "the largest column is the top tick, 10: {columns}");
    }

    #[test]
    fn the_axis_has_whole_evenly_spaced_ticks_up_to_at_least_the_largest_value() {
        assert_eq!(nice_scale(9), (2, 10), "0, 2, 4, 6, 8, 10 rather than 0, 2, 4, 6, 9");
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(1), (1, 1));
        assert_eq!(nice_scale(5), (1, 5));
        assert_eq!(nice_scale(7), (2, 8));
        assert_eq!(nice_scale(37), (10, 40));
        assert_eq!(nice_scale(1234), (500, 1500));
        for max in 0..2000 {
            let (step, top) = nice_scale(max);
            let magnitude = 10i64.pow(step.ilog10());
            assert!([1, 2, 5].contains(&(step / magnitude)) && step % magnitude == 0, "{max}: step {step}");
            assert!(top >= max && top % step == 0 && top / step <= 5 && top - step < max.max(1), "{max}: {top}");
        }
        let months: Vec<Group> =
            (1..=4).map(|m| Group { label: format!("2026-0{m}"), values: vec![m * 2 + 1, 0] }).collect();
        let svg = columns("trend", &months, &sent_received("发出", "收到")).into_string();
        let ticks: Vec<&str> =
            svg.split("text-anchor=\"end\">").skip(1).map(|rest| &rest[..rest.find('<').unwrap()]).collect();
        assert_eq!(ticks, ["0", "2", "4", "6", "8", "10"], "{svg}");
        assert!(svg.contains("width=\"100%\""), "as wide as the page: {svg}");
    }
}
