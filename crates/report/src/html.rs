//! HTML rendering of the report data: one self-contained file (inline CSS, charts as inline SVG,
//! a small script to sort the scoreboard) or the e-mail body (charts as `cid:` images, no script).
//! Every piece of text from the data is escaped.

use std::fmt::Write as _;

use crate::charts;
use crate::data::{Daily, Figure, HealthRow, Story, TaggedItem, Term, Weekly};

pub use yuqing_model::html::escape;

/// Only http(s) links are made clickable.
fn href(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        escape(url)
    } else {
        "#".into()
    }
}

/// How charts are embedded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The report file: inline SVG, sortable tables.
    File,
    /// The e-mail: `<img src="cid:…">`, no script.
    Mail,
}

/// The charts of a weekly report: `(content id, title, svg)`.
pub fn weekly_charts(r: &Weekly) -> Vec<(String, String, String)> {
    let daily: Vec<(String, i64)> = r.daily.iter().map(|d| (d.label.clone(), d.count)).collect();
    let kinds: Vec<(String, i64, i64)> = r
        .by_kind
        .iter()
        .map(|k| (k.kind.clone(), k.count, k.previous))
        .collect();
    vec![
        (
            "chart-daily".into(),
            "每日文章数".into(),
            charts::columns("每日文章数", &daily),
        ),
        (
            "chart-kinds".into(),
            "各类单位发文数".into(),
            charts::rows("各类单位发文数（本周 / 上周）", &kinds),
        ),
    ]
}

const STYLE: &str = r#"
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1d2733;margin:0;background:#f4f5f7;line-height:1.55}
.page{max-width:980px;margin:0 auto;background:#fff;padding:28px 36px}
h1{font-size:24px;margin:0 0 4px;color:#a3231b}
h2{font-size:18px;border-left:4px solid #c8372d;padding-left:10px;margin:28px 0 12px}
h3{font-size:15px;margin:18px 0 8px}
.meta{color:#6b7685;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{flex:1 1 140px;border:1px solid #e3e7ee;border-radius:6px;padding:10px 12px}
.card .n{font-size:24px;font-weight:bold}
.card .l{font-size:13px;color:#555}
.up{color:#c8372d}.down{color:#2b7a3d}.flat{color:#6b7685}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e3e7ee;padding:5px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5;white-space:nowrap}
td.n,th.n{text-align:right}
table.sortable th{cursor:pointer}
tr.silent td{color:#a3231b;background:#fff6f5}
tr.warn td{background:#fff4e5}
.badge{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#fde3e0;color:#a3231b;margin-left:4px}
.ev{color:#555;font-size:12px;margin-top:2px}
.charts img,.charts svg{max-width:100%;height:auto;border:1px solid #e3e7ee;border-radius:6px;margin:4px 0}
a{color:#1a4f8b;text-decoration:none}
.small{font-size:12px;color:#6b7685}
@media print{body{background:#fff}.page{padding:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}.charts{break-inside:avoid}@page{size:A4;margin:14mm}}
"#;

const SORT_SCRIPT: &str = r#"<script>
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.title='点击排序';
    th.addEventListener('click',function(){
      var rows=Array.prototype.slice.call(t.tBodies[0].rows);
      var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
      rows.sort(function(a,b){
        var x=a.cells[i].dataset.v||a.cells[i].textContent,y=b.cells[i].dataset.v||b.cells[i].textContent;
        var nx=parseFloat(x),ny=parseFloat(y);
        var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y,'zh');
        return asc?c:-c;});
      rows.forEach(function(r){t.tBodies[0].appendChild(r);});
    });
  });
});
</script>"#;

fn page(title: &str, body: &str, target: Target) -> String {
    let script = if target == Target::File {
        SORT_SCRIPT
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head>\n<body><div class=\"page\">\n{body}</div>{script}</body></html>\n",
        escape(title)
    )
}

fn change(f: &Figure) -> String {
    let class = match f.change_pct() {
        Some(p) if p > 0.05 => "up",
        Some(p) if p < -0.05 => "down",
        _ => "flat",
    };
    format!(
        "<span class=\"{class}\">{}</span>",
        escape(&f.change_label())
    )
}

fn card(out: &mut String, label: &str, f: &Figure, extra: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"l\">{}</div><div class=\"n\">{}{}</div><div class=\"small\">上期 {} · {}</div></div>",
        escape(label),
        f.value,
        escape(extra),
        f.previous,
        change(f)
    );
}

fn charts(out: &mut String, charts: &[(String, String, String)], target: Target) {
    out.push_str("<div class=\"charts\">");
    for (cid, title, svg) in charts {
        match target {
            Target::File => out.push_str(svg),
            Target::Mail => {
                let _ = write!(
                    out,
                    "<img src=\"cid:{cid}\" alt=\"{}\" width=\"640\">",
                    escape(title)
                );
            }
        }
    }
    out.push_str("</div>");
}

fn tagged_list(out: &mut String, title: &str, items: &[TaggedItem]) {
    let _ = write!(out, "<h3>{}（{} 篇）</h3>", escape(title), items.len());
    if items.is_empty() {
        out.push_str("<p class=\"small\">本期未发现。</p>");
        return;
    }
    out.push_str("<table><thead><tr><th>标题</th><th>单位</th><th>时间</th><th class=\"n\">得分</th></tr></thead><tbody>");
    for i in items {
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a>{}<div class=\"ev\">依据：{}{}</div></td><td>{}</td><td>{}</td><td class=\"n\">{:.2}</td></tr>",
            href(&i.url),
            escape(&i.title),
            if i.reposts > 0 {
                format!("<span class=\"badge\">另有 {} 篇转载</span>", i.reposts)
            } else {
                String::new()
            },
            escape(&i.evidence),
            if i.cues.is_empty() {
                String::new()
            } else {
                format!("（线索词：{}）", escape(&i.cues.join("、")))
            },
            escape(&i.unit_name),
            escape(&i.date),
            i.score
        );
    }
    out.push_str("</tbody></table>");
}

fn stories(out: &mut String, stories: &[Story]) {
    if stories.is_empty() {
        out.push_str("<p class=\"small\">本期没有被多家转载的报道。</p>");
        return;
    }
    out.push_str("<table><thead><tr><th>报道</th><th class=\"n\">篇数</th><th class=\"n\">单位数</th><th>首发单位</th><th>首发时间</th></tr></thead><tbody>");
    for s in stories {
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            href(&s.url),
            escape(&s.title),
            s.size,
            s.outlets,
            escape(&s.first_unit_name),
            escape(&s.first_published)
        );
    }
    out.push_str("</tbody></table>");
}

fn terms(out: &mut String, title: &str, terms: &[Term]) {
    let _ = write!(out, "<h3>{}</h3>", escape(title));
    if terms.is_empty() {
        out.push_str("<p class=\"small\">无。</p>");
        return;
    }
    out.push_str("<p>");
    let parts: Vec<String> = terms
        .iter()
        .map(|t| {
            format!(
                "{} <span class=\"small\">{}（前四周周均 {}）</span>",
                escape(&t.term),
                t.count,
                t.previous_avg
            )
        })
        .collect();
    out.push_str(&parts.join("　"));
    out.push_str("</p>");
}

fn problem_label(p: &str) -> &'static str {
    match p {
        "failing" => "抓取失败",
        "blocked" => "被网站拦截",
        "silent" => "长期无更新",
        "never-scanned" => "从未抓取",
        _ => "需关注",
    }
}

fn health(out: &mut String, rows: &[HealthRow]) {
    if rows.is_empty() {
        out.push_str("<p>所有来源采集正常。</p>");
        return;
    }
    out.push_str("<table><thead><tr><th>来源</th><th>单位</th><th>问题</th><th>最近成功</th><th>最近发布</th><th>说明</th></tr></thead><tbody>");
    for h in rows {
        let _ = write!(
            out,
            "<tr><td>{}<div class=\"small\">{}</div></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&h.name),
            escape(&h.source),
            escape(&h.unit_name),
            problem_label(&h.problem),
            escape(
                h.last_success
                    .as_deref()
                    .map(|s| s.get(..16).unwrap_or(s))
                    .unwrap_or("—")
            ),
            escape(h.last_published.as_deref().unwrap_or("—")),
            escape(&h.detail)
        );
    }
    out.push_str("</tbody></table>");
}

/// The weekly report as HTML.
pub fn weekly(r: &Weekly, target: Target) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>{}</h1><div class=\"meta\">监测时段：{} 至 {}　·　生成时间：{}</div>",
        escape(&r.title),
        escape(&r.from),
        escape(&r.to),
        escape(&r.generated_at)
    );
    o.push_str("<h2>核心指标</h2><div class=\"cards\">");
    card(&mut o, "监测文章", &r.articles, " 篇");
    card(
        &mut o,
        "有发布的单位",
        &r.active_units,
        &format!(" / {}", r.units_total),
    );
    card(&mut o, "典型人物", &r.typical_person, "");
    card(&mut o, "典型事件", &r.typical_event, "");
    card(&mut o, "典型案例", &r.typical_case, "");
    card(&mut o, "多家刊发的报道", &r.shared_stories, "");
    o.push_str("</div>");
    o.push_str("<h2>发文趋势</h2>");
    charts(&mut o, &weekly_charts(r), target);
    o.push_str("<h2>专题</h2>");
    if r.topics.is_empty() {
        o.push_str("<p class=\"small\">未配置监测专题。</p>");
    } else {
        o.push_str("<table><thead><tr><th>专题</th><th class=\"n\">本周</th><th class=\"n\">上周</th><th class=\"n\">变化</th></tr></thead><tbody>");
        for t in &r.topics {
            let f = Figure {
                value: t.count,
                previous: t.previous,
            };
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&t.name),
                t.count,
                t.previous,
                change(&f)
            );
        }
        o.push_str("</tbody></table>");
    }
    let silent = r.scoreboard.iter().filter(|u| u.silent).count();
    let _ = write!(
        o,
        "<h2>单位考核表</h2><p class=\"small\">共 {} 个单位，本周 {} 个无发布（标红）。{}</p>",
        r.scoreboard.len(),
        silent,
        if target == Target::File {
            "点击表头可排序。"
        } else {
            ""
        }
    );
    o.push_str("<table class=\"sortable\"><thead><tr><th>单位</th><th>类型</th><th class=\"n\">文章</th><th class=\"n\">上周</th>");
    for t in &r.topic_names {
        let _ = write!(o, "<th class=\"n\">{}</th>", escape(&t.name));
    }
    o.push_str("<th class=\"n\">典型人</th><th class=\"n\">典型事</th><th class=\"n\">典型案例</th><th class=\"n\">原创</th><th class=\"n\">转载</th><th class=\"n\">首发报道</th><th>最近发布</th></tr></thead><tbody>");
    for u in &r.scoreboard {
        let _ = write!(
            o,
            "<tr{}><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            if u.silent { " class=\"silent\"" } else { "" },
            escape(&u.name),
            if u.silent {
                "<span class=\"badge\">本周无发布</span>"
            } else {
                ""
            },
            escape(&u.kind),
            u.articles,
            u.articles_previous
        );
        for n in &u.topics {
            let _ = write!(o, "<td class=\"n\">{n}</td>");
        }
        let _ = write!(
            o,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            u.typical_person,
            u.typical_event,
            u.typical_case,
            u.original,
            u.republished,
            u.first_published,
            escape(u.last_published.as_deref().unwrap_or("—"))
        );
    }
    o.push_str("</tbody></table>");
    o.push_str("<h2>典型人物、典型事件、典型案例</h2>");
    tagged_list(&mut o, "典型人物", &r.typical.person);
    tagged_list(&mut o, "典型事件", &r.typical.event);
    tagged_list(&mut o, "典型案例", &r.typical.case);
    o.push_str("<h2>传播最广的报道</h2>");
    stories(&mut o, &r.top_stories);
    o.push_str("<h2>关键词</h2>");
    terms(&mut o, "本周高频词", &r.keywords);
    terms(&mut o, "上升词（对比前四周）", &r.rising);
    o.push_str("<h2>采集状况</h2>");
    health(&mut o, &r.health);
    o.push_str("<p class=\"small\">本报告由 yuqing 舆情监测系统自动生成；“典型”标注由模型给出并附依据，请以原文为准。</p>");
    page(&r.title, &o, target)
}

/// The daily brief as HTML.
pub fn daily(r: &Daily) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>{}</h1><div class=\"meta\">生成时间：{}</div><h2>概况</h2><div class=\"cards\">",
        escape(&r.title),
        escape(&r.generated_at)
    );
    card(&mut o, "新增文章", &r.articles, " 篇");
    card(
        &mut o,
        "典型人物",
        &Figure {
            value: r.typical.person.len() as i64,
            previous: 0,
        },
        "",
    );
    card(
        &mut o,
        "典型事件",
        &Figure {
            value: r.typical.event.len() as i64,
            previous: 0,
        },
        "",
    );
    card(
        &mut o,
        "典型案例",
        &Figure {
            value: r.typical.case.len() as i64,
            previous: 0,
        },
        "",
    );
    o.push_str("</div>");
    if !r.undelivered.is_empty() {
        o.push_str("<h2>未送达的报告邮件</h2><ul>");
        for u in &r.undelivered {
            let _ = write!(o, "<li>{}</li>", escape(u));
        }
        o.push_str("</ul>");
    }
    if !r.alerts.is_empty() {
        o.push_str("<h2>当日预警</h2><table><thead><tr><th>时间</th><th>类别</th><th>预警</th><th>发送</th></tr></thead><tbody>");
        for a in &r.alerts {
            let _ = write!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if a.failed { " class=\"warn\"" } else { "" },
                escape(&a.time),
                escape(&a.kind),
                escape(&a.title),
                escape(&a.deliveries.join("；"))
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("<h2>各单位新增</h2><table><thead><tr><th>单位</th><th class=\"n\">文章</th></tr></thead><tbody>");
    for u in &r.by_unit {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&u.name),
            u.count
        );
    }
    o.push_str("</tbody></table><h2>各来源新增</h2><table><thead><tr><th>来源</th><th class=\"n\">文章</th></tr></thead><tbody>");
    for s in &r.by_source {
        let _ = write!(
            o,
            "<tr><td>{}<span class=\"small\"> {}</span></td><td class=\"n\">{}</td></tr>",
            escape(&s.name),
            escape(&s.source),
            s.count
        );
    }
    o.push_str("</tbody></table><h2>典型人物、典型事件、典型案例</h2>");
    tagged_list(&mut o, "典型人物", &r.typical.person);
    tagged_list(&mut o, "典型事件", &r.typical.event);
    tagged_list(&mut o, "典型案例", &r.typical.case);
    o.push_str("<h2>多家刊发的报道</h2>");
    stories(&mut o, &r.stories);
    o.push_str("<h2>专题</h2><table><thead><tr><th>专题</th><th class=\"n\">当日</th><th class=\"n\">前一日</th></tr></thead><tbody>");
    for t in &r.topics {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&t.name),
            t.count,
            t.previous
        );
    }
    o.push_str("</tbody></table><h2>采集状况：失败或长期无更新的来源</h2>");
    health(&mut o, &r.health);
    page(&r.title, &o, Target::File)
}
