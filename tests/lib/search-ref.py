"""Brute-force reference for the bf-search tests (python3 standard library only).

  search-ref.py vectors DB QUERY_ID K [WHERE]   (SQLite: float32 BLOBs)
  search-ref.py vectors-tsv FILE QUERY_ID K     (lines "id<TAB>{v1,v2,...}", from psql)
      the K best rows by cosine similarity to the vector of the row whose id is
      QUERY_ID, one "id score" a line, best first (ties: the smaller rowid first)
  search-ref.py check REF GOT                   GOT: bf-search --json lines; every
      returned score equals the reference score of its record to 1e-4, and the scores
      by rank equal the reference's to 1e-4 (so the same records, but for ties)
"""
import json
import math
import sqlite3
import struct
import sys


def cosine(a, b):
    d = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    return d / (na * nb) if na and nb else None


def rank(rows, qid, k):
    q = dict((r[0], r[2]) for r in rows)[qid]
    scored = []
    for rid, rowid, v in rows:
        s = cosine(v, q)
        if s is not None:
            scored.append((-s, rowid, rid))
    scored.sort()
    for s, _, rid in scored[:k]:
        print("%s %.6f" % (rid, -s))


def main():
    a = sys.argv
    if a[1] == "vectors":
        db = sqlite3.connect(a[2])
        where = a[5] if len(a) > 5 else "1"
        rows = []
        for rid, rowid, blob in db.execute(
                "SELECT id, rowid, description_embedding FROM work_orders WHERE description_embedding"
                " IS NOT NULL AND (closure_indicator IS NOT 1) AND " + where):
            rows.append((rid, rowid, struct.unpack("<%df" % (len(blob) // 4), blob)))
        rank(rows, a[3], int(a[4]))
    elif a[1] == "vectors-tsv":
        rows = []
        for i, line in enumerate(open(a[2])):
            rid, arr = line.rstrip("\n").split("\t")
            rows.append((rid, i, [float(x) for x in arr.strip("{}").split(",")]))
        rank(rows, a[3], int(a[4]))
    else:
        ref = [l.split() for l in open(a[2])]
        true = dict((r[0], float(r[1])) for r in ref)
        got = [json.loads(l) for l in open(a[3])]
        bad = 0
        if len(got) != len(ref):
            print("got %d results, the reference %d" % (len(got), len(ref)))
            bad = 1
        for i, g in enumerate(got):
            rid = g["record"]["id"]
            if rid in true and abs(true[rid] - g["score"]) > 1e-4:
                print("rank %d: %s scored %.6f, truly %.6f" % (i + 1, rid, g["score"], true[rid]))
                bad = 1
            if i < len(ref) and abs(float(ref[i][1]) - g["score"]) > 1e-4:
                print("rank %d: score %.6f, the reference's %s" % (i + 1, g["score"], ref[i][1]))
                bad = 1
            if rid not in true and i < len(ref) and abs(float(ref[-1][1]) - g["score"]) > 1e-4:
                print("rank %d: %s is not in the reference's top" % (i + 1, rid))
                bad = 1
        sys.exit(bad)


main()
