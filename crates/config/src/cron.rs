//! Cron expressions with a seconds field, evaluated in the configured time zone.

use std::str::FromStr;

use chrono::{DateTime, TimeZone};

/// A parsed cron expression: `sec min hour day-of-month month day-of-week [year]`.
#[derive(Clone, Debug)]
pub struct Cron {
    expr: String,
    schedule: ::cron::Schedule,
}

impl PartialEq for Cron {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

/// Each field's name and the numbers it takes.
const FIELDS: [(&str, u32, u32); 7] = [
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("weekday", 1, 7),
    ("year", 1970, 2099),
];

/// The numbers in one field are within its range and its steps are positive.
fn check_field(field: &str, name: &str, lo: u32, hi: u32) -> Result<(), String> {
    for part in field.split(',') {
        let (base, step) = match part.split_once('/') {
            Some((b, s)) => (b, Some(s)),
            None => (part, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n >= 1 => {}
                _ => {
                    return Err(format!(
                        "the {name} field's step \"/{step}\" must be a whole number of at least 1"
                    ));
                }
            }
        }
        for n in base.split('-') {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let v: u64 = n.parse().unwrap_or(u64::MAX);
            if v < u64::from(lo) || v > u64::from(hi) {
                return Err(format!("the {name} field is {n}; it takes {lo} to {hi}"));
            }
        }
    }
    Ok(())
}

impl Cron {
    /// Parses an expression; the error says what is wrong in words a staff member can act on.
    pub fn parse(expr: &str) -> Result<Cron, String> {
        let expr = expr.trim();
        let fields = expr.split_whitespace().count();
        if fields == 5 {
            return Err(format!(
                "invalid cron expression \"{expr}\": 5 fields given, but yuqing's schedules start \
                 with a seconds field (6 or 7 fields), e.g. \"0 {expr}\""
            ));
        }
        if !(6..=7).contains(&fields) {
            return Err(format!(
                "invalid cron expression \"{expr}\": expected 6 or 7 fields \
                 (sec min hour day month weekday [year]), e.g. \"0 0 6 * * *\""
            ));
        }
        for (field, (name, lo, hi)) in expr.split_whitespace().zip(FIELDS) {
            check_field(field, name, lo, hi)
                .map_err(|why| format!("invalid cron expression \"{expr}\": {why}"))?;
        }
        let schedule = ::cron::Schedule::from_str(expr).map_err(|_| {
            format!(
                "invalid cron expression \"{expr}\": each field takes a number, a range (1-5), a list (1,3), a step (*/15) or *, in the order sec min hour day month weekday [year], e.g. \"0 30 6 * * *\""
            )
        })?;
        if schedule.upcoming(chrono::Utc).next().is_none() {
            return Err(format!(
                "cron expression \"{expr}\" never fires again: check the year field"
            ));
        }
        Ok(Cron {
            expr: expr.to_string(),
            schedule,
        })
    }

    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The first firing strictly after `t`, in `t`'s time zone.
    pub fn next_after<Z: TimeZone>(&self, t: &DateTime<Z>) -> Option<DateTime<Z>> {
        self.schedule.after(t).next()
    }

    /// The last firing at or before `t` and after `since`, if any: used to run once at start a
    /// schedule missed during downtime.
    pub fn missed_between<Z: TimeZone>(
        &self,
        since: &DateTime<Z>,
        t: &DateTime<Z>,
    ) -> Option<DateTime<Z>> {
        self.schedule.after(since).take_while(|f| f <= t).last()
    }
}

impl std::fmt::Display for Cron {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expr)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn field_ranges_are_named_in_our_words() {
        let e = Cron::parse("60 0 6 * * *").unwrap_err();
        assert!(
            e.contains("the seconds field is 60; it takes 0 to 59"),
            "{e}"
        );
        let e = Cron::parse("0 0 24 * * *").unwrap_err();
        assert!(e.contains("the hours field is 24; it takes 0 to 23"), "{e}");
        let e = Cron::parse("0 */0 * * * *").unwrap_err();
        assert!(e.contains("step \"/0\""), "{e}");
        let e = Cron::parse("0 0 6 * * xyz").unwrap_err();
        assert!(e.contains("each field takes a number"), "{e}");
        assert!(!e.to_lowercase().contains("must be less than"), "{e}");
        assert!(Cron::parse("0 30 6 * * MON-FRI").is_ok());
        assert!(Cron::parse("0 0 */2 1-31 1,6,12 *").is_ok());
    }
    use super::*;
    use chrono_tz::Asia::Shanghai;

    #[test]
    fn fires_in_the_configured_time_zone() {
        let cron = Cron::parse("0 0 6 * * *").unwrap();
        // 2026-11-29 23:00 UTC is 07:00 on the 30th in Shanghai: the next 06:00 there is Dec 1st.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 29, 23, 0, 0)
            .unwrap()
            .with_timezone(&Shanghai);
        let next = cron.next_after(&now).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-12-01T06:00:00+08:00");
        assert_eq!(
            next.with_timezone(&chrono::Utc).to_rfc3339(),
            "2026-11-30T22:00:00+00:00"
        );
    }

    #[test]
    fn weekly_on_monday() {
        let cron = Cron::parse("0 0 8 * * Mon").unwrap();
        let sunday = Shanghai.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        assert_eq!(
            cron.next_after(&sunday).unwrap().to_rfc3339(),
            "2026-11-30T08:00:00+08:00"
        );
    }

    #[test]
    fn missed_runs_are_found() {
        let cron = Cron::parse("0 30 7 * * *").unwrap();
        let down = Shanghai.with_ymd_and_hms(2026, 11, 28, 20, 0, 0).unwrap();
        let up = Shanghai.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        assert_eq!(
            cron.missed_between(&down, &up).unwrap().to_rfc3339(),
            "2026-11-29T07:30:00+08:00"
        );
        let up_early = Shanghai.with_ymd_and_hms(2026, 11, 29, 7, 0, 0).unwrap();
        assert!(cron.missed_between(&down, &up_early).is_none());
    }

    #[test]
    fn bad_expressions_explain_themselves() {
        let five = Cron::parse("0 6 * * *").unwrap_err();
        assert!(five.contains("seconds field"), "{five}");
        assert!(five.contains("\"0 0 6 * * *\""), "{five}");
        assert!(
            Cron::parse("0 0 25 * * *")
                .unwrap_err()
                .contains("invalid cron")
        );
        assert!(
            Cron::parse("daily")
                .unwrap_err()
                .contains("expected 6 or 7 fields")
        );
        assert!(
            Cron::parse("0 0 0 1 1 * 2001")
                .unwrap_err()
                .contains("never fires")
        );
    }
}
