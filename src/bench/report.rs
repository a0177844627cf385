//! Results: one [`Section`] per scenario with its [`Row`]s (figure, baseline, ratio, target,
//! met), printed as a table for the terminal and written as `docs/BENCHMARKS.md`.

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::{Scale, Scenario, sys};

/// One measured figure beside its baseline and target.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub metric: String,
    /// The figure, with its unit.
    pub figure: String,
    /// The baseline measured in the same run, with its unit ("—" when the target is absolute).
    pub baseline: String,
    /// figure / baseline, when that is what the target judges.
    pub ratio: String,
    /// The target, as the issue states it.
    pub target: String,
    /// Whether the target is met (`None`: reported, no target).
    pub met: Option<bool>,
}

impl Row {
    /// A row with a target judged on the figure alone.
    pub fn absolute(metric: impl Into<String>, figure: String, target: impl Into<String>, met: bool) -> Self {
        Self {
            metric: metric.into(),
            figure,
            baseline: "—".into(),
            ratio: "—".into(),
            target: target.into(),
            met: Some(met),
        }
    }

    /// A row judged on figure / baseline.
    pub fn relative(
        metric: impl Into<String>,
        figure: String,
        baseline: String,
        ratio: f64,
        target: impl Into<String>,
        met: bool,
    ) -> Self {
        Self { metric: metric.into(), figure, baseline, ratio: percent(ratio), target: target.into(), met: Some(met) }
    }

    /// A figure reported without a target.
    pub fn info(metric: impl Into<String>, figure: String) -> Self {
        Self {
            metric: metric.into(),
            figure,
            baseline: "—".into(),
            ratio: "—".into(),
            target: "(reported)".into(),
            met: None,
        }
    }

    /// Sets the baseline of a row.
    pub fn with_baseline(mut self, baseline: String) -> Self {
        self.baseline = baseline;
        self
    }
}

/// What one scenario found.
#[derive(Debug, Clone)]
pub struct Section {
    /// The scenario.
    pub scenario: Scenario,
    /// Its heading.
    pub title: String,
    /// Its figures.
    pub rows: Vec<Row>,
    /// Further markdown: how it was measured, extra tables, breakdowns.
    pub details: Vec<String>,
    /// Where the time goes, shown when a target is missed: figures measured in this run and
    /// what profiling found.
    pub analysis: Vec<String>,
    /// Why the scenario could not run, if it could not.
    pub failure: Option<String>,
}

impl Section {
    /// An empty section.
    pub fn new(scenario: Scenario, title: impl Into<String>) -> Self {
        Self {
            scenario,
            title: title.into(),
            rows: Vec::new(),
            details: Vec::new(),
            analysis: Vec::new(),
            failure: None,
        }
    }

    /// A scenario that could not run.
    pub fn failed(scenario: Scenario, error: String) -> Self {
        eprintln!("   FAILED: {error}");
        let mut section = Self::new(scenario, format!("{scenario:?}"));
        section.failure = Some(error);
        section
    }

    /// True when some target is missed.
    pub fn missed(&self) -> bool {
        self.rows.iter().any(|r| r.met == Some(false))
    }
}

/// The whole run.
#[derive(Debug)]
pub struct Report {
    started: OffsetDateTime,
    command: String,
    scale: String,
    sections: Vec<Section>,
    errors: Vec<String>,
    /// The memory probes, in the order they were taken.
    first_touch: Vec<(Moment, sys::FirstTouch)>,
    /// Read when the run starts: the commit is the tree this binary was built from, not
    /// whatever was committed while it ran.
    machine: sys::Machine,
}

/// When in a run the memory probe was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Before the first scenario.
    Start,
    /// After the last.
    End,
}

impl Report {
    /// A report of a run at `scale`, started now by this process's command line.
    pub fn new(scale: &Scale) -> Self {
        let args: Vec<String> = std::env::args().collect();
        let command = shell_words(&args);
        let scale = format!(
            "{}: {} clients, {:.0} s per intake measurement, {} latency samples, backlog {}, {} cases over {} days, \
             soak {} s, fan-out to {:?} peers",
            if scale.quick { "quick (smoke test, not a measurement)" } else { "full" },
            scale.clients,
            scale.measure.as_secs_f64(),
            scale.latency_samples,
            scale.backlog,
            scale.cases,
            scale.days,
            scale.soak.as_secs(),
            scale.fanout_peers,
        );
        Self {
            started: OffsetDateTime::now_utc(),
            command,
            scale,
            sections: Vec::new(),
            errors: Vec::new(),
            first_touch: Vec::new(),
            machine: sys::machine(),
        }
    }

    /// Adds a scenario's results.
    pub fn push(&mut self, section: Section) {
        for row in &section.rows {
            eprintln!("   {:<58} {:>16}  {}", row.metric, row.figure, met_word(row.met));
        }
        self.sections.push(section);
    }

    /// Records how this machine wrote into fresh memory and into memory in use at `moment`.
    pub fn set_first_touch(&mut self, moment: Moment, probe: sys::FirstTouch) {
        self.first_touch.push((moment, probe));
    }

    /// Records an error outside any scenario.
    pub fn error(&mut self, error: String) {
        eprintln!("error: {error}");
        self.errors.push(error);
    }

    /// True when something could not run.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || self.sections.iter().any(|s| s.failure.is_some())
    }

    /// The results as a plain-text table.
    pub fn table(&self) -> String {
        let header = ["#", "metric", "figure", "baseline", "ratio", "target", "met"];
        let mut lines: Vec<[String; 7]> = Vec::new();
        for section in &self.sections {
            let number = (section.scenario as usize + 1).to_string();
            if let Some(failure) = &section.failure {
                lines.push([
                    number.clone(),
                    "FAILED TO RUN".into(),
                    failure.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            for row in &section.rows {
                lines.push([
                    number.clone(),
                    row.metric.clone(),
                    row.figure.clone(),
                    row.baseline.clone(),
                    row.ratio.clone(),
                    row.target.clone(),
                    met_word(row.met).into(),
                ]);
            }
        }
        let mut widths = header.map(|h| h.chars().count());
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(display_width(cell));
            }
        }
        let mut out = String::new();
        let mut print = |cells: &[String]| {
            for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
                let pad = width.saturating_sub(display_width(cell));
                let _ = write!(out, "{}{cell}{}", if i == 0 { "" } else { "  " }, " ".repeat(pad));
            }
            out.push('\n');
        };
        print(&header.map(String::from));
        print(&widths.map(|w| "-".repeat(w)));
        for line in &lines {
            print(line);
        }
        out
    }

    /// The results as `docs/BENCHMARKS.md`.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let facts = &self.machine;
        let _ = writeln!(out, "# Benchmarks\n");
        let _ = writeln!(
            out,
            "Written by `tiemeng bench` from the run below; run the command again rather than editing by hand. \
             Every figure stands beside a baseline measured in the same run, because absolute times on a shared \
             machine drift.\n"
        );
        let _ = writeln!(out, "## How it was run\n");
        let _ = writeln!(out, "- Date: {} (UTC)", crate::clock::rfc3339(self.started));
        let _ = writeln!(out, "- Command: `{}`", self.command);
        let _ = writeln!(
            out,
            "- Build: `CARGO_TARGET_DIR=target cargo build --release --features bench -j 1` (release profile){}",
            facts.commit.as_ref().map(|c| format!(", commit `{c}`")).unwrap_or_default()
        );
        let _ = writeln!(out, "- Scale: {}", self.scale);
        let _ = writeln!(
            out,
            "- Machine: `nproc` = {}, CPU: {}, kernel {}, memory {}",
            facts.nproc, facts.cpu, facts.kernel, facts.memory
        );
        let _ = writeln!(out, "- Storage: {}", facts.disk);
        let probes: Vec<String> = self
            .first_touch
            .iter()
            .map(|(moment, probe)| {
                let when = if *moment == Moment::Start { "before the scenarios" } else { "after them" };
                format!("{:.0} MB/s then {:.0} MB/s {when}", probe.fresh, probe.again)
            })
            .collect();
        if !probes.is_empty() {
            let _ = writeln!(
                out,
                "- Memory: a new file written, then the same pages written again: {}. Where the first figure is far \
                 below the second, the host backs memory only when it is first touched, and every store's log pays \
                 for it (docs/PERFORMANCE.md)",
                probes.join("; ")
            );
        }
        out.push('\n');
        for error in &self.errors {
            let _ = writeln!(out, "**Error:** {error}\n");
        }
        let _ = writeln!(out, "## Summary\n");
        let _ = writeln!(out, "| # | metric | figure | baseline (same run) | ratio | target | met |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for section in &self.sections {
            let number = section.scenario as usize + 1;
            if let Some(failure) = &section.failure {
                let _ = writeln!(out, "| {number} | **failed to run** | {} | | | | |", cell(failure));
            }
            for row in &section.rows {
                let _ = writeln!(
                    out,
                    "| {number} | {} | {} | {} | {} | {} | {} |",
                    cell(&row.metric),
                    cell(&row.figure),
                    cell(&row.baseline),
                    cell(&row.ratio),
                    cell(&row.target),
                    met_word(row.met)
                );
            }
        }
        out.push('\n');
        for section in &self.sections {
            let _ = writeln!(out, "## {}. {}\n", section.scenario as usize + 1, section.title);
            if let Some(failure) = &section.failure {
                let _ = writeln!(out, "**The scenario failed to run:** {failure}\n");
            }
            for detail in &section.details {
                let _ = writeln!(out, "{detail}\n");
            }
            if section.missed() && !section.analysis.is_empty() {
                let _ = writeln!(out, "### Where the time goes\n");
                for paragraph in &section.analysis {
                    let _ = writeln!(out, "{paragraph}\n");
                }
            }
        }
        let _ = writeln!(out, "## The large store and its bulk loader\n\n{}", super::dataset::EQUIVALENCE);
        out
    }
}

fn met_word(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "NOT MET",
        None => "—",
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Terminal columns of `text` (CJK characters take two).
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if u32::from(c) >= 0x1100 { 2 } else { 1 }).sum()
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .enumerate()
        .map(|(i, arg)| {
            let arg = if i == 0 {
                // The binary as a reader would run it from the repository.
                std::path::Path::new(arg)
                    .strip_prefix(std::env::current_dir().unwrap_or_default())
                    .map_or_else(|_| arg.clone(), |p| p.display().to_string())
            } else {
                arg.clone()
            };
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
                format!("'{}'", arg.replace('\'', "'\\''"))
            } else {
                arg
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `0.734` as `73.4%`.
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// A duration in milliseconds with sensible precision.
pub fn ms(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// A rate with a unit, e.g. `12,345 cases/s`.
pub fn rate(per_second: f64, unit: &str) -> String {
    format!("{} {unit}/s", thousands(per_second.round() as u64))
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as MiB.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
