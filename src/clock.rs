//! The clock: seconds since the Unix epoch, and RFC 3339 text.

/// Now, in whole seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// [`left`], in seconds under a minute (`42 s`): for what is about to run out.
pub fn left_exact(secs: i64) -> String {
    if (1..60).contains(&secs) { format!("{secs} s") } else { left(secs) }
}

/// `2026-11-28T13:56:45Z`: RFC 3339, UTC, whole seconds (what starship and the SDKs parse).
pub fn rfc3339(epoch: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// `2026-11-28 22:56:45 +09:00`: the local time of the machine (TZ, else /etc/localtime),
/// whole seconds, with its offset from UTC.
pub fn local(epoch: i64) -> String {
    with_offset(epoch, local_offset(epoch))
}

/// The local clock's offset from UTC at `epoch`, in seconds (0 when it cannot be read).
fn local_offset(epoch: i64) -> i64 {
    let t: libc::time_t = epoch;
    // SAFETY: localtime_r writes only the tm it is given, and reads TZ (no other thread of
    // swrole changes the environment).
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() { 0 } else { tm.tm_gmtoff }
    }
}

/// `epoch` as the clock `offset` seconds east of UTC shows it.
fn with_offset(epoch: i64, offset: i64) -> String {
    let shifted = rfc3339(epoch + offset);
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.abs() / 60;
    format!("{} {} {sign}{:02}:{:02}", &shifted[..10], &shifted[11..19], minutes / 60, minutes % 60)
}

/// Time left as people read it: `42m`, `3h05m`, `expired`. Whole minutes, rounded to the
/// nearest (a one-hour role just made reads `1h00m`).
pub fn left(secs: i64) -> String {
    if secs <= 0 {
        return "expired".to_string();
    }
    let minutes = (secs + 30) / 60;
    if minutes >= 48 * 60 {
        return format!("{}d", minutes / (24 * 60));
    }
    if minutes >= 60 { format!("{}h{:02}m", minutes / 60, minutes % 60) } else { format!("{minutes}m") }
}

/// `2026-11-28T13:56:45Z`, with optional fractional seconds and a `Z` or `±HH:MM` offset,
/// as seconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() < 20 || !text.is_char_boundary(19) {
        return None;
    }
    let (head, rest) = text.split_at(19);
    let base = humantime::parse_rfc3339_weak(head).ok()?;
    let secs = base.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    let rest = match rest.strip_prefix('.') {
        Some(frac) => frac.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let (sign, hm) = match rest.as_bytes().first()? {
                b'+' => (1, &rest[1..]),
                b'-' => (-1, &rest[1..]),
                _ => return None,
            };
            let (h, m) = hm.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    Some(secs - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_shown_with_its_offset() {
        let t = parse_rfc3339("2026-11-28T13:56:45Z").unwrap();
        assert_eq!(with_offset(t, 9 * 3600), "2026-11-28 22:56:45 +09:00");
        assert_eq!(with_offset(t, -(5 * 3600 + 30 * 60)), "2026-11-28 08:26:45 -05:30");
        assert_eq!(with_offset(t, 11 * 3600), "2026-11-29 00:56:45 +11:00", "the next day");
        assert_eq!(with_offset(t, 0), "2026-11-28 13:56:45 +00:00");
    }

    #[test]
    fn times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_rfc3339("1970-01-01T01:01:00+01:00"), Some(60));
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00.123456Z"), Some(60));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00-00:01"), Some(60));
        assert_eq!(parse_rfc3339("soon"), None);
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00"), None);
    }

    #[test]
    fn rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_873_005), "2026-11-28T13:36:45Z");
    }

    #[test]
    fn time_left() {
        assert_eq!(
            (left_exact(42), left_exact(59), left_exact(60), left_exact(0)),
            ("42 s".into(), "59 s".into(), "1m".into(), "expired".into())
        );
        assert_eq!(left(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(left(3599), "1h00m");
        assert_eq!(left(3570), "1h00m");
        assert_eq!(left(3569), "59m");
        assert_eq!(left(0), "expired");
        assert_eq!(left(11 * 3600 + 56 * 60), "11h56m");
        assert_eq!(left(36 * 3600), "36h00m");
        assert_eq!(left(90 * 86400 - 60), "89d");
    }
}
