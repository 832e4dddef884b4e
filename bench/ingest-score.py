#!/usr/bin/env python3
"""Score bench/ingest's clustering against the generator's truth.

usage: ingest-score.py TRUTH.tsv RELEASES.tsv [EXAMPLES]

TRUTH.tsv is gen-ingest.py's (feed, position, true release, kind, flags,
paragraphs, title); RELEASES.tsv is ingest_only's --out (feed, position,
dedup result, release). Items missing from RELEASES.tsv (a run cut short by
--items) are left out of the score.

Pairwise scores, counted from cluster sizes rather than pairs:
  precision = pairs in the same release in both / pairs feedmill put together
  recall    = pairs in the same release in both / pairs truly together
with sum(C(n, 2)) over feedmill's releases, the true releases and the cells
of their contingency table. An item with release 0 (not taken in) is a
cluster of its own.

Prints, tab-separated for bench/ingest: "score" lines (precision, recall,
pairs, releases, true releases, items), "result" lines (dedup result by item
kind), then the analysis: how many true releases feedmill split and how
many of its releases merge several true ones, by the kinds of items
involved, with up to EXAMPLES (default 3) examples each.
"""

import sys
from collections import Counter, defaultdict


def pairs(n):
    return n * (n - 1) // 2


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: ingest-score.py TRUTH.tsv RELEASES.tsv [EXAMPLES]")
    nex = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    truth = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            feed, pos, rel, kind, flags, npara, title = line.rstrip("\n").split("\t")
            truth[(feed, int(pos))] = (int(rel), kind, flags, int(npara), title)
    got = {}
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            feed, pos, result, rel = line.rstrip("\n").split("\t")
            got[(feed, int(pos))] = (result, int(rel))

    cell = Counter()
    true_size = Counter()
    pred_size = Counter()
    by_true = defaultdict(list)
    by_pred = defaultdict(list)
    results = Counter()
    lone = 0
    for key, (result, prel) in got.items():
        trel, kind, flags, _, _ = truth[key]
        if prel == 0:           # not taken in: a cluster of its own
            lone += 1
            prel = -lone
        cell[(trel, prel)] += 1
        true_size[trel] += 1
        pred_size[prel] += 1
        by_true[trel].append(key)
        by_pred[prel].append(key)
        results[(kind, result)] += 1
    both = sum(pairs(n) for n in cell.values())
    tp = sum(pairs(n) for n in true_size.values())
    pp = sum(pairs(n) for n in pred_size.values())
    precision = both / pp if pp else 1.0
    recall = both / tp if tp else 1.0
    print("score\tprecision\t%.6f" % precision)
    print("score\trecall\t%.6f" % recall)
    print("score\tpairs_true\t%d" % tp)
    print("score\tpairs_feedmill\t%d" % pp)
    print("score\tpairs_both\t%d" % both)
    print("score\treleases_feedmill\t%d" % len([p for p in pred_size if p > 0]))
    print("score\treleases_true\t%d" % len(true_size))
    print("score\titems\t%d" % len(got))
    print("score\tnot_taken_in\t%d" % lone)
    for (kind, result), n in sorted(results.items()):
        print("result\t%s\t%s\t%d" % (kind, result, n))

    def describe(key):
        trel, kind, flags, npara, title = truth[key]
        result, prel = got[key]
        return "%s#%d true=%d feedmill=%d %s %s flags=%s paras=%d \"%s\"" % (
            key[0], key[1], trel, prel, kind, result, flags, npara, title)

    # split: a true release spread over several of feedmill's releases
    split = [t for t in by_true if len({got[k][1] for k in by_true[t]}) > 1]
    split_kinds = Counter()
    for t in split:
        kinds = sorted({truth[k][1] for k in by_true[t]})
        flags = "".join(sorted(set("".join(truth[k][2] for k in by_true[t])) - {"-"}))
        split_kinds[(",".join(kinds), flags or "-")] += 1
    print("split\ttotal\t%d" % len(split))
    for (kinds, flags), n in split_kinds.most_common():
        print("split\tkinds=%s flags=%s\t%d" % (kinds, flags, n))
    for t in split[:nex]:
        print("example\tsplit true release %d:" % t)
        for k in sorted(by_true[t], key=lambda k: got[k][1]):
            print("example\t  " + describe(k))
    # merged: one of feedmill's releases holding several true ones
    merged = [p for p in by_pred if p > 0 and len({truth[k][0] for k in by_pred[p]}) > 1]
    merged_kinds = Counter()
    for p in merged:
        titles = len({truth[k][4] for k in by_pred[p]})
        merged_kinds["same title" if titles == 1 else "different titles"] += 1
    print("merged\ttotal\t%d" % len(merged))
    for what, n in merged_kinds.most_common():
        print("merged\t%s\t%d" % (what, n))
    for p in merged[:nex]:
        print("example\tmerged feedmill release %d:" % p)
        for k in sorted(by_pred[p], key=lambda k: truth[k][0]):
            print("example\t  " + describe(k))


if __name__ == "__main__":
    main()
