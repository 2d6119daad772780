//! The HTML of the pages. No scripts: forms and links carry everything, so a search is a URL
//! that can be bookmarked and shared. Every piece of scraped text goes through [`esc`].

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::http::StatusCode;

use crate::{AppState, ArticleView, Found, SearchParams};

use yuqing_model::html::escape as esc;

/// Only http(s) links are clickable.
fn href(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        esc(url)
    } else {
        "#".into()
    }
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1d2733;background:#f4f5f7;line-height:1.6}
header{background:#a3231b;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
header a{color:#fff;text-decoration:none;opacity:.9}header a.brand{font-weight:bold;font-size:18px;opacity:1}
main{max-width:1180px;margin:0 auto;padding:18px 24px}
.search{display:flex;gap:8px;margin-bottom:10px}
.search input[type=text]{flex:1;font-size:17px;padding:8px 12px;border:1px solid #c9ced6;border-radius:6px}
button,.btn{background:#c8372d;color:#fff;border:0;border-radius:6px;padding:8px 16px;font-size:15px;cursor:pointer;text-decoration:none;display:inline-block}
.btn.light{background:#fff;color:#a3231b;border:1px solid #e3b4b0}
.layout{display:grid;grid-template-columns:250px 1fr;gap:18px}
aside{background:#fff;border:1px solid #e3e7ee;border-radius:8px;padding:12px;font-size:13px;align-self:start}
aside h4{margin:12px 0 4px;font-size:13px;color:#555}
aside label{display:block}
aside select,aside input{width:100%;padding:4px;margin:2px 0 6px;font-size:13px}
.facet a{display:flex;justify-content:space-between;color:#1d2733;text-decoration:none;padding:1px 4px;border-radius:4px}
.facet a:hover{background:#f0f2f5}.facet a.on{background:#fde3e0;color:#a3231b}
.facet .n{color:#6b7685}
.meta{color:#6b7685;font-size:13px}
.hit{background:#fff;border:1px solid #e3e7ee;border-radius:8px;padding:12px 16px;margin-bottom:10px}
.hit h3{margin:0 0 4px;font-size:17px}.hit h3 a{color:#1a4f8b;text-decoration:none}
.snippet{font-size:14px;color:#333}.snippet b,mark{background:#fff1a8;color:inherit;font-weight:normal;padding:0 1px}
.badge{display:inline-block;font-size:12px;padding:0 8px;border-radius:10px;margin-left:6px;background:#eef1f5;color:#333;white-space:nowrap}
.badge.typical_person{background:#fde3e0;color:#a3231b}.badge.typical_event{background:#e2efff;color:#1a4f8b}.badge.typical_case{background:#fff0d6;color:#8a5300}
.badge.deleted{background:#333;color:#fff}.badge.edited{background:#eee;color:#555}
.pages{display:flex;gap:6px;flex-wrap:wrap;margin:14px 0}.pages a,.pages span{padding:4px 10px;border:1px solid #d5dae1;border-radius:4px;background:#fff;text-decoration:none;color:#1d2733}.pages span.cur{background:#c8372d;color:#fff;border-color:#c8372d}
.bar{display:flex;justify-content:space-between;align-items:center;margin:6px 0 12px}
.panel{background:#fff;border:1px solid #e3e7ee;border-radius:8px;padding:14px 18px;margin-bottom:14px}
.body p{margin:0 0 10px}
mark.cue{background:#ffd9d4}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e3e7ee;padding:5px 6px;text-align:left;vertical-align:top}th{background:#f0f2f5}
td.n{text-align:right}
.diff del{background:#fde3e0;text-decoration:line-through}.diff ins{background:#dff5e1;text-decoration:none}
iframe{width:100%;height:520px;border:1px solid #d5dae1;border-radius:6px;background:#fff}
.err{background:#fff6f5;border:1px solid #f1c4bf;color:#a3231b;padding:10px 14px;border-radius:6px}
form.inline{display:inline}
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · 舆情监测</title><style>{STYLE}</style></head><body><header><a class=\"brand\" href=\"/\">舆情监测</a><a href=\"/\">检索</a><a href=\"/review\">待复核</a><a href=\"/reports\">报告</a><a href=\"/sources\">来源状态</a><a href=\"/alerts\">预警</a></header><main>{body}</main></body></html>\n",
        esc(title)
    )
}

pub fn error_page(status: StatusCode, message: &str) -> String {
    page(
        "出错了",
        &format!(
            "<div class=\"err\"><b>{}</b> {}</div><p><a href=\"/\">返回检索</a></p>",
            status.as_u16(),
            esc(message)
        ),
    )
}

fn tag_label(t: &str) -> &str {
    match t {
        "typical_person" => "典型人物",
        "typical_event" => "典型事件",
        "typical_case" => "典型案例",
        other => other,
    }
}

fn facet_block(
    s: &AppState,
    p: &SearchParams,
    f: &Found,
    key: &'static str,
    title: &str,
    current: &str,
) -> String {
    let Some(values) = f.facets.get(key) else {
        return String::new();
    };
    if values.is_empty() && current.is_empty() {
        return String::new();
    }
    let mut o = format!("<h4>{}</h4><div class=\"facet\">", esc(title));
    for (value, n) in values {
        let on = value == current;
        let mut q = p.clone();
        let slot = match key {
            "unit" => &mut q.unit,
            "kind" => &mut q.kind,
            "source" => &mut q.source,
            "tag" => &mut q.tag,
            _ => &mut q.topic,
        };
        *slot = if on { String::new() } else { value.clone() };
        let name = match key {
            "unit" => s.unit_name(value).to_string(),
            "source" => s.source_name(value).to_string(),
            "tag" => tag_label(value).to_string(),
            "topic" => s
                .topics
                .iter()
                .find(|(id, _)| id == value)
                .map_or(value.clone(), |(_, n)| n.clone()),
            _ => value.clone(),
        };
        let _ = write!(
            o,
            "<a class=\"{}\" href=\"/?{}\"><span>{}</span><span class=\"n\">{n}</span></a>",
            if on { "on" } else { "" },
            esc(&q.query_string(None)),
            esc(&name)
        );
    }
    o.push_str("</div>");
    o
}

fn select(name: &str, current: &str, options: &[(String, String)]) -> String {
    let mut o = format!("<select name=\"{name}\"><option value=\"\">全部</option>");
    for (v, label) in options {
        let _ = write!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            esc(v),
            if v == current { " selected" } else { "" },
            esc(label)
        );
    }
    o.push_str("</select>");
    o
}

pub fn search(s: &AppState, p: &SearchParams, page_no: usize, f: &Found) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<form method=\"get\" action=\"/\"><div class=\"search\"><input type=\"text\" name=\"q\" value=\"{}\" placeholder=\"检索：词语、\u{201c}短语\u{201d}、AND / OR / NOT、title:、unit:、tag:典型人物 …\" autofocus><button type=\"submit\">检索</button></div><div class=\"layout\"><aside>",
        esc(&p.q)
    );
    let mut units: Vec<(String, String)> = s
        .units
        .iter()
        .map(|(id, (n, _))| (id.clone(), n.clone()))
        .collect();
    units.sort();
    let mut sources: Vec<(String, String)> = s
        .sources
        .iter()
        .map(|(id, (n, _))| (id.clone(), n.clone()))
        .collect();
    sources.sort();
    let kinds: Vec<(String, String)> = ["机关", "全国学会", "地方科协", "媒体", "其他"]
        .iter()
        .map(|k| (k.to_string(), k.to_string()))
        .collect();
    let tags: Vec<(String, String)> = ["typical_person", "typical_event", "typical_case"]
        .iter()
        .map(|t| (t.to_string(), tag_label(t).to_string()))
        .collect();
    let _ = write!(
        o,
        "<label>起始日期<input type=\"date\" name=\"from\" value=\"{}\"></label><label>截止日期<input type=\"date\" name=\"to\" value=\"{}\"></label><label>单位{}</label><label>单位类型{}</label><label>来源{}</label><label>典型标签{}</label><label>专题{}</label><label>排序<select name=\"sort\"><option value=\"relevance\"{}>相关度</option><option value=\"newest\"{}>最新</option></select></label><label><input type=\"checkbox\" name=\"all\" value=\"1\"{} style=\"width:auto\"> 显示全部转载</label><button type=\"submit\">筛选</button>",
        esc(&p.from),
        esc(&p.to),
        select("unit", &p.unit, &units),
        select("kind", &p.kind, &kinds),
        select("source", &p.source, &sources),
        select("tag", &p.tag, &tags),
        select("topic", &p.topic, &s.topics),
        if p.sort != "newest" { " selected" } else { "" },
        if p.sort == "newest" { " selected" } else { "" },
        if p.all == "1" { " checked" } else { "" },
    );
    o.push_str(&facet_block(s, p, f, "tag", "典型标签", &p.tag));
    o.push_str(&facet_block(s, p, f, "kind", "单位类型", &p.kind));
    o.push_str(&facet_block(s, p, f, "unit", "单位", &p.unit));
    o.push_str(&facet_block(s, p, f, "topic", "专题", &p.topic));
    o.push_str(&facet_block(s, p, f, "source", "来源", &p.source));
    o.push_str("</aside><section>");
    let total = f.results.total;
    let qs = p.query_string(None);
    let _ = write!(
        o,
        "<div class=\"bar\"><div class=\"meta\">共 <b>{total}</b> 篇{}</div><div><a class=\"btn light\" href=\"/export.csv?{q}\">导出 Excel (CSV)</a> <a class=\"btn light\" href=\"/export.json?{q}\">导出 JSON</a></div></div>",
        if p.all == "1" {
            ""
        } else {
            "（同一报道合并显示）"
        },
        q = esc(&qs)
    );
    if f.results.hits.is_empty() {
        o.push_str(
            "<div class=\"panel\">没有找到匹配的文章。试试更短的词，或去掉一些筛选条件。</div>",
        );
    }
    for h in &f.results.hits {
        let reposts = f.reposts.get(&h.cluster).copied().unwrap_or(0);
        let tags: String = h
            .tags
            .iter()
            .map(|t| {
                format!(
                    "<span class=\"badge {}\">{}</span>",
                    esc(t),
                    esc(tag_label(t))
                )
            })
            .collect();
        let status = match h.status.as_str() {
            "deleted" => "<span class=\"badge deleted\">已删除</span>",
            "edited" => "<span class=\"badge edited\">有修改</span>",
            _ => "",
        };
        let _ = write!(
            o,
            "<div class=\"hit\"><h3><a href=\"/articles/{}\">{}</a>{tags}{status}{}</h3><div class=\"meta\">{} · {} · {}</div><div class=\"snippet\">{}</div></div>",
            h.id,
            esc(&h.title),
            if reposts > 0 {
                format!("<span class=\"badge\">转载 {reposts}</span>")
            } else {
                String::new()
            },
            esc(h
                .published_at
                .as_deref()
                .map_or("日期不详", |d| d.get(..16).unwrap_or(d))
                .replace('T', " ")
                .as_str()),
            esc(s.unit_name(&h.unit)),
            esc(s.source_name(&h.source)),
            // the index escapes the text and adds only <b> around matches
            h.snippet
        );
    }
    let pages = total.div_ceil(crate::PAGE_SIZE).min(500);
    if pages > 1 {
        o.push_str("<div class=\"pages\">");
        if page_no > 1 {
            let _ = write!(
                o,
                "<a href=\"/?{}\">上一页</a>",
                esc(&p.query_string(Some(page_no - 1)))
            );
        }
        let lo = page_no.saturating_sub(4).max(1);
        for n in lo..=(lo + 8).min(pages) {
            if n == page_no {
                let _ = write!(o, "<span class=\"cur\">{n}</span>");
            } else {
                let _ = write!(o, "<a href=\"/?{}\">{n}</a>", esc(&p.query_string(Some(n))));
            }
        }
        if page_no < pages {
            let _ = write!(
                o,
                "<a href=\"/?{}\">下一页</a>",
                esc(&p.query_string(Some(page_no + 1)))
            );
        }
        o.push_str("</div>");
    }
    o.push_str("</section></div></form>");
    page(if p.q.is_empty() { "检索" } else { &p.q }, &o)
}

/// The body with the evidence sentences and cue words marked.
fn marked_body(body: &str, sentences: &[String], cues: &[String]) -> String {
    let mut o = String::new();
    for para in body.lines().filter(|l| !l.trim().is_empty()) {
        let mut html = esc(para);
        for s in sentences.iter().filter(|s| !s.is_empty()) {
            let e = esc(s);
            if html.contains(&e) {
                html = html.replacen(&e, &format!("<mark>{e}</mark>"), 1);
            }
        }
        for c in cues.iter().filter(|c| c.chars().count() >= 2) {
            let e = esc(c);
            // cue words are plain Chinese words: no markup to break
            if !e.contains('&') {
                html = html.replace(&e, &format!("<mark class=\"cue\">{e}</mark>"));
            }
        }
        let _ = write!(o, "<p>{html}</p>");
    }
    o
}

/// Paragraph-level diff of two texts (longest common subsequence).
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().filter(|l| !l.trim().is_empty()).collect();
    let b: Vec<&str> = new.lines().filter(|l| !l.trim().is_empty()).collect();
    let (n, m) = (a.len().min(400), b.len().min(400));
    let mut lcs = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut o = String::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            let _ = write!(o, "<p>{}</p>", esc(a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = write!(o, "<p><ins>{}</ins></p>", esc(b[j]));
            j += 1;
        } else {
            let _ = write!(o, "<p><del>{}</del></p>", esc(a[i]));
            i += 1;
        }
    }
    o
}

pub fn article(s: &AppState, v: &ArticleView) -> String {
    let a = &v.article;
    let mut o = String::new();
    let status = match a.status.as_str() {
        "deleted" => format!(
            "<span class=\"badge deleted\">已被发布者删除 {}</span>",
            esc(a.deleted_at.as_deref().unwrap_or(""))
        ),
        "edited" => format!(
            "<span class=\"badge edited\">已修改（第 {} 版）</span>",
            a.version
        ),
        _ => String::new(),
    };
    let _ = write!(
        o,
        "<div class=\"panel\"><h2 style=\"margin:0 0 6px\">{}{status}</h2><div class=\"meta\">{} · {}（{}） · 来源 {} · 发布 {} · 抓取 {}{}{}</div><div class=\"meta\">原文 <a href=\"{}\" rel=\"noreferrer noopener\" target=\"_blank\">{}</a></div></div>",
        esc(&a.title),
        esc(s.unit_name(&a.unit)),
        esc(&a.unit_kind),
        esc(&a.unit),
        esc(s.source_name(&a.source)),
        esc(a.published_at.as_deref().unwrap_or("不详")),
        esc(a.fetched_at.get(..19).unwrap_or(&a.fetched_at)),
        a.author
            .as_deref()
            .map(|x| format!(" · 作者 {}", esc(x)))
            .unwrap_or_default(),
        a.origin
            .as_deref()
            .map(|x| format!(" · 来源标注 {}", esc(x)))
            .unwrap_or_default(),
        href(&a.url),
        esc(&a.url),
    );
    // tags, with the correction form
    o.push_str("<div class=\"panel\" id=\"tags\"><h3 style=\"margin-top:0\">典型标签</h3><table><tr><th>标签</th><th>得分</th><th>依据</th><th>更正</th></tr>");
    let mut sentences = Vec::new();
    let mut cues = Vec::new();
    for tag in ["typical_person", "typical_event", "typical_case"] {
        let t = a.tags.iter().find(|t| t.tag == tag);
        let (score, evidence) = match t {
            Some(t) => {
                let sentence = t
                    .evidence
                    .get("sentence")
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string();
                let c: Vec<String> = t
                    .evidence
                    .get("cues")
                    .and_then(|x| x.as_array())
                    .map(|arr| {
                        arr.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let shown = format!(
                    "{}{}",
                    esc(&sentence),
                    if c.is_empty() {
                        String::new()
                    } else {
                        format!("<div class=\"meta\">线索词：{}</div>", esc(&c.join("、")))
                    }
                );
                sentences.push(sentence);
                cues.extend(c);
                (format!("{:.2}", t.score), shown)
            }
            None => ("—".into(), "<span class=\"meta\">未标注</span>".into()),
        };
        let applies = t.is_none();
        let _ = write!(
            o,
            "<tr><td><span class=\"badge {tag}\">{}</span></td><td class=\"n\">{score}</td><td>{evidence}</td><td><form class=\"inline\" method=\"post\" action=\"/articles/{}/labels\"><input type=\"hidden\" name=\"tag\" value=\"{tag}\"><input type=\"hidden\" name=\"applies\" value=\"{}\"><input type=\"hidden\" name=\"form_token\" value=\"{}\"><button type=\"submit\" class=\"btn light\">{}</button></form></td></tr>",
            tag_label(tag),
            a.id,
            if applies { "1" } else { "0" },
            esc(&s.form_token),
            if applies {
                "标为此类"
            } else {
                "不是此类"
            }
        );
    }
    o.push_str("</table>");
    let _ = write!(
        o,
        "<div class=\"meta\" style=\"margin-top:8px\">标注模型：{}</div>",
        if a.model.is_empty() {
            "未记录（入库早于模型记录）".to_string()
        } else if a.model == "rules" {
            "人工规则 (rules)".to_string()
        } else {
            format!("<code>{}</code>", esc(&a.model))
        }
    );
    if !v.labels.is_empty() {
        o.push_str("<div class=\"meta\" style=\"margin-top:8px\">更正记录：");
        let parts: Vec<String> = v
            .labels
            .iter()
            .map(|l| {
                format!(
                    "{} {} {}（{}）",
                    esc(&l
                        .created_at
                        .get(..16)
                        .unwrap_or(&l.created_at)
                        .replace('T', " ")),
                    esc(&l.analyst),
                    if l.applies { "标为" } else { "去除" },
                    tag_label(&l.tag)
                )
            })
            .collect();
        o.push_str(&parts.join("；"));
        o.push_str("</div>");
    }
    o.push_str("</div>");
    if !a.topics.is_empty() || !a.keywords.is_empty() {
        let topics: Vec<String> = a
            .topics
            .iter()
            .map(|t| {
                esc(s
                    .topics
                    .iter()
                    .find(|(id, _)| id == t)
                    .map_or(t.as_str(), |(_, n)| n.as_str()))
            })
            .collect();
        let _ = write!(
            o,
            "<div class=\"panel\"><span class=\"meta\">专题</span> {}　<span class=\"meta\">关键词</span> {}</div>",
            topics.join("、"),
            esc(&a.keywords.join("、"))
        );
    }
    let _ = write!(
        o,
        "<div class=\"panel body\"><h3 style=\"margin-top:0\">正文</h3>{}</div>",
        marked_body(&a.body, &sentences, &cues)
    );
    // the story
    if v.cluster.members.len() > 1 {
        o.push_str("<div class=\"panel\"><h3 style=\"margin-top:0\">同一报道（首发与转载）</h3><table><tr><th></th><th>标题</th><th>单位</th><th>发布时间</th></tr>");
        for (i, m) in v.cluster.members.iter().enumerate() {
            let _ = write!(
                o,
                "<tr><td>{}</td><td><a href=\"/articles/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                if i == 0 { "首发" } else { "转载" },
                m.id,
                esc(&m.title),
                esc(s.unit_name(&m.unit)),
                esc(m.published_at.as_deref().unwrap_or("不详"))
            );
        }
        o.push_str("</table></div>");
    }
    // earlier versions
    if !v.versions.is_empty() {
        o.push_str("<div class=\"panel diff\"><h3 style=\"margin-top:0\">修改记录</h3>");
        let mut texts: Vec<(String, &str)> = v
            .versions
            .iter()
            .map(|x| {
                (
                    format!(
                        "第 {} 版（{}）",
                        x.version,
                        x.fetched_at.get(..16).unwrap_or(&x.fetched_at)
                    ),
                    x.body.as_str(),
                )
            })
            .collect();
        texts.push((format!("第 {} 版（当前）", a.version), a.body.as_str()));
        for w in texts.windows(2) {
            let _ = write!(
                o,
                "<h4>{} → {}</h4>{}",
                esc(&w[0].0),
                esc(&w[1].0),
                diff(w[0].1, w[1].1)
            );
        }
        o.push_str("</div>");
    }
    if a.raw_sha.is_some() {
        let _ = write!(
            o,
            "<div class=\"panel\"><h3 style=\"margin-top:0\">存档原页</h3><p class=\"meta\">抓取时的原始页面（已禁用脚本和外部资源）。</p><iframe sandbox src=\"/articles/{}/raw\" title=\"存档原页\"></iframe></div>",
            a.id
        );
    }
    page(&a.title, &o)
}

/// The review queue (待复核): articles whose score for a tag lies near the threshold, newest
/// first, each with its evidence and one-click confirm / reject.
pub fn review(s: &AppState, items: &[yuqing_store::Article]) -> String {
    let mut o = String::from(
        "<div class=\"panel\"><h2 style=\"margin-top:0\">待复核</h2><div class=\"meta\">模型把握不大的文章：某一典型标签的得分接近阈值。确认或否定一次，记为分析员更正（与 <code>yuqing label</code> 相同），下次 <code>yuqing train</code> 会学习它。</div></div>",
    );
    if items.is_empty() {
        o.push_str("<div class=\"panel\">没有待复核的文章。</div>");
    }
    for a in items {
        let Some(r) = &a.review else { continue };
        let tagged = a.tags.iter().any(|t| t.tag == r.tag);
        let sentence = r
            .evidence
            .get("sentence")
            .and_then(|x| x.as_str())
            .unwrap_or("");
        let list = |key: &str| -> String {
            r.evidence
                .get(key)
                .and_then(|x| x.as_array())
                .map(|arr| {
                    arr.iter()
                        .filter_map(|x| x.as_str())
                        .take(8)
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default()
        };
        let mut found = Vec::new();
        for (key, name) in [
            ("cues", "线索词"),
            ("people", "人物"),
            ("orgs", "机构"),
            ("places", "地点"),
        ] {
            let v = list(key);
            if !v.is_empty() {
                found.push(format!("{name}：{}", esc(&v)));
            }
        }
        let button = |applies: bool, label: &str| {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/articles/{}/labels\"><input type=\"hidden\" name=\"tag\" value=\"{}\"><input type=\"hidden\" name=\"applies\" value=\"{}\"><input type=\"hidden\" name=\"form_token\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"review\"><button type=\"submit\" class=\"btn{}\">{label}</button></form>",
                a.id,
                esc(&r.tag),
                if applies { "1" } else { "0" },
                esc(&s.form_token),
                if applies { "" } else { " light" }
            )
        };
        let _ = write!(
            o,
            "<div class=\"hit\" id=\"a{id}\"><h3><a href=\"/articles/{id}\">{title}</a><span class=\"badge {tag}\">{label}</span></h3><div class=\"meta\">{unit} · {when} · 得分 {score:.2}，阈值 {threshold:.2}（{now}）</div><div class=\"snippet\">{sentence}</div><div class=\"meta\">{found}</div><div style=\"margin-top:6px\">{yes} {no}</div></div>",
            id = a.id,
            title = esc(&a.title),
            tag = esc(&r.tag),
            label = tag_label(&r.tag),
            unit = esc(s.unit_name(&a.unit)),
            when = esc(a.published_at.as_deref().unwrap_or("不详")),
            score = r.score,
            threshold = r.threshold,
            now = if tagged { "已标注" } else { "未标注" },
            sentence = esc(sentence),
            found = found.join("　"),
            yes = button(true, &format!("确认是{}", tag_label(&r.tag))),
            no = button(false, &format!("不是{}", tag_label(&r.tag))),
        );
    }
    page("待复核", &o)
}

pub fn reports(_s: &AppState, runs: &[yuqing_store::ReportRun]) -> String {
    let mut o = String::from("<div class=\"panel\"><h2 style=\"margin-top:0\">报告</h2>");
    if runs.is_empty() {
        o.push_str("<p>还没有报告。运行 <code>yuqing report weekly</code> 或 <code>yuqing report daily</code> 生成。</p>");
    } else {
        o.push_str("<table><tr><th>类型</th><th>期次</th><th>生成时间</th><th>邮件</th><th>查看 / 下载</th></tr>");
        for r in runs {
            let kind = if r.kind == "weekly" {
                "周报"
            } else {
                "日报"
            };
            let mail = match (&r.sent_at, &r.send_error) {
                (Some(t), _) => format!("已发送 {}", esc(t.get(..16).unwrap_or(t))),
                (None, Some(e)) => {
                    format!("<span style=\"color:#a3231b\">未送达：{}</span>", esc(e))
                }
                _ => "—".into(),
            };
            let id = esc(&r.period);
            let k = esc(&r.kind);
            let _ = write!(
                o,
                "<tr><td>{kind}</td><td>{id}</td><td>{}</td><td>{mail}</td><td><a href=\"/reports/{k}/{id}.html\">查看</a> · <a href=\"/reports/{k}/{id}.html?download=1\">HTML</a> · <a href=\"/reports/{k}/{id}.md?download=1\">Markdown</a> · <a href=\"/reports/{k}/{id}.json?download=1\">JSON</a></td></tr>",
                esc(r.created_at.get(..16).unwrap_or(&r.created_at))
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</div>");
    page("报告", &o)
}

pub fn sources(
    s: &AppState,
    health: &[yuqing_store::SourceHealth],
    times: &HashMap<String, Vec<i64>>,
) -> String {
    let mut o = String::from(
        "<div class=\"panel\"><h2 style=\"margin-top:0\">来源状态</h2><table><tr><th>来源</th><th>单位</th><th>最近状态</th><th>最近成功</th><th>连续失败</th><th>累计</th><th>最近错误</th></tr>",
    );
    let mut ids: Vec<&String> = s.sources.keys().collect();
    ids.sort();
    let by: HashMap<&str, &yuqing_store::SourceHealth> =
        health.iter().map(|h| (h.source.as_str(), h)).collect();
    for id in ids {
        let h = by.get(id.as_str());
        let counts = h
            .map(|h| {
                h.counts
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default();
        let failing = h.is_some_and(|h| h.consecutive_failures > 0);
        let _ = write!(
            o,
            "<tr{}><td>{}<div class=\"meta\">{}</div></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"meta\">{}</td><td class=\"meta\">{}</td></tr>",
            if failing {
                " style=\"background:#fff6f5\""
            } else {
                ""
            },
            esc(s.source_name(id)),
            esc(id),
            esc(s.sources.get(id.as_str()).map_or("", |x| s.unit_name(&x.1))),
            esc(h.and_then(|h| h.last_status.as_deref()).unwrap_or("未抓取")),
            esc(h
                .and_then(|h| h.last_success.as_deref())
                .map_or("—", |t| t.get(..16).unwrap_or(t))),
            h.map_or(0, |h| h.consecutive_failures),
            esc(&counts),
            esc(h.and_then(|h| h.last_error.as_deref()).unwrap_or(""))
        );
    }
    o.push_str("</table></div>");
    // per-unit publication counts, week by week
    let now = chrono::Utc::now().timestamp();
    let mut per_unit: HashMap<String, [i64; 8]> = HashMap::new();
    for (source, ts) in times {
        let unit = s
            .sources
            .get(source)
            .map_or_else(|| source.clone(), |x| x.1.clone());
        let row = per_unit.entry(unit).or_insert([0; 8]);
        for t in ts {
            let week = ((now - t) / (7 * 86400)).clamp(0, 7) as usize;
            row[7 - week] += 1;
        }
    }
    o.push_str("<div class=\"panel\"><h3 style=\"margin-top:0\">近八周各单位发文数</h3><table><tr><th>单位</th>");
    for w in (0..8).rev() {
        let _ = write!(
            o,
            "<th class=\"n\">{}</th>",
            if w == 0 {
                "近7天".to_string()
            } else {
                format!("{}–{}周前", w, w + 1)
            }
        );
    }
    o.push_str("</tr>");
    let mut rows: Vec<(&String, &[i64; 8])> = per_unit.iter().collect();
    rows.sort_by(|a, b| {
        b.1.iter()
            .sum::<i64>()
            .cmp(&a.1.iter().sum::<i64>())
            .then(a.0.cmp(b.0))
    });
    for (id, counts) in rows {
        let _ = write!(o, "<tr><td>{}</td>", esc(s.unit_name(id)));
        for c in counts {
            let _ = write!(o, "<td class=\"n\">{c}</td>");
        }
        o.push_str("</tr>");
    }
    o.push_str("</table></div>");
    page("来源状态", &o)
}

pub fn csv(s: &AppState, f: &Found) -> String {
    use yuqing_model::csv::field;
    let mut out = String::from(
        "\u{feff}编号,标题,单位,来源,发布时间,典型标签,专题,转载数,状态,链接,摘要\r\n",
    );
    for h in &f.results.hits {
        let snippet = h
            .snippet
            .replace("<b>", "")
            .replace("</b>", "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        let row = [
            h.id.to_string(),
            h.title.clone(),
            s.unit_name(&h.unit).to_string(),
            s.source_name(&h.source).to_string(),
            h.published_at.clone().unwrap_or_default(),
            h.tags
                .iter()
                .map(|t| tag_label(t))
                .collect::<Vec<_>>()
                .join("、"),
            h.topics.join("、"),
            f.reposts.get(&h.cluster).copied().unwrap_or(0).to_string(),
            h.status.clone(),
            h.url.clone(),
            snippet,
        ];
        out.push_str(&row.iter().map(|x| field(x)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// What a rule watches, in words.
fn rule_condition(s: &AppState, r: &yuqing_model::AlertRule) -> String {
    use yuqing_model::{AlertKind, Watch};
    let watch = match &r.watch {
        Some(Watch::Topic(id)) => {
            let name = s
                .topics
                .iter()
                .find(|(t, _)| t == id)
                .map_or(id.as_str(), |(_, n)| n.as_str());
            format!("专题「{name}」")
        }
        Some(Watch::Query(q)) => format!("检索式「{q}」"),
        None => String::new(),
    };
    let score = if r.min_score > 0.0 {
        format!("，得分 ≥ {:.2}", r.min_score)
    } else {
        String::new()
    };
    match r.kind {
        AlertKind::Typical => {
            let tags: Vec<&str> = r.tags.iter().map(|t| t.label()).collect();
            format!("新出现的{}{score}", tags.join("、"))
        }
        AlertKind::Topic => format!("{watch}的新报道{score}"),
        AlertKind::Spike => format!(
            "{watch}近{}小时篇数 > 前{}天同时段均值 + {:.1}×标准差，且 ≥ {} 篇",
            r.window_hours, r.baseline_days, r.sigma, r.min_count
        ),
        AlertKind::Silent => format!("{} 天没有新文章的单位", r.silent_days),
    }
}

/// `/alerts`: the rules, each channel's last delivery, and the alerts of the last seven days.
pub fn alerts(
    s: &AppState,
    recent: &[yuqing_store::StoredAlert],
    last: &[yuqing_store::Delivery],
) -> String {
    use yuqing_store::DeliveryStatus;
    let mut o = String::from("<div class=\"panel\"><h2 style=\"margin-top:0\">预警规则</h2>");
    if s.alert_rules.is_empty() {
        o.push_str("<p class=\"meta\">尚未配置预警规则：在 sources.toml 中加入 [[channel]] 和 [[alert]]（见 README「预警」一节）。</p>");
    } else {
        o.push_str("<table><tr><th>规则</th><th>类别</th><th>条件</th><th>单位</th><th>通道</th><th>免打扰</th></tr>");
        for r in &s.alert_rules {
            let units = if r.units.is_empty() {
                "全部单位".to_string()
            } else {
                r.units
                    .iter()
                    .map(|u| s.unit_name(u))
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                esc(r.kind.label()),
                esc(&rule_condition(s, r)),
                esc(&units),
                esc(&r.channels.join("、")),
                esc(&r
                    .quiet_hours
                    .map_or_else(|| "—".to_string(), |q| q.to_string()))
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</div><div class=\"panel\"><h3 style=\"margin-top:0\">通道</h3>");
    if s.channels.is_empty() {
        o.push_str("<p class=\"meta\">尚未配置通道。</p>");
    } else {
        o.push_str("<table><tr><th>通道</th><th>平台</th><th>最近一次发送</th><th>结果</th><th>错误</th></tr>");
        for c in &s.channels {
            let d = last.iter().find(|d| d.channel == c.id);
            let failed = d.is_some_and(|d| d.status == DeliveryStatus::Failed);
            let _ = write!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"meta\">{}</td></tr>",
                if failed {
                    " style=\"background:#fff6f5\""
                } else {
                    ""
                },
                esc(&c.id),
                esc(c.kind.label()),
                esc(d.map_or("—", |d| d.at.get(..16).unwrap_or(&d.at))),
                esc(d.map_or("未发送过", |d| d.status.label())),
                esc(d.and_then(|d| d.error.as_deref()).unwrap_or(""))
            );
        }
        o.push_str("</table>");
    }
    let failures = recent
        .iter()
        .filter(|a| {
            a.deliveries
                .iter()
                .any(|d| d.status == DeliveryStatus::Failed)
        })
        .count();
    let _ = write!(
        o,
        "</div><div class=\"panel\"><h3 style=\"margin-top:0\">近7天预警（{} 条，{} 条有发送失败）</h3>",
        recent.len(),
        failures
    );
    if recent.is_empty() {
        o.push_str("<p class=\"meta\">近7天没有预警。</p>");
    } else {
        o.push_str("<table><tr><th>触发时间</th><th>类别</th><th>预警</th><th>发送</th></tr>");
        for a in recent {
            let kind =
                yuqing_model::AlertKind::parse(&a.kind).map_or(a.kind.as_str(), |k| k.label());
            let article = a.payload["items"][0]["article_id"].as_i64();
            let title = match article {
                Some(id) => format!("<a href=\"/articles/{id}\">{}</a>", esc(&a.title)),
                None => esc(&a.title).to_string(),
            };
            let summary = a.payload["summary"].as_str().unwrap_or("");
            let mut channels: Vec<&str> = a.deliveries.iter().map(|d| d.channel.as_str()).collect();
            channels.sort_unstable();
            channels.dedup();
            let mut sent = String::new();
            let mut failed = false;
            for ch in channels {
                if let Some(d) = a.deliveries.iter().rfind(|d| d.channel == ch) {
                    failed |= d.status == DeliveryStatus::Failed;
                    let _ = write!(
                        sent,
                        "<div>{} {}{}</div>",
                        esc(ch),
                        esc(d.status.label()),
                        d.error
                            .as_deref()
                            .map(|e| format!("<span class=\"meta\">：{}</span>", esc(e)))
                            .unwrap_or_default()
                    );
                }
            }
            let _ = write!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{title}{}</td><td>{}</td></tr>",
                if failed {
                    " style=\"background:#fff6f5\""
                } else {
                    ""
                },
                esc(a.fired_at.get(..16).unwrap_or(&a.fired_at)),
                esc(kind),
                if summary.is_empty() {
                    String::new()
                } else {
                    format!("<div class=\"meta\">{}</div>", esc(summary))
                },
                if sent.is_empty() {
                    "未发送".to_string()
                } else {
                    sent
                }
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</div>");
    page("预警", &o)
}
