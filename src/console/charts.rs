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

/// Vertical grouped bars, one group per month.
pub fn columns(title: &str, groups: &[Group], series: &[Series]) -> Markup {
    let max = scale_max(groups);
    let (left, top, height) = (36i64, 28i64, 180i64);
    let slot = 48i64;
    // Wide enough for the legend even with a single month.
    let width = (left + slot * groups.len().max(1) as i64 + 10).max(left + 110 * series.len() as i64 + 20);
    let bar = (slot - 12) / series.len().max(1) as i64;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (top + height + 34) } width=(width) role="img" aria-label=(title) {
            title { (title) }
            (legend(series, left, 4))
            @for step in 0..=4 {
                @let y = top + height - height * step / 4;
                line x1=(left) x2=(width - 4) y1=(y) y2=(y) stroke="#d5d9e0" {}
                text x=(left - 6) y=(y + 4) font-size="11" text-anchor="end" { (max * step / 4) }
            }
            @for (i, group) in groups.iter().enumerate() {
                @let x0 = left + i as i64 * slot + 6;
                @for (j, value) in group.values.iter().enumerate() {
                    @let h = height * value / max;
                    rect x=(x0 + j as i64 * bar) y=(top + height - h) width=(bar - 2) height=(h) fill=(series.get(j).map_or("#999", |s| s.colour)) {
                        title { (group.label) " " (series.get(j).map_or("", |s| s.name.as_str())) ": " (value) }
                    }
                }
                text x=(x0 + (slot - 12) / 2) y=(top + height + 16) font-size="11" text-anchor="middle" { (group.label) }
            }
        }
    }
}

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
        assert!(columns.contains("height=\"180\""), "{columns}");
    }
}
