#!/usr/bin/env python3
"""Generate N realistic articles (JSON Lines for `yuqing import`) from the real Chinese texts in
../shared/corpus, at benchmark time. Nothing generated is committed.

Titles come from the THUCNews and CLUE headlines; bodies (1-3 KB) are built from sentences of the
Chinese article bodies (ccdi ground truth, the Chinese extraction dataset, the NetEase GBK texts);
dates spread over a year; sources and units drawn from a fixed list. Every tenth article repeats
an earlier body under another URL (a republication), so story clusters exist.
"""
import json, os, random, re, sys

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    corpus = os.path.join(shared, "corpus")
    rnd = random.Random(20261129)
    titles = []
    for f in ["thucnews-headlines-10class/dev.txt", "thucnews-headlines-10class/test.txt"]:
        p = os.path.join(corpus, f)
        if os.path.exists(p):
            for line in open(p, encoding="utf-8"):
                t = line.split("\t")[0].strip()
                if t:
                    titles.append(t)
    p = os.path.join(corpus, "clue-tnews-public-dev/dev.json")
    if os.path.exists(p):
        for line in open(p, encoding="utf-8"):
            try:
                titles.append(json.loads(line)["sentence"])
            except Exception:
                pass
    texts = []
    p = os.path.join(corpus, "ccdi-gov-typical-case-pages/ground_truth_by_file.json")
    if os.path.exists(p):
        texts += [v.get("content", "") for v in json.load(open(p, encoding="utf-8")).values()]
    p = os.path.join(corpus, "chinese-web-content-extraction-dataset/eval/cleaned_ground.json")
    if os.path.exists(p):
        texts += [v["articleBody"] for v in json.load(open(p, encoding="utf-8")).values()]
    d = os.path.join(corpus, "cx-extractor-netease-gbk/Text")
    if os.path.isdir(d):
        for f in os.listdir(d):
            texts.append(open(os.path.join(d, f), "rb").read().decode("gb18030", "replace"))
    sentences = []
    for t in texts:
        for s in re.split(r"(?<=[。！？])", t.replace("\n", "")):
            s = s.strip()
            if 8 <= len(s) <= 200 and "\ufffd" not in s:
                sentences.append(s)
    if not titles or not sentences:
        sys.exit("no corpus texts found under " + corpus)
    sources = [("cast-kxyw", "cast"), ("people-scitech", "people"), ("xinhua-politics", "xinhua"),
               ("gov-yaowen", "gov"), ("ccdi-zjsc", "ccdi"), ("bast-kxyw", "bast"), ("ccf-news", "ccf"),
               ("stdaily-rdxw", "stdaily"), ("gmw-news", "gmw"), ("chinanews-scroll", "chinanews")]
    bodies = []
    out = sys.stdout
    for i in range(n):
        if i % 10 == 9 and bodies:
            body = rnd.choice(bodies)
        else:
            target = rnd.randint(350, 1000)  # characters: 1-3 KB in UTF-8
            parts, size = [], 0
            while size < target:
                s = rnd.choice(sentences)
                parts.append(s)
                size += len(s)
            body = "\n".join("".join(parts[j:j + 3]) for j in range(0, len(parts), 3))
            if len(bodies) < 5000:
                bodies.append(body)
        src, unit = rnd.choice(sources)
        day = 1 + rnd.randrange(365)
        month, dom = divmod(day - 1, 28)
        date = f"2025-{min(month, 11) + 1:02d}-{dom + 1:02d}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00+08:00"
        out.write(json.dumps({"url": f"https://{unit}.example.cn/a/{i}.html", "title": rnd.choice(titles),
                              "text": body, "published_at": date, "source": src, "unit": unit},
                             ensure_ascii=False) + "\n")

if __name__ == "__main__":
    main()
