//! Markdown rendering of the report data (for chat tools and plain-text readers).

use std::fmt::Write as _;

use crate::data::{Daily, Figure, HealthRow, Story, TaggedItem, Term, Weekly};

/// Makes text safe inside a Markdown table cell or link text.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('\n', " ")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
}

fn link(title: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        format!(
            "[{}]({})",
            cell(title),
            url.replace(')', "%29").replace(' ', "%20")
        )
    } else {
        cell(title)
    }
}

fn fig(f: &Figure) -> String {
    format!("{}（上期 {}，{}）", f.value, f.previous, f.change_label())
}

fn tagged(o: &mut String, title: &str, items: &[TaggedItem]) {
    let _ = writeln!(o, "\n### {title}（{} 篇）\n", items.len());
    if items.is_empty() {
        o.push_str("本期未发现。\n");
        return;
    }
    for i in items {
        let _ = writeln!(
            o,
            "- {}{} — {}，{}，得分 {:.2}\n  > 依据：{}",
            link(&i.title, &i.url),
            if i.reposts > 0 {
                format!("（另有 {} 篇转载）", i.reposts)
            } else {
                String::new()
            },
            cell(&i.unit_name),
            i.date,
            i.score,
            cell(&i.evidence)
        );
    }
}

fn stories(o: &mut String, stories: &[Story]) {
    if stories.is_empty() {
        o.push_str("本期没有被多家转载的报道。\n");
        return;
    }
    o.push_str(
        "| 报道 | 篇数 | 单位数 | 首发单位 | 首发时间 |\n| --- | ---: | ---: | --- | --- |\n",
    );
    for s in stories {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            link(&s.title, &s.url),
            s.size,
            s.outlets,
            cell(&s.first_unit_name),
            s.first_published
        );
    }
}

fn terms(o: &mut String, title: &str, terms: &[Term]) {
    let list: Vec<String> = terms
        .iter()
        .map(|t| format!("{} {}", cell(&t.term), t.count))
        .collect();
    let _ = writeln!(
        o,
        "- {title}：{}",
        if list.is_empty() {
            "无".into()
        } else {
            list.join("、")
        }
    );
}

fn health(o: &mut String, rows: &[HealthRow]) {
    if rows.is_empty() {
        o.push_str("所有来源采集正常。\n");
        return;
    }
    o.push_str("| 来源 | 单位 | 问题 | 说明 |\n| --- | --- | --- | --- |\n");
    for h in rows {
        let _ = writeln!(
            o,
            "| {} ({}) | {} | {} | {} |",
            cell(&h.name),
            h.source,
            cell(&h.unit_name),
            h.problem,
            cell(&h.detail)
        );
    }
}

pub fn weekly(r: &Weekly) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# {}\n\n监测时段：{} 至 {}；生成时间：{}\n",
        cell(&r.title),
        r.from,
        r.to,
        r.generated_at
    );
    o.push_str("## 核心指标\n\n");
    let _ = writeln!(o, "- 监测文章：{}", fig(&r.articles));
    let _ = writeln!(
        o,
        "- 有发布的单位：{} / {}",
        fig(&r.active_units),
        r.units_total
    );
    let _ = writeln!(o, "- 典型人物：{}", fig(&r.typical_person));
    let _ = writeln!(o, "- 典型事件：{}", fig(&r.typical_event));
    let _ = writeln!(o, "- 典型案例：{}", fig(&r.typical_case));
    let _ = writeln!(o, "- 多家刊发的报道：{}", fig(&r.shared_stories));
    o.push_str("\n## 每日文章数\n\n| 日期 | 文章 |\n| --- | ---: |\n");
    for d in &r.daily {
        let _ = writeln!(o, "| {} | {} |", d.label, d.count);
    }
    o.push_str("\n## 各类单位发文\n\n| 类型 | 本周 | 上周 |\n| --- | ---: | ---: |\n");
    for k in &r.by_kind {
        let _ = writeln!(o, "| {} | {} | {} |", k.kind, k.count, k.previous);
    }
    o.push_str("\n## 专题\n\n| 专题 | 本周 | 上周 |\n| --- | ---: | ---: |\n");
    for t in &r.topics {
        let _ = writeln!(o, "| {} | {} | {} |", cell(&t.name), t.count, t.previous);
    }
    o.push_str("\n## 单位考核表\n\n| 单位 | 类型 | 文章 | 上周 |");
    for t in &r.topic_names {
        let _ = write!(o, " {} |", cell(&t.name));
    }
    o.push_str(" 典型人 | 典型事 | 典型案例 | 原创 | 转载 | 首发报道 | 最近发布 |\n| --- | --- | ---: | ---: |");
    for _ in &r.topic_names {
        o.push_str(" ---: |");
    }
    o.push_str(" ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for u in &r.scoreboard {
        let _ = write!(
            o,
            "| {}{} | {} | {} | {} |",
            cell(&u.name),
            if u.silent { " ⚠本周无发布" } else { "" },
            u.kind,
            u.articles,
            u.articles_previous
        );
        for n in &u.topics {
            let _ = write!(o, " {n} |");
        }
        let _ = writeln!(
            o,
            " {} | {} | {} | {} | {} | {} | {} |",
            u.typical_person,
            u.typical_event,
            u.typical_case,
            u.original,
            u.republished,
            u.first_published,
            u.last_published.as_deref().unwrap_or("—")
        );
    }
    o.push_str("\n## 典型人物、典型事件、典型案例\n");
    tagged(&mut o, "典型人物", &r.typical.person);
    tagged(&mut o, "典型事件", &r.typical.event);
    tagged(&mut o, "典型案例", &r.typical.case);
    o.push_str("\n## 传播最广的报道\n\n");
    stories(&mut o, &r.top_stories);
    o.push_str("\n## 关键词\n\n");
    terms(&mut o, "本周高频词", &r.keywords);
    terms(&mut o, "上升词（对比前四周）", &r.rising);
    o.push_str("\n## 采集状况\n\n");
    health(&mut o, &r.health);
    o
}

pub fn daily(r: &Daily) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n\n生成时间：{}\n", cell(&r.title), r.generated_at);
    let _ = writeln!(o, "- 新增文章：{}", fig(&r.articles));
    let _ = writeln!(
        o,
        "- 典型人物 {} 篇，典型事件 {} 篇，典型案例 {} 篇",
        r.typical.person.len(),
        r.typical.event.len(),
        r.typical.case.len()
    );
    for u in &r.undelivered {
        let _ = writeln!(o, "- ⚠ 未送达：{}", cell(u));
    }
    if !r.alerts.is_empty() {
        o.push_str("\n## 当日预警\n\n| 时间 | 类别 | 预警 | 发送 |\n| --- | --- | --- | --- |\n");
        for a in &r.alerts {
            let _ = writeln!(
                o,
                "| {} | {} | {}{} | {} |",
                a.time,
                cell(&a.kind),
                if a.failed { "⚠ " } else { "" },
                cell(&a.title),
                cell(&a.deliveries.join("；"))
            );
        }
    }
    o.push_str("\n## 各单位新增\n\n| 单位 | 文章 |\n| --- | ---: |\n");
    for u in &r.by_unit {
        let _ = writeln!(o, "| {} | {} |", cell(&u.name), u.count);
    }
    o.push_str("\n## 各来源新增\n\n| 来源 | 文章 |\n| --- | ---: |\n");
    for s in &r.by_source {
        let _ = writeln!(o, "| {} ({}) | {} |", cell(&s.name), s.source, s.count);
    }
    o.push_str("\n## 典型人物、典型事件、典型案例\n");
    tagged(&mut o, "典型人物", &r.typical.person);
    tagged(&mut o, "典型事件", &r.typical.event);
    tagged(&mut o, "典型案例", &r.typical.case);
    o.push_str("\n## 多家刊发的报道\n\n");
    stories(&mut o, &r.stories);
    o.push_str("\n## 专题\n\n");
    for t in &r.topics {
        let _ = writeln!(
            o,
            "- {}：{}（前一日 {}）",
            cell(&t.name),
            t.count,
            t.previous
        );
    }
    o.push_str("\n## 采集状况\n\n");
    health(&mut o, &r.health);
    o
}
