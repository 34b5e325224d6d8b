"""Reads an XLSX export with openpyxl (PyPI), a reader independent of papi's and of calamine, and
compares its data sheet with the CSV export of the same interviews, cell by cell.

Usage: python3 openpyxl_check.py EXPORT.xlsx EXPORT.csv
Prints one line of counts; exits non-zero with the first differences otherwise.
"""

import csv
import sys

import openpyxl


def main(xlsx_path, csv_path):
    book = openpyxl.load_workbook(xlsx_path, read_only=False)
    if book.sheetnames != ["data", "codebook", "about"]:
        sys.exit(f"sheets: {book.sheetnames}")
    data = book["data"]
    if data.freeze_panes != "B3":
        sys.exit(f"frozen panes: {data.freeze_panes}, not B3")
    rows = list(data.iter_rows(values_only=True))
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        expected = list(csv.reader(f))
    header = expected[0]
    if list(rows[0][: len(header)]) != header:
        sys.exit(f"row 1 is not the column ids: {rows[0][:5]}...")
    if len(rows) - 2 != len(expected) - 1:
        sys.exit(f"{len(rows) - 2} interview rows, the CSV has {len(expected) - 1}")
    problems = []
    numbers = 0
    for r, (got, want) in enumerate(zip(rows[2:], expected[1:]), start=3):
        got = list(got) + [None] * (len(want) - len(got))
        for column, g, w in zip(header, got, want):
            if isinstance(g, (int, float)) and not isinstance(g, bool):
                numbers += 1
                ok = w != "" and float(w) == float(g)
            else:
                ok = (g if g is not None else "") == w
            if not ok:
                problems.append(f"row {r}, {column}: {g!r} in the XLSX, {w!r} in the CSV")
    if problems:
        sys.exit("\n".join(problems[:10]))
    codebook = list(book["codebook"].iter_rows(values_only=True))
    print(f"openpyxl {openpyxl.__version__}: {len(rows) - 2} rows, {len(header)} columns, "
          f"{numbers} numbers, {len(codebook) - 1} codebook rows")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
