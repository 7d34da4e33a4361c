#!/usr/bin/python3
"""Reference pipeline for bench/train: the same user-user cosine kNN as the
engine's usercf, the way a data scientist would write it with pandas and
scikit-learn (Debian's python3-sklearn). From the Olist CSVs to a fitted model
(top-k neighbours per user above a similarity threshold), optionally evaluated
on the temporal split like `recsys-tui eval` (hit-rate@10, all test users).

usage: ref_usercf.py DATA_DIR [--cutoff YYYY-MM-DD] [--k 50] [--threshold 0.3]
"""
import argparse, os, sys, time

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.metrics.pairwise import cosine_similarity


def read(d, name):
    for ext in (".csv.gz", ".csv"):
        p = os.path.join(d, name + ext)
        if os.path.exists(p):
            return pd.read_csv(p)
    sys.exit(f"missing {name} in {d}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--cutoff")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--threshold", type=float, default=0.3)
    a = ap.parse_args()
    t0 = time.time()
    cust = read(a.data, "olist_customers_dataset")
    orders = read(a.data, "olist_orders_dataset")
    items = read(a.data, "olist_order_items_dataset")
    # the engine's interactions: no canceled/unavailable orders, no price outliers
    cut = items.price.mean() + 3 * items.price.std()
    items = items[items.price <= cut]
    orders = orders[~orders.order_status.isin(["canceled", "unavailable"])]
    orders = orders[orders.order_purchase_timestamp.notna()]
    df = items.merge(orders, on="order_id").merge(cust, on="customer_id")
    df = df[["customer_unique_id", "product_id", "order_purchase_timestamp"]]
    train = df if not a.cutoff else df[df.order_purchase_timestamp < a.cutoff]
    users = pd.Index(df.customer_unique_id.unique())
    prods = pd.Index(df.product_id.unique())
    pairs = train[["customer_unique_id", "product_id"]].drop_duplicates()
    X = sparse.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32),
         (users.get_indexer(pairs.customer_unique_id), prods.get_indexer(pairs.product_id))),
        shape=(len(users), len(prods)))
    S = cosine_similarity(X, dense_output=False).tocsr()  # users x users, sparse
    S.setdiag(0)
    S.eliminate_zeros()
    S.data[S.data < a.threshold] = 0
    S.eliminate_zeros()
    neigh = []  # top-k per user
    for u in range(S.shape[0]):
        lo, hi = S.indptr[u], S.indptr[u + 1]
        idx, sim = S.indices[lo:hi], S.data[lo:hi]
        if len(sim) > a.k:
            top = np.argsort(-sim, kind="stable")[: a.k]
            idx, sim = idx[top], sim[top]
        neigh.append((idx, sim))
    fit = time.time() - t0
    out = {"seconds": round(fit, 3), "users": len(users), "products": len(prods),
           "interactions": int(X.nnz), "similar_pairs": int(S.nnz)}
    if a.cutoff:
        test = df[df.order_purchase_timestamp >= a.cutoff]
        truth = test.groupby("customer_unique_id").product_id.apply(set)
        cday = pd.Timestamp(a.cutoff)
        ts = pd.to_datetime(train.order_purchase_timestamp)
        win = train[ts >= cday - pd.Timedelta(days=30)].product_id.value_counts()
        allc = train.product_id.value_counts()
        popscore = (win.reindex(allc.index, fill_value=0) + allc / (allc.max() + 1)).sort_values(
            ascending=False, kind="stable")
        poplist = list(popscore.index[:200])
        cnt = allc.reindex(prods, fill_value=0).to_numpy()
        hits = 0
        for uid, t in truth.items():
            u = users.get_loc(uid)
            owned = set(X.indices[X.indptr[u]:X.indptr[u + 1]])
            idx, sim = neigh[u]
            score = {}
            for v, s in zip(idx, sim):
                for i in X.indices[X.indptr[v]:X.indptr[v + 1]]:
                    if i not in owned:
                        score[i] = score.get(i, 0) + s
            tot = sim.sum() if len(sim) else 1
            ranked = sorted(score, key=lambda i: (-(score[i] / tot) * (1 + cnt[i]), i))[:10]
            recs = [prods[i] for i in ranked]
            for p in poplist:
                if len(recs) >= 10:
                    break
                if p not in recs and prods.get_loc(p) not in owned:
                    recs.append(p)
            hits += any(p in t for p in recs)
        out["hit_rate_at_10"] = round(hits / len(truth), 4)
        out["test_users"] = len(truth)
    print(" ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
