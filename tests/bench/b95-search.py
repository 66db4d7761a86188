"""Data and reference of tests/bench/b95-search.sh (numpy).

  b95-search.py gen N DIM QUERIES SEED        NDJSON for bf-load on stdout, queries.f32
  b95-search.py ref N DIM SEED ROUNDS         numpy's top-10 of each query (ref.ids,
                                              unless there), and its time per query,
                                              ROUNDS times
  b95-search.py compare REF BF                recall@10 and exact matches of bf's ids

The vectors are clustered, as embeddings are: 1000 centres, each vector a centre plus
noise, unit length, written with 4 decimals (as integers with e-4, so that the text is
short and the floats bf-load stores are exactly numpy's). The queries are noisy centres.
"""
import os
import sys
import time

import numpy as np

ROWS_PER_DAY = 1000


def matrix(n, dim, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.int32)
    step = 100000
    for s in range(0, n, step):
        m = min(step, n - s)
        which = rng.integers(0, 1000, m)
        v = centres[which] + 0.6 * rng.standard_normal((m, dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[s:s + m] = np.rint(v * 10000).astype(np.int32)
    qrng = np.random.default_rng(seed + 1)
    q = centres[qrng.integers(0, 1000, 200)] + 0.8 * qrng.standard_normal((200, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return out, q.astype(np.float32)


def gen(n, dim, nq, seed):
    ints, q = matrix(n, dim, seed)
    q[:nq].tofile("queries.f32")
    w = sys.stdout.write
    w('{"type":"SCHEMA","stream":"docs","schema":{"type":"object","properties":{"n":{"type":"integer"},'
      '"title":{"type":"string"},"embedding":{"type":["array","null"],"items":{"type":"number"},'
      '"x-bf-embedding":{"method":"hash","dim":%d,"columns":["title"]}}}},"key_properties":[]}\n' % dim)
    day0 = np.datetime64("2021-01-01")
    for s in range(0, n, ROWS_PER_DAY):
        date = str(day0 + s // ROWS_PER_DAY)
        lines = []
        for i in range(s, min(n, s + ROWS_PER_DAY)):
            lines.append('{"type":"RECORD","stream":"docs","record":{"n":%d,"title":"document %d","embedding":[%s],'
                         '"_bf_date":"%s","_bf_location":"1","_bf_source":"b95","_bf_line":%d}}\n'
                         % (i, i, "e-4,".join(map(str, ints[i].tolist())) + "e-4", date, i - s + 1))
        w("".join(lines))
        w('{"type":"STATE","value":{"bf":{"source":"b95","location":"1","date":"%s","status":"ok"}}}\n' % date)


def ref(n, dim, seed, rounds):
    ints, _ = matrix(n, dim, seed)
    m = (ints / 10000.0).astype(np.float32)
    del ints
    m /= np.linalg.norm(m, axis=1, keepdims=True)      # cosine, as bf-search scores
    q = np.fromfile("queries.f32", dtype=np.float32).reshape(-1, dim)
    if os.path.exists("ref.ids"):      # the answers do not change from round to round
        q_ref = []
    else:
        q_ref = q
    with open("ref.ids" if len(q_ref) else os.devnull, "w") as f:
        for qv in q_ref:
            s = m @ qv
            top = np.argpartition(s, -10)[-10:]
            top = top[np.argsort(-s[top])]
            f.write(" ".join("%d:%.6f" % (i + 1, s[i]) for i in top) + "\n")
    for r in range(rounds):
        ts = []
        for qv in q:
            t = time.perf_counter()
            top = np.argpartition(m @ qv, -10)[-10:]
            ts.append(time.perf_counter() - t)
        ts.sort()
        print("numpy_round %d %.3f" % (r, ts[len(ts) // 2] * 1e3), flush=True)


def compare(ref_file, bf_file):
    ref = [[int(x.split(":")[0]) for x in l.split()] for l in open(ref_file)]
    got = [[int(x) for x in l.split()[1:]] for l in open(bf_file)]
    hits = same = 0
    for r, g in zip(ref, got):
        hits += len(set(r) & set(g))
        same += r == g
    print("recall@10 %.4f identical %d/%d" % (hits / (10.0 * len(got)), same, len(got)))


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "gen":
        gen(int(a[2]), int(a[3]), int(a[4]), int(a[5]))
    elif a[1] == "ref":
        ref(int(a[2]), int(a[3]), int(a[4]), int(a[5]))
    else:
        compare(a[2], a[3])
