#!/usr/bin/env python3
"""Writes rll-eval/src/test/resources/org/rll4j/eval/sklearn-golden.json, the reference values of
ClusteringGoldenTest and RetrievalGoldenTest. Run once, by hand (CI does not need Python):

    /usr/bin/python3 rll-eval/src/test/python/make_sklearn_golden.py

Needs numpy and scikit-learn (Debian: apt-get install python3-sklearn; written with sklearn 1.2.1).

Clustering: sklearn.metrics.normalized_mutual_info_score for the four average_method values, and
the pairwise F1 of Oh Song et al. 2016 from sklearn.metrics.cluster.pair_confusion_matrix (which
counts ordered pairs: F1 = 2 C11 / (2 C11 + C01 + C10)).

Retrieval: no scikit-learn function computes MAP@R, so the reference is this brute-force numpy code,
written independently of the Java engine: float64 inner products of the float32 unit vectors, order
by decreasing similarity then increasing gallery index, the query itself excluded in the one-set
protocol, lone queries (R = 0) excluded from every metric.
"""
import json
import os

import numpy as np
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics.cluster import pair_confusion_matrix

METHODS = ["arithmetic", "geometric", "min", "max"]


def clustering_case(name, truth, pred):
    truth = [int(v) for v in truth]
    pred = [int(v) for v in pred]
    c = pair_confusion_matrix(truth, pred)
    tp, fp, fn = int(c[1, 1]), int(c[0, 1]), int(c[1, 0])
    return {
        "name": name,
        "truth": truth,
        "clusters": pred,
        "nmi": {m: float(normalized_mutual_info_score(truth, pred, average_method=m)) for m in METHODS},
        "pairwiseF1": 2 * tp / (2 * tp + fp + fn),
    }


def ranking(q, g, same_set):
    sims = q.astype(np.float64) @ g.astype(np.float64).T
    orders = []
    for i in range(q.shape[0]):
        idx = np.arange(g.shape[0])
        s = sims[i]
        if same_set:
            keep = idx != i
            idx, s = idx[keep], s[keep]
        order = np.lexsort((idx, -s))  # last key primary: similarity descending, then index ascending
        orders.append(idx[order])
    return orders


def retrieval_case(name, q, ql, g, gl, same_set, ks):
    orders = ranking(q, g, same_set)
    recall = {k: [] for k in ks}
    p1, rprec, mapr = [], [], []
    lone = 0
    for i, order in enumerate(orders):
        r = int(np.sum(gl == ql[i])) - (1 if same_set else 0)
        if r == 0:
            lone += 1
            continue
        rel = (gl[order] == ql[i]).astype(np.float64)
        for k in ks:
            recall[k].append(float(rel[:k].max()))
        p1.append(rel[0])
        rprec.append(rel[:r].sum() / r)
        prec_at = np.cumsum(rel[:r]) / np.arange(1, r + 1)
        mapr.append(float((prec_at * rel[:r]).sum() / r))
    case = {
        "name": name,
        "sameSet": same_set,
        "queries": q.astype(np.float32).tolist(),
        "queryLabels": [int(v) for v in ql],
        "ks": ks,
        "recallAt": {str(k): float(np.mean(recall[k])) for k in ks},
        "precisionAt1": float(np.mean(p1)),
        "rPrecision": float(np.mean(rprec)),
        "mapAtR": float(np.mean(mapr)),
        "loneQueries": lone,
    }
    if not same_set:
        case["gallery"] = g.astype(np.float32).tolist()
        case["galleryLabels"] = [int(v) for v in gl]
    return case


def unit_rows(rng, n, d):
    x = rng.normal(size=(n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    # the Java side reads these float32 values and renormalises them in float32; keep the rows exactly
    # as written so both sides rank the same numbers
    return x.astype(np.float32)


def clustered(rng, classes, per_class, d, spread):
    centres = rng.normal(size=(classes, d))
    labels = np.repeat(np.arange(classes), per_class)
    x = centres[labels] + spread * rng.normal(size=(labels.size, d))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return x, labels


def main():
    rng = np.random.default_rng(20260526)
    clustering = [
        clustering_case("random 200 items, 7 classes, 5 clusters", rng.integers(0, 7, 200), rng.integers(0, 5, 200)),
        clustering_case("random 1000 items, 50 classes, 50 clusters", rng.integers(0, 50, 1000), rng.integers(0, 50, 1000)),
        clustering_case("identical up to renaming", [0, 0, 1, 1, 2, 2, 2], [5, 5, 3, 3, 9, 9, 9]),
        clustering_case("one cluster", [0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 0, 0]),
        clustering_case("all singletons", [0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 5]),
        clustering_case("negative and large labels", [-5, -5, 100000, 100000, 7, 7, 7, -5],
                        [1, 2, 1, 2, 3, 3, 1, -1]),
    ]
    truth = np.repeat(np.arange(30), 10)
    noisy = truth.copy()
    flip = rng.random(truth.size) < 0.3
    noisy[flip] = rng.integers(0, 30, flip.sum())
    clustering.append(clustering_case("30 classes x 10, 30% of items moved", truth, noisy))

    x, lx = clustered(rng, 12, 5, 8, 0.9)
    lx[0] = 99  # a lone query (its class has one item)
    y, ly = clustered(rng, 10, 9, 8, 0.9)
    is_query = np.tile(np.arange(9) < 3, 10)  # per class: 3 queries, 6 gallery items
    q, lq = y[is_query], ly[is_query].copy()
    g, lg = y[~is_query], ly[~is_query]
    lq[0] = 77  # a query class absent from the gallery
    retrieval = [
        retrieval_case("one set, 60 items, 13 classes (one lone)", x, lx, x, lx, True, [1, 2, 4, 8]),
        retrieval_case("separate sets, 30 queries, 60 gallery", q, lq, g, lg, False, [1, 5, 10, 20]),
    ]
    out = {
        "generator": "rll-eval/src/test/python/make_sklearn_golden.py",
        "sklearn": __import__("sklearn").__version__,
        "numpy": np.__version__,
        "clustering": clustering,
        "retrieval": retrieval,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "resources", "org", "rll4j", "eval", "sklearn-golden.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
