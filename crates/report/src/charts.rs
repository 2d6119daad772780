//! Bar charts as SVG with Chinese labels: embedded in the HTML report, and rasterised to PNG for
//! the e-mail (mail clients show neither SVG nor scripts).

use crate::html::escape;

/// The fonts the charts ask for; the rasteriser resolves them from the system's fonts.
pub const FONT_FAMILY: &str = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif";

const W: f64 = 640.0;
const H: f64 = 260.0;

/// Vertical bars with a label under each and the value above.
pub fn columns(title: &str, bars: &[(String, i64)]) -> String {
    let (left, right, top, bottom) = (40.0, 16.0, 40.0, 44.0);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = (W - left - right) / n;
    let bar_w = (slot * 0.6).min(60.0);
    let plot_h = H - top - bottom;
    let mut s = header(title);
    // grid: four lines with their values
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        s.push_str(&format!(
            r##"<line x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#e3e7ee" stroke-width="1"/><text x="{tx}" y="{ty:.1}" font-size="11" fill="#6b7685" text-anchor="end">{v:.0}</text>"##,
            x2 = W - right,
            tx = left - 6.0,
            ty = y + 4.0,
        ));
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let h = plot_h * (*v as f64) / max;
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = top + plot_h - h;
        s.push_str(&format!(
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="#c8372d" rx="2"/><text x="{cx:.1}" y="{vy:.1}" font-size="12" fill="#222" text-anchor="middle">{v}</text><text x="{cx:.1}" y="{ly:.1}" font-size="12" fill="#333" text-anchor="middle">{label}</text>"##,
            cx = x + bar_w / 2.0,
            vy = y - 5.0,
            ly = H - bottom + 18.0,
            label = escape(label),
        ));
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars with the label on the left: this week against last week.
pub fn rows(title: &str, bars: &[(String, i64, i64)]) -> String {
    let (left, right, top) = (90.0, 60.0, 40.0);
    let n = bars.len().max(1) as f64;
    let row_h = ((H - top - 28.0) / n).min(40.0);
    let max = bars.iter().map(|b| b.1.max(b.2)).max().unwrap_or(0).max(1) as f64;
    let span = W - left - right;
    let mut s = header(title);
    for (i, (label, now, before)) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w_now = span * (*now as f64) / max;
        let w_before = span * (*before as f64) / max;
        s.push_str(&format!(
            r##"<text x="{lx}" y="{ty:.1}" font-size="13" fill="#333" text-anchor="end">{label}</text><rect x="{left}" y="{y1:.1}" width="{w_now:.1}" height="{bh:.1}" fill="#c8372d" rx="2"/><rect x="{left}" y="{y2:.1}" width="{w_before:.1}" height="{bh2:.1}" fill="#c9ced6" rx="1"/><text x="{vx:.1}" y="{ty:.1}" font-size="12" fill="#222">{now}</text>"##,
            lx = left - 8.0,
            ty = y + row_h * 0.45,
            y1 = y + row_h * 0.1,
            bh = row_h * 0.45,
            y2 = y + row_h * 0.6,
            bh2 = row_h * 0.2,
            vx = left + w_now.max(w_before) + 6.0,
            label = escape(label),
        ));
    }
    s.push_str(&format!(
        r##"<rect x="{left}" y="{ly}" width="12" height="8" fill="#c8372d"/><text x="{t1}" y="{ty}" font-size="11" fill="#555">本周</text><rect x="{x2}" y="{ly}" width="12" height="4" fill="#c9ced6"/><text x="{t2}" y="{ty}" font-size="11" fill="#555">上周</text>"##,
        ly = H - 16.0,
        ty = H - 8.0,
        t1 = left + 16.0,
        x2 = left + 60.0,
        t2 = left + 76.0,
    ));
    s.push_str("</svg>");
    s
}

fn header(title: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="{FONT_FAMILY}" role="img" aria-label="{t}"><rect width="{W}" height="{H}" fill="#ffffff"/><text x="16" y="24" font-size="15" font-weight="bold" fill="#1d2733">{t}</text>"##,
        t = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_well_formed_and_escape_labels() {
        let svg = columns("每日文章数", &[("11-23 周一".into(), 5), ("<b>".into(), 0)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("11-23 周一") && svg.contains("&lt;b&gt;"));
        let svg = rows("按单位类型", &[("机关".into(), 3, 4)]);
        assert!(svg.contains("机关") && svg.contains("本周"));
    }
}
