//! The report: one row per measure, each beside a baseline measured in the same run.

use serde_json::{Value, json};

pub struct Row {
    pub measure: String,
    pub value: f64,
    pub unit: &'static str,
    pub baseline_name: String,
    pub baseline: f64,
    pub target: String,
    pub pass: Option<bool>,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        self.value / self.baseline
    }
}

#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn row(
        &mut self,
        measure: impl Into<String>,
        value: f64,
        unit: &'static str,
        baseline_name: impl Into<String>,
        baseline: f64,
        target: impl Into<String>,
        pass: Option<bool>,
    ) {
        let row = Row {
            measure: measure.into(),
            value,
            unit,
            baseline_name: baseline_name.into(),
            baseline,
            target: target.into(),
            pass,
        };
        println!("  measured: {}", line(&row));
        self.rows.push(row);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        println!("  note: {note}");
        self.notes.push(note);
    }

    pub fn print(&self) {
        let w = self.rows.iter().map(|r| r.measure.len()).max().unwrap_or(10);
        let b = self.rows.iter().map(|r| r.baseline_name.len()).max().unwrap_or(10);
        println!();
        println!(
            "{:<w$}  {:>14} {:<9} {:>14} {:<b$}  {:>8}  {:<26} result",
            "measure", "value", "unit", "baseline", "(of)", "ratio", "target"
        );
        println!("{}", "-".repeat(w + b + 90));
        for r in &self.rows {
            println!(
                "{:<w$}  {:>14} {:<9} {:>14} {:<b$}  {:>8.3}  {:<26} {}",
                r.measure,
                fmt(r.value),
                r.unit,
                fmt(r.baseline),
                r.baseline_name,
                r.ratio(),
                r.target,
                verdict(r.pass)
            );
        }
        for n in &self.notes {
            println!("* {n}");
        }
    }

    pub fn json(&self, config: Value) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "measure": r.measure,
                    "value": r.value,
                    "unit": r.unit,
                    "baseline": r.baseline,
                    "baselineOf": r.baseline_name,
                    "ratio": r.ratio(),
                    "target": r.target,
                    "pass": r.pass,
                })
            })
            .collect();
        json!({ "config": config, "rows": rows, "notes": self.notes })
    }
}

fn verdict(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "PASS",
        Some(false) => "FAIL",
        None => "info",
    }
}

fn fmt(v: f64) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if v.abs() >= 1_000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn line(r: &Row) -> String {
    format!(
        "{} = {} {} (baseline {} {} = {}, ratio {:.3})",
        r.measure,
        fmt(r.value),
        r.unit,
        r.baseline_name,
        fmt(r.baseline),
        r.unit,
        r.ratio()
    )
}
