//! Cue and rule tests on sentences the team wrote.

use super::*;
use std::sync::OnceLock;

fn rules() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(|| {
        Classifier::new(
            Analyzer::builtin(),
            &Lexicons::builtin(),
            Model::rules(),
            Vec::new(),
        )
        .unwrap()
    })
}

/// Classifies with the rules model and checks which tags fire.
fn check(title: &str, body: &str, want: &[Tag]) -> Classification {
    let c = rules().classify(title, body, 0);
    let got: Vec<Tag> = c.tags.iter().map(|t| t.tag).collect();
    assert_eq!(got, want, "{title} scores {:?}", c.scores);
    c
}

#[test]
fn disciplinary_release_is_a_case() {
    let c = check(
        "中央纪委国家监委公开通报五起违反中央八项规定精神典型问题",
        "近日，中央纪委国家监委公开通报五起违反中央八项规定精神典型问题。1.某市原副市长张某某违规收受礼品礼金问题。2.某县原县长李某某违规公款吃喝问题。",
        &[Tag::TypicalCase],
    );
    let ev = &c.tags[0].evidence;
    assert_eq!(ev.cues[0], "典型问题");
    assert!(ev.cue_positions.iter().any(|p| p.field == "title"));
    assert!(ev.sentence.contains("典型问题"), "{}", ev.sentence);
}

#[test]
fn profile_of_a_named_scientist_is_a_person() {
    let body = "李华是省农业科学院研究员。二十年来，李华扎根田间，带领团队培育抗旱小麦新品种。同事们说，李华几十年如一日坚守在试验田。她先后获得全国劳动模范、最美科技工作者等荣誉。李华说，希望更多年轻人投身农业科研。";
    let c = check(
        "最美科技工作者李华：扎根田间二十年的育种人",
        body,
        &[Tag::TypicalPerson],
    );
    let ev = &c.tags[0].evidence;
    assert!(ev.people.contains(&"李华".to_string()), "{:?}", ev.people);
}

#[test]
fn an_activity_held_is_an_event() {
    check(
        "省科协举办全国科普日主场活动",
        "9月16日，省科协在省科技馆举办全国科普日主场活动，科技志愿者开展科普讲座和实验展示，三千余名市民参加。",
        &[Tag::TypicalEvent],
    );
}

#[test]
fn routine_notice_is_not_tagged() {
    check(
        "关于2025年端午节放假安排的通知",
        "各单位：根据国务院办公厅通知精神，现将端午节放假安排通知如下。请各单位做好值班安排。",
        &[],
    );
}

#[test]
fn headline_only_items() {
    check("军人夫妇相继跳河救起两名溺水女孩", "", &[Tag::TypicalEvent]);
    check("今日股市收盘 沪指涨停板块分析", "", &[]);
}

#[test]
fn scores_are_probabilities() {
    let c = rules().classify("标题", "正文", 0);
    assert!(c.scores.iter().all(|s| (0.0..=1.0).contains(s)));
}

#[test]
fn builtin_model_loads() {
    let c = Classifier::builtin(Analyzer::builtin()).unwrap();
    assert_ne!(c.model().trained_on, "");
    let r = c.classify(
        "公开通报十起典型案例",
        "中央纪委公开通报十起违纪违法典型案例。",
        5,
    );
    assert!(
        r.tags.iter().any(|t| t.tag == Tag::TypicalCase),
        "{:?}",
        r.scores
    );
}

/// The shipped model on the look-alikes TAGS.md separates (sentences the team wrote).
#[test]
fn builtin_model_on_the_look_alikes() {
    let c = Classifier::builtin(Analyzer::builtin()).unwrap();
    let tags = |title: &str, body: &str| -> Vec<Tag> {
        c.classify(title, body, 0)
            .tags
            .iter()
            .map(|t| t.tag)
            .collect()
    };
    // a profile of a named person that never says 先进, 榜样 or 楷模
    assert_eq!(
        tags(
            "陈海生：岛上的赤脚医生",
            "清晨五点，陈海生背起药箱出了门。东礁村散落在六座小岛上，陈海生每天要坐船跑三个岛。他从父亲手里接过药箱时只有二十岁，如今已经五十八岁。陈海生说，村里老人多，离不开医生。台风天，他守在卫生室里，为受伤的渔民包扎。村民们说，陈海生在，大家心里就踏实。",
        ),
        [Tag::TypicalPerson]
    );
    // a commentary that only refers to a 通报
    assert_eq!(
        tags(
            "让通报的警示作用真正发挥出来",
            "近期，各地纪委监委陆续通报了一批违反中央八项规定精神问题。通报不是终点，要让警示教育入脑入心。我们必须认识到，作风建设永远在路上，各级党组织要切实扛起主体责任，以案为鉴，举一反三。",
        ),
        []
    );
    // a notice of a contest still to come
    assert_eq!(
        tags(
            "关于举办第三届全省青少年科普讲解大赛的通知",
            "各市科协：为激发青少年爱科学、学科学的热情，省科协定于2026年10月举办第三届全省青少年科普讲解大赛。请各单位于9月30日前报名，参赛要求见附件。",
        ),
        []
    );
}
