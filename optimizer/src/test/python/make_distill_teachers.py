"""Teachers for the distill pass's tests and benchmark, trained here from data that ships with
scikit-learn, with the rows the student may learn from and held-out rows it never sees.

    python make_distill_teachers.py <out-dir> [case ...]

For each case <name> it writes:
  <name>.json | <name>.txt       the teacher (XGBoost JSON or LightGBM text)
  <name>.transfer.npy            float32 [rows, features]: the training rows, without labels
  <name>.heldout.npy             float32 [rows, features]: rows neither teacher nor student saw
  <name>.heldout.labels.npy      int64 [rows]: their true labels
  <name>.heldout.teacher.npy     float32 [rows, classes]: the teacher library's own probabilities
  <name>.heldout.small.npy       float32 [rows, classes]: the probabilities of the same library
                                 trained on the labels with the student's size (50 trees of depth 4)
and, for XGBoost, a gblinear model with its own probabilities on held-out rows with 5 % NaN:
  <name>.gblinear.json, <name>.heldout.nan.npy, <name>.heldout.gblinear.npy
and cases.json describing every case (library, classes, trees, depth).
"""
import json
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.model_selection import train_test_split

SEED = 7


def datasets():
    yield "breast_cancer", load_breast_cancer(return_X_y=True)
    yield "wine", load_wine(return_X_y=True)
    yield "digits", load_digits(return_X_y=True)
    # scikit-learn's defaults (20 features, 2 informative) at 100k rows, with and without the
    # default 1 % of labels flipped at random, which a 500-tree teacher learns by heart.
    yield "synthetic100k", make_classification(n_samples=100_000, flip_y=0, class_sep=2.0, random_state=SEED)
    yield "synthetic100k_noisy", make_classification(n_samples=100_000, random_state=SEED)


def teacher(library, classes, trees, depth):
    if library == "xgboost":
        return xgb.XGBClassifier(n_estimators=trees, max_depth=depth, learning_rate=0.1, tree_method="hist",
                                 random_state=SEED, n_jobs=2)
    return lgb.LGBMClassifier(n_estimators=trees, num_leaves=2 ** depth - 1, max_depth=depth, learning_rate=0.1,
                              random_state=SEED, n_jobs=2, verbose=-1)


def save(model, library, path):
    if library == "xgboost":
        model.get_booster().save_model(str(path) + ".json")
        return path.name + ".json"
    model.booster_.save_model(str(path) + ".txt")
    return path.name + ".txt"


def main():
    out = Path(sys.argv[1])
    wanted = set(sys.argv[2:])
    out.mkdir(parents=True, exist_ok=True)
    cases = {}
    for data_name, (x, y) in datasets():
        x = x.astype(np.float32)
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
        classes = int(len(np.unique(y)))
        for library, prefix in (("xgboost", "xgb"), ("lightgbm", "lgb")):
            name = f"{prefix}_{data_name}"
            if wanted and name not in wanted:
                continue
            model = teacher(library, classes, 500, 6).fit(x_train, y_train)
            small = teacher(library, classes, 50, 4).fit(x_train, y_train)
            files = {"teacher": save(model, library, out / name)}
            np.save(out / f"{name}.transfer.npy", x_train)
            np.save(out / f"{name}.heldout.npy", x_test)
            np.save(out / f"{name}.heldout.labels.npy", y_test.astype(np.int64))
            np.save(out / f"{name}.heldout.teacher.npy", np.ascontiguousarray(model.predict_proba(x_test), dtype=np.float32))
            np.save(out / f"{name}.heldout.small.npy", np.ascontiguousarray(small.predict_proba(x_test), dtype=np.float32))
            if library == "xgboost":
                linear = xgb.XGBClassifier(booster="gblinear", n_estimators=30, random_state=SEED, n_jobs=1)
                linear.fit(x_train, y_train)
                linear.get_booster().save_model(str(out / f"{name}.gblinear.json"))
                with_nan = x_test.copy()
                with_nan[np.random.default_rng(SEED).random(with_nan.shape) < 0.05] = np.nan
                np.save(out / f"{name}.heldout.nan.npy", with_nan)
                np.save(out / f"{name}.heldout.gblinear.npy", np.ascontiguousarray(linear.predict_proba(with_nan), dtype=np.float32))
            cases[name] = {"library": library, "classes": classes, "trees": 500, "depth": 6,
                           "trainRows": int(len(x_train)), "heldOutRows": int(len(x_test)), **files}
            print(f"{name}: {classes} classes, {len(x_train)} transfer rows, {len(x_test)} held out; teacher accuracy"
                  f" {(model.predict(x_test) == y_test).mean():.4f}", file=sys.stderr)
    (out / "cases.json").write_text(json.dumps(cases, indent=1))


if __name__ == "__main__":
    main()
