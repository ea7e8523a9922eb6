//! How the console writes numbers, durations and moments: short, unit-bearing, and the same
//! in every panel. Pure (the clock is an argument), so every form is tested natively.

/// "3 d 4 h", "2 h 5 min", "4 min 10 s", "9 s": the two largest units of `secs`.
pub fn duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    let Some(first) = UNITS.iter().position(|(size, _)| secs >= *size) else {
        return "0 s".to_owned();
    };
    let (size, unit) = UNITS[first];
    let mut text = format!("{} {unit}", secs / size);
    if let Some((next, next_unit)) = UNITS.get(first + 1) {
        let rest = (secs % size) / next;
        if rest > 0 {
            text.push_str(&format!(" {rest} {next_unit}"));
        }
    }
    text
}

/// "just now", "5 min ago", "2 h ago", "3 d ago": how long before `now_ms` the moment
/// `then_ms` was (a moment in the future, from a skewed clock, is "just now").
pub fn ago(then_ms: u64, now_ms: u64) -> String {
    let secs = now_ms.saturating_sub(then_ms) / 1_000;
    match secs {
        0..60 => "just now".to_owned(),
        60..3_600 => format!("{} min ago", secs / 60),
        3_600..86_400 => format!("{} h ago", secs / 3_600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A rate or a count: whole numbers as they are, fractions with one decimal, large ones
/// with a thousands mark ("12,345").
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    if value.fract() != 0.0 && value.abs() < 100.0 {
        return format!("{value:.1}");
    }
    // Rounded to a whole, a count on screen fits in i64 by far.
    let whole = value.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if whole < 0 {
        grouped.insert(0, '-');
    }
    grouped
}

/// A millisecond latency: "0.8 ms", "12 ms", "1.2 s"; "–" when there was nothing to time.
pub fn millis(ms: Option<f64>) -> String {
    match ms {
        None => "–".to_owned(),
        Some(ms) if ms >= 1_000.0 => format!("{:.1} s", ms / 1_000.0),
        Some(ms) if ms < 10.0 => format!("{ms:.1} ms"),
        Some(ms) => format!("{ms:.0} ms"),
    }
}

/// The current time, Unix ms, from the browser's clock.
pub fn now_ms() -> u64 {
    // Positive and below 2^53 for the next 280,000 years.
    js_sys::Date::now().max(0.0) as u64
}

/// A date in the reader's locale, for Unix ms `ms`.
pub fn day(ms: u64) -> String {
    // f64 holds every millisecond timestamp until the year 287,396 exactly.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    date.to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// A date and time in the reader's locale, for Unix ms `ms`.
pub fn when(ms: u64) -> String {
    // f64 holds every millisecond timestamp until the year 287,396 exactly.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn durations_show_their_two_largest_units() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(9), "9 s");
        assert_eq!(duration(250), "4 min 10 s");
        assert_eq!(duration(7_500), "2 h 5 min");
        assert_eq!(duration(3_600), "1 h");
        assert_eq!(duration(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn moments_read_as_how_long_ago() {
        let now = 10_000_000_000;
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now + 5_000, now), "just now", "a skewed clock");
        assert_eq!(ago(now - 300_000, now), "5 min ago");
        assert_eq!(ago(now - 7_200_000, now), "2 h ago");
        assert_eq!(ago(now - 3 * 86_400_000, now), "3 d ago");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn numbers_group_thousands_and_keep_one_decimal_when_small() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(7.0), "7");
        assert_eq!(number(2.25), "2.2");
        assert_eq!(number(12_345.0), "12,345");
        assert_eq!(number(1_000_000.4), "1,000,000");
        assert_eq!(number(-1_234.0), "-1,234");
        assert_eq!(number(f64::NAN), "–");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn latencies_pick_their_unit() {
        assert_eq!(millis(None), "–");
        assert_eq!(millis(Some(0.84)), "0.8 ms");
        assert_eq!(millis(Some(12.4)), "12 ms");
        assert_eq!(millis(Some(1_234.0)), "1.2 s");
    }
}
