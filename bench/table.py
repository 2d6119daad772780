"""Prints bench/run's results as a Markdown table with yuqing / peer ratios."""

import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
print(f"machine: {rows[0]['machine']}; {rows[0]['date']}; {'quick' if rows[0]['quick'] else 'full'} run\n")
print("| what | yuqing | peer | ratio (yuqing / peer) |")
print("| --- | --- | --- | --- |")
for r in rows[1:]:
    if "segment" in r:
        s = r["segment"]
        py = s["python"]["mb_per_s"]
        print(f"| segmentation, MB/s (jieba default dictionary, HMM) | {s['yuqing_mb_s']:.1f} | Python jieba {py:.2f} | {s['yuqing_mb_s'] / py:.0f}× |")
        a = s["agreement"]
        print(f"| segmentation, tokens agreeing with Python jieba | {a['token_agreement']:.4f} ({a['identical_lines']}/{a['lines']} lines identical) | — | — |")
    if "extract" in r:
        e = r["extract"]
        y = e["yuqing"]
        for name in ("trafilatura", "readability-lxml"):
            p = e["peers"].get(name)
            if not p or "f1" not in p:
                print(f"| extraction F1, {e['corpus']} | {y['f1']:.3f} | {name}: {p.get('error', 'not run') if p else 'not run'} | — |")
                continue
            lose = " (yuqing lower)" if y["f1"] < p["f1"] else ""
            print(f"| extraction F1, {e['corpus']} | {y['f1']:.3f} | {name} {p['f1']:.3f} | {y['f1'] - p['f1']:+.3f}{lose} |")
            slow = " (yuqing slower)" if y["pages_per_s"] < p["pages_per_s"] else ""
            print(f"| extraction pages/s, {e['corpus']} | {y['pages_per_s']:.0f} | {name} {p['pages_per_s']:.0f} | {y['pages_per_s'] / p['pages_per_s']:.1f}×{slow} |")
    if "ingest" in r:
        i = r["ingest"]
        print(f"| ingest {i['articles']:,} articles | {i['per_s']:.0f} articles/s, peak RSS {i['peak_rss_mb']} MB, SQLite {i['db_mb']} MB, index {i['index_mb']} MB | — | — |")
    if "search" in r and r["search"]["mix"]:
        m = r["search"]["mix"]
        print(f"| search query mix ({r['search']['data']}) | p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms | — | — |")
    if "crawl" in r:
        print(f"| crawl of the sample web | {r['crawl']} | — | — |")
    if "report" in r:
        print(f"| weekly report ({r['report']['data']}) | {r['report']['seconds']} s, peak RSS {r['report']['peak_rss_mb']} MB | — | — |")
