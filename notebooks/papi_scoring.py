"""PAPI point estimates computed from an export with polars, as SCORING.md §3 defines them, so that
a notebook can check `papi score` independently (and `papi score` can check the notebook).

Indicator: p_k = sum_i w_i o_ik y_ik / sum_i w_i o_ik (a ratio estimator, missing answers excluded);
sub-dimension: S_s = (1 + 9 m_s) / n_d with m_s the (weighted) mean of its indicators' p_k;
dimension: D_d = sum of its S_s; total: T = sum of the D_d.

Only point estimates: the standard errors need the design (strata, clusters) and come from
`papi score`, whose JSON the notebooks read for the intervals.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent


def env_path(name: str, default: str | Path) -> Path:
    """A path from the environment variable `name`, or `default` (relative to the repository)."""
    value = os.environ.get(name)
    return Path(value) if value else (REPO / default)


def papi_binary() -> str:
    """`PAPI_BIN`, else `papi` on the PATH, else the repository's release or debug build."""
    if os.environ.get("PAPI_BIN"):
        return os.environ["PAPI_BIN"]
    on_path = shutil.which("papi")
    if on_path:
        return on_path
    for build in ("release", "debug"):
        candidate = REPO / "target" / build / "papi"
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError("no papi binary: set PAPI_BIN or build with `cargo build --release`")


def load_definition(path: Path) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def read_export(path: Path, definition: dict) -> pl.DataFrame:
    """An export (Parquet or CSV, with or without a byte-order mark), numbers typed as numbers."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return pl.read_parquet(path)
    df = pl.read_csv(path, infer_schema=False, encoding="utf8")
    df = df.rename({c: c.lstrip("\ufeff") for c in df.columns})
    weight = definition.get("design", {}).get("weight", "weight")
    numeric = [q["id"] for q in definition["questions"] if q["type"] in ("integer", "decimal")]
    return df.with_columns(
        [pl.col(c).str.strip_chars().cast(pl.Float64) for c in [weight, *numeric] if c in df.columns]
    )


def indicator_scores(df: pl.DataFrame, definition: dict) -> pl.DataFrame:
    """One column per indicator: the respondent's score in [0, 1], or null when missing."""
    exprs = []
    for ind in definition["indicators"]:
        q = pl.col(ind["question"])
        if "values" in ind:
            mapping = {str(k): float(v) for k, v in ind["values"].items()}
            e = q.cast(pl.Utf8).str.strip_chars().replace_strict(
                mapping, default=None, return_dtype=pl.Float64
            )
        elif "range" in ind:
            lo, hi = (float(x) for x in ind["range"])
            s = ((q.cast(pl.Float64) - lo) / (hi - lo)).clip(0.0, 1.0)
            e = (1.0 - s) if ind.get("reverse", False) else s
        else:
            chosen = q.cast(pl.Utf8).str.extract_all(r"\S+")
            e = (
                pl.when(chosen.list.len() > 0)
                .then(chosen.list.eval(pl.element().is_in(list(ind["any_of"]))).list.any().cast(pl.Float64))
                .otherwise(None)
            )
        exprs.append(e.alias(ind["id"]))
    return df.select(exprs)


def estimates(df: pl.DataFrame, definition: dict) -> dict:
    """Indicator, sub-dimension, dimension and total point estimates of the rows of `df`."""
    weight = definition.get("design", {}).get("weight", "weight")
    w = df[weight].cast(pl.Float64).fill_null(1.0) if weight in df.columns else pl.Series([1.0] * df.height)
    scores = indicator_scores(df, definition)
    p = {}
    for name in scores.columns:
        y = scores[name]
        present = y.is_not_null()
        denominator = w.filter(present).sum()
        p[name] = (w.filter(present) * y.filter(present)).sum() / denominator if denominator > 0 else None
    dims = []
    total = 0.0
    for dim in definition["dimensions"]:
        n_d = len(dim["subdimensions"])
        subs = []
        d = 0.0
        for sub in dim["subdimensions"]:
            inds = [i for i in definition["indicators"] if i["subdimension"] == sub["id"]]
            wsum = sum(float(i.get("weight", 1.0)) for i in inds)
            m = 0.0
            for i in inds:
                if p[i["id"]] is None:
                    m = None
                    break
                m += float(i.get("weight", 1.0)) / wsum * p[i["id"]]
            s = None if m is None else (1.0 + 9.0 * m) / n_d
            subs.append({"id": sub["id"], "estimate": s})
            d = None if (d is None or s is None) else d + s
        dims.append({"id": dim["id"], "estimate": d, "subdimensions": subs})
        total = None if (total is None or d is None) else total + d
    return {"indicators": p, "dimensions": dims, "total": total}


def papi_score(export: Path, survey: Path, by: list[str] | None = None) -> dict:
    """`papi score --responses EXPORT --format json`, or the JSON file named by `PAPI_SCORE_JSON`
    (for the whole sample) when it is set."""
    if not by and os.environ.get("PAPI_SCORE_JSON"):
        return json.loads(Path(os.environ["PAPI_SCORE_JSON"]).read_text(encoding="utf-8"))
    args = [papi_binary(), "score", "--survey", str(survey), "--responses", str(export), "--format", "json"]
    for column in by or []:
        args += ["--by", column]
    reference = REPO / "survey-defs/benchmarks/papi-provincial-scores-2011-2024.csv"
    args += ["--reference", str(reference)]
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout)


def assert_agree(ours: dict, group: dict, tolerance: float = 1e-9) -> int:
    """Checks our point estimates against one group of `papi score`'s JSON; returns how many numbers
    were compared. Raises AssertionError naming the first that differs."""
    compared = 0

    def check(what: str, a, b):
        nonlocal compared
        if a is None or b is None:
            assert a is None and b is None, f"{what}: notebook {a}, papi score {b}"
            return
        assert abs(a - b) <= tolerance, f"{what}: notebook {a!r}, papi score {b!r}"
        compared += 1

    for ind in group["indicators"]:
        check(f"indicator {ind['id']}", ours["indicators"][ind["id"]], ind["estimate"])
    for mine, theirs in zip(ours["dimensions"], group["dimensions"], strict=True):
        assert mine["id"] == theirs["id"]
        check(f"dimension {mine['id']}", mine["estimate"], theirs["estimate"])
        for s, t in zip(mine["subdimensions"], theirs["subdimensions"], strict=True):
            check(f"sub-dimension {s['id']}", s["estimate"], t["estimate"])
    check("total", ours["total"], group["total"]["estimate"])
    return compared


def official_baseline(definition: dict, year: int = 2018) -> dict:
    """The province's official dimension scores and total for `year`, from the benchmarks table
    (D1..D8 in the definition's dimension order)."""
    table = pl.read_csv(REPO / "survey-defs/benchmarks/papi-provincial-scores-2011-2024.csv")
    province = definition.get("baseline", {}).get("province", "Bình Định")
    row = table.filter((pl.col("province_vi") == province) & (pl.col("year") == year))
    assert row.height == 1, f"{province} {year} is not in the official table"
    dims = {d["id"]: row[f"D{i + 1}"][0] for i, d in enumerate(definition["dimensions"])}
    return {"province": province, "year": year, "dimensions": dims, "total": row["total_papi"][0]}
