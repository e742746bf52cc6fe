//! China Standard Time (UTC+8), as WeChat Pay writes the times in its answers
//! (`2026-12-02T10:00:00+08:00`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::offset;

/// `t` in RFC 3339 at +08:00.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(offset!(+8))
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_written_at_plus_eight() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(rfc3339(t), "2023-11-15T06:13:20+08:00");
    }
}
