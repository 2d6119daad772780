//! Structural signals: measurements that carry the distinctions TAGS.md draws, rather than its
//! vocabulary.
//!
//! - *Who the subject is*: a named person in the headline or leading the text, one name
//!   dominating the text, third-person narration, honours, long service, a life story.
//! - *Whether named cases are presented in detail*: distinct named officials with what they did,
//!   numbered cases, enumerated points — against a commentary that only refers to a 通报.
//! - *Whether a unit's concrete practice is described*: a named place or organisation in the
//!   headline, measures taken and results reported.
//! - *Whether a specific happening is reported*: a date in the lead, completed-action verbs,
//!   activity nouns — against plans and notices (将于, 报名), routine meetings and leaders'
//!   diplomacy.
//!
//! Each pattern family is counted in the headline, in the lead (first [`LEAD_CHARS`]
//! characters) and across the text (per thousand characters), giving features named
//! `<family>_title`, `<family>_lead` and `<family>_body`.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use yuqing_text::Word;

use crate::features::Name;

/// The lead: the first this many characters of the text.
pub const LEAD_CHARS: usize = 200;

/// The pattern families, in feature order.
const FAMILIES: [(&str, &str); 15] = [
    // honours and titles given to people
    (
        "honour",
        r"荣获|获评|被评为|评为|授予|称号|奖章|勋章|荣誉|先进个人|劳动模范|道德模范|最美|楷模|标兵|英雄|功臣|感动中国|全国优秀|劳模|五四奖|三八红旗手|先进事迹|榜样",
    ),
    // long service and steadfastness
    (
        "service",
        r"[0-9一二三四五六七八九十几数]+(?:多|余)?年(?:来|如一日|间|里|坚守|扎根)|一辈子|半辈子|如一日|扎根|坚守|默默|一干就是|始终如一",
    ),
    // a life told as a story
    (
        "life",
        r"出生|生于|今年[0-9一二三四五六七八九十]+岁|[0-9一二三四五六七八九十]+岁(?:时|那年)|从小|小时候|退休|毕业后|入党|参军|回到家乡|返乡|他说|她说|他告诉记者|她告诉记者|他回忆|她回忆|他的|她的",
    ),
    // measures a unit took
    (
        "measure",
        r"建立|推行|探索|实施|打造|创新|完善|构建|出台|健全|设立|搭建|引入|组建|推出|聚焦|着力|统筹|整合|优化|机制|模式|举措|做法|路径|试点|改革",
    ),
    // results reported
    (
        "result",
        r"同比|增长|提升|提高|下降|减少|实现|达到|累计|覆盖|惠及|带动|成效|个百分点|万元|亿元|万人|户均|人均",
    ),
    // enumerated points and cases
    (
        "enumerated",
        r"一是|二是|三是|四是|（一）|（二）|（三）|案例一|案例二|第一个|第二个",
    ),
    // violations of discipline and law
    (
        "discipline",
        r"违纪|违法|受贿|行贿|开除党籍|立案审查|审查调查|党纪处分|政务处分|严重违反|违反中央八项规定|收受|挪用|贪污|侵占|滥用职权|处分|问责|失职|渎职",
    ),
    // a happening that took place
    (
        "happened",
        r"举行|举办|召开|开幕|闭幕|启动|落幕|揭晓|颁发|颁奖|开展|成功|首次|首个|首台|首架|建成|通车|投产|开通|授予|隆重|圆满|亮相|发射|突破|创下|刷新|夺得|获得",
    ),
    // plans, calls and notices: not yet happened
    (
        "future",
        r"将于|将在|即将|拟于|拟在|报名|征集|截止|欢迎.{0,6}参加|敬请|计划于|预计于|定于|将举办|将举行|将召开|的通知|报名时间|参赛要求|申报",
    ),
    // routine meetings, inspections and tours
    (
        "routine",
        r"会议强调|会议指出|会议要求|会议认为|会议决定|主持召开|常务会议|研究部署|出席并讲话|出席会议|调研|考察|座谈会|工作会议|专题会议|集体学习|全体会议|听取.{0,10}汇报|传达学习",
    ),
    // leaders' diplomacy
    (
        "diplomacy",
        r"会见|会谈|通电话|致电|致信|贺电|贺信|复信|回信|互致|签署.{0,8}声明|国事访问",
    ),
    // activity nouns
    (
        "activity",
        r"活动|仪式|典礼|大会|论坛|展览|博览会|大赛|比赛|竞赛|晚会|宣讲|报告会|志愿服务|演出|文化节|艺术节|运动会|开幕式|发布会|赛事|赛",
    ),
    // a named kind of unit
    (
        "unit",
        r"县|市|区|镇|村|乡|街道|社区|法院|检察院|学校|大学|学院|医院|公司|集团|企业|银行|支部|党委|合作社|协会|学会|工厂|园区",
    ),
    // argument and exhortation
    (
        "opinion",
        r"要|必须|应当|应该|我们|只有|才能|务必|切实|不断|深刻|？",
    ),
    // typicality said outright (典型, 示范, 经验, 样板)
    ("exemplary", r"典型|示范|样板|标杆|经验|范例|案例|模范|先进"),
];

/// The families compiled for one pass over a text: every plain-literal alternative of every
/// family in one Aho-Corasick automaton, and each family's other alternatives (those with
/// classes, repetition or wildcards) as a small regex.
struct FamilyMatcher {
    literals: aho_corasick::AhoCorasick,
    /// The family of each literal pattern.
    family_of: Vec<usize>,
    rest: Vec<Option<Regex>>,
}

/// Splits a pattern at its top-level `|` (not inside parentheses or brackets).
fn top_level_alternatives(pattern: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut in_class, mut escaped) = (0i32, 0usize, false, false);
    for (i, c) in pattern.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            '|' if !in_class && depth == 0 => {
                out.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&pattern[start..]);
    out
}

fn is_plain_literal(alt: &str) -> bool {
    !alt.is_empty()
        && !alt.contains([
            '\\', '[', ']', '(', ')', '{', '}', '.', '*', '+', '?', '^', '$', '|',
        ])
}

static FAMILY_MATCHER: LazyLock<FamilyMatcher> = LazyLock::new(|| {
    let mut literals: Vec<&str> = Vec::new();
    let mut family_of = Vec::new();
    let mut rest = Vec::new();
    for (f, (_, pattern)) in FAMILIES.iter().enumerate() {
        let mut others: Vec<&str> = Vec::new();
        for alt in top_level_alternatives(pattern) {
            if is_plain_literal(alt) {
                literals.push(alt);
                family_of.push(f);
            } else {
                others.push(alt);
            }
        }
        rest.push(if others.is_empty() {
            None
        } else {
            Some(Regex::new(&others.join("|")).expect("valid family pattern"))
        });
    }
    FamilyMatcher {
        literals: aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&literals)
            .expect("family literals build"),
        family_of,
        rest,
    }
});

impl FamilyMatcher {
    /// Per family, the non-overlapping matches in `text` (leftmost, then longest), as
    /// (start, end) byte ranges.
    fn matches(&self, text: &str) -> [Vec<(usize, usize)>; FAMILIES.len()] {
        let mut found: [Vec<(usize, usize)>; FAMILIES.len()] = Default::default();
        for m in self.literals.find_overlapping_iter(text) {
            found[self.family_of[m.pattern().as_usize()]].push((m.start(), m.end()));
        }
        for (f, re) in self.rest.iter().enumerate() {
            if let Some(re) = re {
                found[f].extend(re.find_iter(text).map(|m| (m.start(), m.end())));
            }
        }
        for list in &mut found {
            list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let mut end = 0;
            let mut first = true;
            list.retain(|&(s, e)| {
                if first || s >= end {
                    first = false;
                    end = e;
                    true
                } else {
                    false
                }
            });
        }
        found
    }
}

static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9一二三四五六七八九十两]+(?:起|例)[^。；]{0,12}(?:典型|案例|问题)|[0-9一二三四五六七八九十两]+个典型").expect("valid regex")
});
static DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}日|[0-9]{1,2}日(?:上午|下午|晚|电)|近日|日前|昨天|今天")
        .expect("valid regex")
});
/// An official named with a former or current post (`原…书记`, `时任…局长`), as in
/// disciplinary releases.
static OFFICIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:原|时任|曾任)[^，。；、“”]{0,18}?(?:书记|局长|主任|县长|市长|镇长|乡长|处长|科长|厅长|院长|经理|董事长|校长|所长|站长|部长|区长|村长|主席|委员|干部|队长|行长)[^，。；]{0,2}?[\p{Han}]{1,2}(?:某某|某)?")
        .expect("valid regex")
});
/// Column markers and forms of commentary in a headline.
static COMMENT_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"（[^（）]*(?:评|论|观点|观察|手记|随笔|谈|说|思考|深思|新知|纵横|视点|观澜|锐评|潮声|和音|钟声|声)[^（）]*）|评论员|时评|社论|本报评论部|：.{0,4}要|论学习")
        .expect("valid regex")
});
/// A headline framed on a place or unit and what it does: `某县——…`, `某地：…`, `某地……`.
static FRAME_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^，。：——]{2,20}(?:——|：| {1,2})").expect("valid regex"));
/// A person-role noun in a headline.
static ROLE_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"老兵|教授|院士|医生|教师|老师|书记|村医|工匠|战士|志愿者|队长|站长|民警|警察|法官|检察官|护士|农民|科学家|工程师|船长|飞行员|运动员|冠军|党员|乡村医生|校长|艺术家|作家|画家|演员|英雄|少年|姑娘|小伙|老人|大爷|大妈|师傅|夫妇|母亲|父亲|守护者|追梦人|带头人|传承人|劳模|“.{2,6}”")
        .expect("valid regex")
});

/// The counts of one text region.
#[derive(Clone, Debug, Default, PartialEq)]
struct Region {
    counts: [usize; FAMILIES.len()],
}

impl Region {
    fn measure(text: &str) -> Region {
        let found = FAMILY_MATCHER.matches(text);
        Region {
            counts: found.map(|l| l.len()),
        }
    }

    /// The text's counts and those of its first `lead_end` bytes, from one pass.
    fn measure_with_lead(text: &str, lead_end: usize) -> (Region, Region) {
        let found = FAMILY_MATCHER.matches(text);
        let lead = Region {
            counts: found
                .each_ref()
                .map(|l| l.iter().filter(|(_, e)| *e <= lead_end).count()),
        };
        (
            Region {
                counts: found.map(|l| l.len()),
            },
            lead,
        )
    }
}

/// Structural measurements of an article, computed once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    title: Region,
    lead: Region,
    body: Region,
    body_chars: usize,
    title_names: usize,
    name_leads_title: bool,
    role_title: bool,
    comment_title: bool,
    frame_title: bool,
    unit_in_title: bool,
    lead_names: usize,
    top_name_mentions: usize,
    name_mentions: usize,
    distinct_names: usize,
    top_name_in_title: bool,
    pronouns: usize,
    quotes: usize,
    officials: usize,
    tongbao: bool,
    numbered_cases: bool,
    dated_title: bool,
    dated_lead: bool,
    lead_places: usize,
    lead_orgs: usize,
    places: usize,
    orgs: usize,
    digits: usize,
}

fn prefix_chars(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

impl Signals {
    pub fn measure(
        title: &str,
        body: &str,
        title_words: &[Word],
        body_words: &[Word],
        title_people: &[Name],
        body_people: &[Name],
    ) -> Signals {
        let lead = prefix_chars(body, LEAD_CHARS);
        let lead_end = lead.len();
        let mut name_counts: HashMap<&str, usize> = HashMap::new();
        let mut lead_names: Vec<&str> = Vec::new();
        for n in body_people {
            *name_counts.entry(n.text.as_str()).or_default() += 1;
            if n.end <= lead_end && !lead_names.contains(&n.text.as_str()) {
                lead_names.push(&n.text);
            }
        }
        let top = name_counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(n, c)| (*n, *c));
        let title_names: Vec<&str> = {
            let mut v: Vec<&str> = Vec::new();
            for n in title_people {
                if !v.contains(&n.text.as_str()) {
                    v.push(&n.text);
                }
            }
            v
        };
        // a name among the headline's first words, or a name followed by a colon or comma
        let fourth_word_end = title_words.get(3).map_or(usize::MAX, |w| w.end);
        let name_leads_title = title_people.iter().any(|n| {
            n.end <= fourth_word_end
                || title[n.end..]
                    .chars()
                    .next()
                    .is_some_and(|c| matches!(c, ':' | '：' | '，' | ','))
        });
        let distinct = |ws: &[Word], pred: fn(&Word) -> bool, end: usize| -> usize {
            let mut v: Vec<&str> = Vec::new();
            for w in ws.iter().filter(|w| w.end <= end && pred(w)) {
                if !v.contains(&w.text.as_str()) {
                    v.push(&w.text);
                }
            }
            v.len()
        };
        let mut officials: Vec<&str> = OFFICIAL.find_iter(body).map(|m| m.as_str()).collect();
        officials.sort_unstable();
        officials.dedup();
        let unit_in_title = title_words.iter().any(|w| w.is_place() || w.is_org());
        let (body_region, lead_region) = Region::measure_with_lead(body, lead_end);
        Signals {
            title: Region::measure(title),
            lead: lead_region,
            body: body_region,
            body_chars: body.chars().count(),
            title_names: title_names.len(),
            name_leads_title,
            role_title: ROLE_TITLE.is_match(title),
            comment_title: COMMENT_TITLE.is_match(title),
            frame_title: FRAME_TITLE.is_match(title),
            unit_in_title,
            lead_names: lead_names.len(),
            top_name_mentions: top.map_or(0, |t| t.1),
            name_mentions: name_counts.values().sum(),
            distinct_names: name_counts.len(),
            top_name_in_title: top.is_some_and(|(n, _)| title.contains(n)),
            pronouns: body_words
                .iter()
                .filter(|w| matches!(w.text.as_str(), "他" | "她" | "他们" | "她们"))
                .count(),
            quotes: body.matches('“').count(),
            officials: officials.len(),
            tongbao: body.contains("通报") || title.contains("通报"),
            numbered_cases: NUMBERED.is_match(title) || NUMBERED.is_match(body),
            dated_title: DAY.is_match(title),
            dated_lead: DAY.is_match(prefix_chars(body, 80)),
            lead_places: distinct(body_words, Word::is_place, lead_end),
            lead_orgs: distinct(body_words, Word::is_org, lead_end),
            places: distinct(body_words, Word::is_place, usize::MAX),
            orgs: distinct(body_words, Word::is_org, usize::MAX),
            digits: body.chars().filter(char::is_ascii_digit).count(),
        }
    }

    /// The named features; for a headline-only item only those of the headline.
    pub fn features(&self, headline_only: bool) -> Vec<(&'static str, f64)> {
        let b = |x: bool| f64::from(u8::from(x));
        let mut f: Vec<(&'static str, f64)> = Vec::with_capacity(80);
        const TITLE: [&str; 15] = family_names("_title");
        const LEAD: [&str; 15] = family_names("_lead");
        const BODY: [&str; 15] = family_names("_body");
        for (name, count) in TITLE.iter().zip(&self.title.counts) {
            f.push((name, (*count).min(2) as f64));
        }
        f.push(("title_names", self.title_names.min(2) as f64));
        f.push(("name_leads_title", b(self.name_leads_title)));
        f.push(("role_title", b(self.role_title)));
        f.push(("comment_title", b(self.comment_title)));
        f.push(("frame_title", b(self.frame_title)));
        f.push(("unit_in_title", b(self.unit_in_title)));
        f.push(("dated_title", b(self.dated_title)));
        f.push((
            "person_title",
            b(self.title_names > 0 && (self.role_title || self.title.counts[0] > 0)),
        ));
        f.push((
            "happening_title",
            b(self.title.counts[7] > 0 && self.title.counts[8] == 0),
        ));
        f.push(("headline_only", b(headline_only)));
        if headline_only {
            return f;
        }
        let per_k = 1000.0 / self.body_chars.max(200) as f64;
        for i in 0..FAMILIES.len() {
            f.push((LEAD[i], (self.lead.counts[i] as f64).ln_1p()));
            f.push((BODY[i], (self.body.counts[i] as f64 * per_k).ln_1p()));
        }
        let ln = |x: usize| (x as f64).ln_1p();
        f.push(("lead_names", self.lead_names.min(3) as f64));
        f.push(("top_name_mentions", ln(self.top_name_mentions)));
        let share = if self.name_mentions >= 3 {
            self.top_name_mentions as f64 / self.name_mentions as f64
        } else {
            0.0
        };
        f.push(("top_name_share", share));
        f.push(("distinct_names", ln(self.distinct_names)));
        f.push(("top_name_in_title", b(self.top_name_in_title)));
        let per_100 = 100.0 / self.body_chars.max(100) as f64;
        f.push((
            "pronoun_rate",
            (self.pronouns as f64 * per_100 / 2.0).min(1.5),
        ));
        f.push(("quote_rate", (self.quotes as f64 * per_k).ln_1p()));
        f.push(("officials", ln(self.officials)));
        f.push((
            "tongbao_only",
            b(self.tongbao && self.officials < 2 && !self.numbered_cases),
        ));
        f.push(("numbered_cases", b(self.numbered_cases)));
        f.push(("dated_lead", b(self.dated_lead)));
        f.push(("lead_places", ln(self.lead_places)));
        f.push(("lead_orgs", ln(self.lead_orgs)));
        f.push(("places", ln(self.places)));
        f.push(("orgs", ln(self.orgs)));
        f.push(("digit_rate", (self.digits as f64 * per_k).ln_1p() / 3.0));
        f.push(("body_len", (self.body_chars as f64).ln_1p() / 8.0));
        // combinations a linear model cannot form by itself
        let story = self.top_name_mentions >= 3
            && (self.pronouns > 0 || self.body.counts[1] > 0 || self.body.counts[2] > 0);
        f.push(("person_story", b(story)));
        f.push((
            "person_story_titled",
            b(story && (self.top_name_in_title || self.role_title)),
        ));
        let practice = (self.unit_in_title || self.frame_title || self.lead_places > 0)
            && self.body.counts[3] > 0
            && self.body.counts[4] > 0;
        f.push(("practice", b(practice)));
        f.push((
            "practice_measured",
            if practice {
                ((self.body.counts[3] + self.body.counts[4]) as f64 * per_k).ln_1p()
            } else {
                0.0
            },
        ));
        let happened = self.title.counts[7] + self.lead.counts[7] > 0;
        // a plan in the headline, or in the lead of a text whose headline reports nothing done
        let planned =
            self.title.counts[8] > 0 || (self.lead.counts[8] > 0 && self.title.counts[7] == 0);
        f.push((
            "happening",
            b((self.dated_lead || self.dated_title) && happened && !planned),
        ));
        f.push(("planned", b(planned)));
        f.push((
            "routine_meeting",
            b(
                self.title.counts[9] + self.lead.counts[9] + self.title.counts[10] > 0
                    && self.title.counts[11] == 0,
            ),
        ));
        f.push((
            "cases_in_detail",
            b(self.officials >= 2 || self.numbered_cases || self.body.counts[5] >= 2),
        ));
        f
    }
}

/// `<family><suffix>` for every family, at compile time.
const fn family_names(suffix: &'static str) -> [&'static str; 15] {
    match suffix.as_bytes() {
        b"_title" => [
            "honour_title",
            "service_title",
            "life_title",
            "measure_title",
            "result_title",
            "enumerated_title",
            "discipline_title",
            "happened_title",
            "future_title",
            "routine_title",
            "diplomacy_title",
            "activity_title",
            "unit_title",
            "opinion_title",
            "exemplary_title",
        ],
        b"_lead" => [
            "honour_lead",
            "service_lead",
            "life_lead",
            "measure_lead",
            "result_lead",
            "enumerated_lead",
            "discipline_lead",
            "happened_lead",
            "future_lead",
            "routine_lead",
            "diplomacy_lead",
            "activity_lead",
            "unit_lead",
            "opinion_lead",
            "exemplary_lead",
        ],
        _ => [
            "honour_body",
            "service_body",
            "life_body",
            "measure_body",
            "result_body",
            "enumerated_body",
            "discipline_body",
            "happened_body",
            "future_body",
            "routine_body",
            "diplomacy_body",
            "activity_body",
            "unit_body",
            "opinion_body",
            "exemplary_body",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_counts_like_a_regex_per_family() {
        let text = "近日，某县推行网格化管理机制，一年来群众满意度同比提高，获评全国先进个人，他说扎根乡村三十年来始终如一。今年58岁的他被授予劳动模范称号。听取了工作汇报。欢迎广大市民参加。";
        let found = FAMILY_MATCHER.matches(text);
        for (f, (name, pattern)) in FAMILIES.iter().enumerate() {
            let want = Regex::new(pattern).unwrap().find_iter(text).count();
            assert_eq!(found[f].len(), want, "{name}: {:?}", found[f]);
        }
        assert_eq!(
            top_level_alternatives("a|b(?:c|d)|[x|y]|e"),
            ["a", "b(?:c|d)", "[x|y]", "e"]
        );
    }

    #[test]
    fn family_names_follow_the_families() {
        for (i, (name, _)) in FAMILIES.iter().enumerate() {
            assert_eq!(family_names("_title")[i], format!("{name}_title"));
            assert_eq!(family_names("_lead")[i], format!("{name}_lead"));
            assert_eq!(family_names("_body")[i], format!("{name}_body"));
        }
    }

    #[test]
    fn officials_are_counted_once_each() {
        let body = "某市原副市长张某某违规收受礼品。某县原县长李某某违规吃喝。某市原副市长张某某再次被提及。";
        let s = Signals::measure("通报", body, &[], &[], &[], &[]);
        assert_eq!(s.officials, 2);
        assert!(s.tongbao);
    }

    #[test]
    fn plans_are_not_happenings() {
        let s = Signals::measure(
            "第五届科普讲解大赛将于10月举办",
            "大赛将于10月在北京举行，报名截止9月30日。",
            &[],
            &[],
            &[],
            &[],
        );
        let f: HashMap<&str, f64> = s.features(false).into_iter().collect();
        assert_eq!(f["planned"], 1.0);
        assert_eq!(f["happening"], 0.0);
    }

    /// The features of a title and text segmented by the real analyzer.
    fn features_of(title: &str, body: &str) -> HashMap<&'static str, f64> {
        let c = crate::Classifier::new(
            yuqing_text::Analyzer::builtin(),
            &crate::Lexicons::builtin(),
            crate::Model::rules(),
            Vec::new(),
        )
        .unwrap();
        let a = c.analyze(title, body);
        a.signals.features(a.headline_only()).into_iter().collect()
    }

    #[test]
    fn a_profile_without_cue_words_has_a_person_as_its_subject() {
        // no 先进, 榜样, 楷模 or 典型 anywhere
        let f = features_of(
            "陈海生：岛上的赤脚医生",
            "清晨五点，陈海生背起药箱出了门。东礁村散落在六座小岛上，陈海生每天要坐船跑三个岛。他从父亲手里接过药箱时只有二十岁，如今已经五十八岁。陈海生说，村里老人多，离不开医生。台风天，他守在卫生室里，为受伤的渔民包扎。村民们说，陈海生在，大家心里就踏实。",
        );
        assert_eq!(f["name_leads_title"], 1.0, "{f:?}");
        assert_eq!(f["person_story"], 1.0, "{f:?}");
        assert_eq!(f["person_story_titled"], 1.0, "{f:?}");
        assert!(f["top_name_mentions"] > 1.0, "{f:?}");
        assert!(f["pronoun_rate"] > 0.0, "{f:?}");
        assert_eq!(f["exemplary_body"], 0.0, "no cue word was needed");
    }

    #[test]
    fn a_commentary_that_only_cites_a_tongbao_presents_no_cases() {
        let f = features_of(
            "让通报的警示作用真正发挥出来",
            "近期，各地纪委监委陆续通报了一批违反中央八项规定精神问题。通报不是终点，要让警示教育入脑入心。我们必须认识到，作风建设永远在路上，各级党组织要切实扛起主体责任，以案为鉴，举一反三。",
        );
        assert_eq!(f["tongbao_only"], 1.0, "{f:?}");
        assert_eq!(f["cases_in_detail"], 0.0, "{f:?}");
        assert_eq!(f["numbered_cases"], 0.0, "{f:?}");
        assert!(f["opinion_body"] > 0.0, "{f:?}");
        // the same 通报 with its cases set out is a different article
        let g = features_of(
            "市纪委监委通报三起违反中央八项规定精神问题",
            "近日，市纪委监委通报三起违反中央八项规定精神问题。一、某区原副区长王某某违规收受礼品礼金问题。二、某局原局长刘某某违规公款吃喝问题。三、某镇原党委书记陈某某违规操办婚宴问题。",
        );
        assert_eq!(g["tongbao_only"], 0.0, "{g:?}");
        assert_eq!(g["cases_in_detail"], 1.0, "{g:?}");
    }

    #[test]
    fn a_county_practice_write_up_is_a_practice_without_saying_experience() {
        // a named county, what it did, what came of it; no 典型, 案例 or 经验
        let f = features_of(
            "青山县：村级议事会让群众的事群众商量着办",
            "青山县在全县二百一十个村推行村级议事会制度，村里修路、分红等大事由议事会商量决定，县里建立议事结果公开机制。一年来，全县村级矛盾纠纷同比下降三成，群众满意度提高到百分之九十五，带动集体经济收入增长两成。",
        );
        assert_eq!(f["practice"], 1.0, "{f:?}");
        assert!(f["practice_measured"] > 0.0, "{f:?}");
        assert!(f["measure_body"] > 0.0 && f["result_body"] > 0.0, "{f:?}");
        assert_eq!(f["exemplary_body"], 0.0, "{f:?}");
        assert_eq!(f["planned"], 0.0, "{f:?}");
    }

    #[test]
    fn a_contest_notice_is_planned_not_a_happening() {
        let f = features_of(
            "关于举办第三届全省青少年科普讲解大赛的通知",
            "各市科协：为激发青少年爱科学、学科学的热情，省科协定于2026年10月举办第三届全省青少年科普讲解大赛。请各单位于9月30日前报名，参赛要求见附件。",
        );
        assert_eq!(f["planned"], 1.0, "{f:?}");
        assert_eq!(f["happening"], 0.0, "{f:?}");
        assert!(f["future_title"] > 0.0, "{f:?}");
        // the same contest once it took place
        let g = features_of(
            "第三届全省青少年科普讲解大赛举行",
            "10月18日，第三届全省青少年科普讲解大赛在省科技馆举行，来自全省的八十名选手同台比赛，二十名选手获得一等奖。",
        );
        assert_eq!(g["planned"], 0.0, "{g:?}");
        assert_eq!(g["happening"], 1.0, "{g:?}");
    }
}
