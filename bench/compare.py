"""The Python side of bench/run: jieba segmentation and trafilatura / readability-lxml
extraction on the same inputs as yuqing, scored the way `yuqing eval extract` scores.

Usage: compare.py segment TEXT_FILE RUNS OUT_TOKENS
       compare.py agree YUQING_TOKENS PY_TOKENS
       compare.py extract SHARED_CORPUS_DIR CORPUS RUNS
Prints one JSON object per call."""

import gzip
import json
import os
import re
import statistics
import sys
import time

TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[0-9a-z]+")


def tokens(text):
    return TOKEN.findall(text.lower())


def f1(got, want):
    from collections import Counter

    g, w = Counter(tokens(got)), Counter(tokens(want))
    if not g and not w:
        return 1.0
    common = sum((g & w).values())
    if common == 0:
        return 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return 2 * p * r / (p + r)


def segment(path, runs, out):
    import jieba

    jieba.initialize()
    lines = open(path, encoding="utf-8").read().split("\n")
    size = sum(len(l.encode("utf-8")) for l in lines)
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = [[w for w in jieba.lcut(l, HMM=True) if w.strip()] for l in lines]
        times.append(time.perf_counter() - t)
    with open(out, "w", encoding="utf-8") as f:
        for words in result:
            f.write(" ".join(words) + "\n")
    sec = statistics.median(times)
    print(json.dumps({"bytes": size, "seconds": sec, "mb_per_s": size / 1e6 / sec}))


def agree(a_path, b_path):
    a = open(a_path, encoding="utf-8").read().split("\n")
    b = open(b_path, encoding="utf-8").read().split("\n")
    same_lines = sum(1 for x, y in zip(a, b) if x == y)
    ta = sum(len(x.split()) for x in a)
    tb = sum(len(x.split()) for x in b)
    common = 0
    for x, y in zip(a, b):
        # tokens agree when they cover the same span of the line
        def spans(line):
            out, pos = set(), 0
            for w in line.split():
                out.add((pos, pos + len(w)))
                pos += len(w)
            return out

        common += len(spans(x) & spans(y))
    print(json.dumps({"lines": len(a), "identical_lines": same_lines, "tokens_yuqing": ta, "tokens_python": tb,
                      "token_agreement": 2 * common / max(ta + tb, 1)}))


def pages(shared, corpus):
    d = os.path.join(shared, "corpus", corpus)
    if corpus == "scrapinghub-article-extraction-benchmark":
        gt = json.load(open(os.path.join(d, "ground-truth.json"), encoding="utf-8"))
        for k, v in sorted(gt.items()):
            html = gzip.open(os.path.join(d, "html", k + ".html.gz")).read()
            yield html, v.get("articleBody") or ""
    else:
        gt = json.load(open(os.path.join(d, "eval", "cleaned_ground.json"), encoding="utf-8"))
        for k, v in sorted(gt.items()):
            html = open(os.path.join(d, "original", k + ".html"), "rb").read()
            yield html, v.get("articleBody") or ""


def decode(html):
    for enc in ("utf-8", "gb18030"):
        try:
            return html.decode(enc)
        except UnicodeDecodeError:
            pass
    return html.decode("utf-8", "replace")


def extract(shared, corpus, runs):
    import trafilatura

    data = list(pages(shared, corpus))
    out = {"pages": len(data)}
    tools = {"trafilatura": lambda h: trafilatura.extract(h, include_comments=False) or ""}
    try:
        from readability import Document
        import lxml.html

        def readability_text(h):
            summary = Document(decode(h)).summary(html_partial=True)
            return lxml.html.fromstring(summary).text_content() if summary.strip() else ""

        tools["readability-lxml"] = readability_text
    except Exception as e:  # noqa: BLE001
        out["readability-lxml"] = {"error": str(e)}
    for name, fn in tools.items():
        times, scores = [], []
        for _ in range(runs):
            t = time.perf_counter()
            got = []
            for html, _ in data:
                try:
                    got.append(fn(html))
                except Exception:  # noqa: BLE001
                    got.append("")
            times.append(time.perf_counter() - t)
            scores = [f1(g, w) for g, (_, w) in zip(got, data)]
        sec = statistics.median(times)
        out[name] = {"f1": sum(scores) / len(scores), "pages_per_s": len(data) / sec}
    print(json.dumps(out))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "segment":
        segment(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "agree":
        agree(sys.argv[2], sys.argv[3])
    elif cmd == "extract":
        extract(sys.argv[2], sys.argv[3], int(sys.argv[4]))
