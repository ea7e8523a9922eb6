//! What a run prints: a table of min / median / max per link and visit, the files one visit
//! of each kind transferred, and the same samples as JSON lines for scripts.

use super::{Link, Sample, Visit};
use std::{collections::BTreeMap, fmt::Write as _};

/// Min, median and max of some numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Middle (mean of the two middle ones for an even count).
    pub median: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when there are none (or one is NaN).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.into_iter().collect();
        if sorted.is_empty() || sorted.iter().any(|v| v.is_nan()) {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        };
        Some(Spread {
            min: sorted[0],
            median,
            max: sorted[sorted.len() - 1],
        })
    }
}

/// Samples grouped by link and visit, in the order [`Link::ALL`], first before repeat.
fn grouped(samples: &[Sample]) -> BTreeMap<(Link, Visit), Vec<&Sample>> {
    let mut groups: BTreeMap<(Link, Visit), Vec<&Sample>> = BTreeMap::new();
    for sample in samples {
        groups
            .entry((sample.link, sample.visit))
            .or_default()
            .push(sample);
    }
    groups
}

/// The summary table, in Markdown so it pastes into `docs/benchmarks.md` as it is.
pub fn table(samples: &[Sample]) -> String {
    let mut out = String::from(
        "| link | visit | runs | shown min | shown median | shown max | painted median | transferred (median) |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for ((link, visit), group) in grouped(samples) {
        let shown = Spread::of(group.iter().map(|s| s.shown_ms));
        let painted = Spread::of(group.iter().map(|s| s.painted_ms));
        // Byte counts are far below 2^53: exact as f64.
        let bytes = Spread::of(group.iter().map(|s| s.transfer_bytes() as f64));
        let (Some(shown), Some(painted), Some(bytes)) = (shown, painted, bytes) else {
            continue;
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms | {} |",
            link.name(),
            visit.name(),
            group.len(),
            shown.min,
            shown.median,
            shown.max,
            painted.median,
            kilobytes(bytes.median),
        );
    }
    out
}

/// Per file, what the last visit of each kind transferred, in Markdown.
pub fn files(samples: &[Sample]) -> String {
    let mut out = String::new();
    for ((link, visit), group) in grouped(samples) {
        let Some(sample) = group.last() else {
            continue;
        };
        let _ = writeln!(
            out,
            "\n{} link, {} visit (one run): {} over the wire\n\n\
             | file | by | transferred | body (as sent) | body (decoded) | done at |\n\
             |---|---|---:|---:|---:|---:|",
            link.name(),
            visit.name(),
            kilobytes(sample.transfer_bytes() as f64),
        );
        for file in &sample.files {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {:.0} ms |",
                file.path,
                file.kind,
                kilobytes(file.transfer_bytes as f64),
                kilobytes(file.body_bytes as f64),
                kilobytes(file.decoded_bytes as f64),
                file.done_ms,
            );
        }
    }
    out
}

/// One JSON object per sample, a line each.
pub fn json_lines(samples: &[Sample]) -> String {
    samples
        .iter()
        .filter_map(|sample| serde_json::to_string(sample).ok())
        .map(|line| line + "\n")
        .collect()
}

/// `bytes` as kB (1000 bytes) with one decimal, or bytes when under one kB.
fn kilobytes(bytes: f64) -> String {
    if bytes < 1000.0 {
        format!("{bytes:.0} B")
    } else {
        format!("{:.1} kB", bytes / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_middle_of_odd_and_even_counts() {
        let odd = Spread::of([3.0, 1.0, 2.0]);
        assert_eq!(
            odd,
            Some(Spread {
                min: 1.0,
                median: 2.0,
                max: 3.0
            })
        );
        let even = Spread::of([4.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            even,
            Some(Spread {
                min: 1.0,
                median: 2.5,
                max: 4.0
            })
        );
        assert_eq!(Spread::of([]), None);
        assert_eq!(Spread::of([1.0, f64::NAN]), None);
    }

    #[test]
    fn kilobytes_are_thousands() {
        assert_eq!(kilobytes(999.0), "999 B");
        assert_eq!(kilobytes(51_234.0), "51.2 kB");
    }
}
