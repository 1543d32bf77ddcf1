//! The clock: seconds since the Unix epoch, and RFC 3339 text.

/// Now, in whole seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-11-28T13:56:45Z`: RFC 3339, UTC, whole seconds (what starship and the SDKs parse).
pub fn rfc3339(epoch: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Time left as people read it: `42m`, `3h05m`, `expired`. Whole minutes, rounded to the
/// nearest (a one-hour role just made reads `1h00m`).
pub fn left(secs: i64) -> String {
    if secs <= 0 {
        return "expired".to_string();
    }
    let minutes = (secs + 30) / 60;
    if minutes >= 60 { format!("{}h{:02}m", minutes / 60, minutes % 60) } else { format!("{minutes}m") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_873_005), "2026-11-28T13:36:45Z");
    }

    #[test]
    fn time_left() {
        assert_eq!(left(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(left(3599), "1h00m");
        assert_eq!(left(3570), "1h00m");
        assert_eq!(left(3569), "59m");
        assert_eq!(left(0), "expired");
        assert_eq!(left(11 * 3600 + 56 * 60), "11h56m");
    }
}
