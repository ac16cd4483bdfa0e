#!/usr/bin/python3
"""Differential test: newsd's feed parser against python3-feedparser (Debian's package).

For every feed in the corpus directory, runs `newsd parse --format auto --url <file url> FILE`
and feedparser on the same bytes, and compares per entry (in document order):

  count   the number of entries
  title   whitespace-normalized text (feedparser's HTML titles reduced to text)
  link    the entry's article link (newsd `url`, feedparser `link`)
  time    UTC, published falling back to updated, to the second

feedparser 6.0.10 cannot read JSON Feed, so JSON Feed documents are compared against a direct
reading of the JSON Feed 1.0/1.1 spec with Python's json module instead (items, title, url,
date_published falling back to date_modified).

Every disagreement must be listed in known_differences.json (explained in
known_differences.md); an unlisted disagreement fails the test, and so does a listed one that
no longer occurs (the list must stay true).

Usage: NEWSD_BIN=/path/to/newsd feedparser_diff.py [--glob PATTERN] [FEEDS_DIR]
The directory defaults to $NEWSD_CORPUS_FEEDS, else ../shared/corpus/feeds beside the project.
Exit codes: 0 agree, 1 unexplained disagreements, 77 skipped (corpus or feedparser absent).
"""

import calendar
import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

SKIP = 77
HERE = Path(__file__).resolve().parent


def normalize(text):
    return " ".join((text or "").split())


def feedparser_title(entry):
    title = entry.get("title", "")
    detail = entry.get("title_detail") or {}
    if "html" in (detail.get("type") or ""):
        title = html.unescape(re.sub(r"<[^>]*>", "", title))
    return normalize(title)


def feedparser_time(entry):
    for key in ("published_parsed", "updated_parsed"):
        t = entry.get(key)
        if t:
            return calendar.timegm(t)
    return None


def newsd_time(record):
    for key in ("published_at", "updated_at"):
        v = record.get(key)
        if v:
            return calendar.timegm(time.strptime(v, "%Y-%m-%dT%H:%M:%SZ"))
    return None


def fmt_time(t):
    return "null" if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def run_newsd(binary, path):
    url = path.resolve().as_uri()
    proc = subprocess.run(
        [binary, "parse", "--format", "auto", "--url", url, str(path)],
        capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        return None, proc.stderr.decode("utf-8", "replace").strip()
    records = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines() if line.strip()]
    return records, None


def run_feedparser(feedparser, path):
    data = path.read_bytes()
    # The same base URL newsd gets; a neutral XML content type so the document's own
    # declaration decides the charset, as it does in newsd.
    return feedparser.parse(data, response_headers={
        "content-location": path.resolve().as_uri(),
        "content-type": "application/xml",
    })


def feedparser_reference(feedparser, path):
    parsed = run_feedparser(feedparser, path)
    return [{"title": feedparser_title(e), "link": e.get("link") or None,
             "time": feedparser_time(e)} for e in parsed.entries]


def json_feed_time(text):
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    if not text:
        return None
    for parse in (lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")),
                  parsedate_to_datetime):
        try:
            dt = parse(text)
        except (TypeError, ValueError):
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return int(dt.timestamp())
    return None


def json_feed_reference(path):
    """The JSON Feed spec read literally; None when the file is not a JSON Feed."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or "jsonfeed.org/version/" not in str(doc.get("version", "")):
        return None
    out = []
    for item in doc.get("items") or []:
        out.append({"title": normalize(item.get("title")), "link": item.get("url"),
                    "time": json_feed_time(item.get("date_published"))
                    or json_feed_time(item.get("date_modified"))})
    return out


def compare(name, records, reference):
    """Yields (file, entry, field, newsd_value, reference_value) for each disagreement."""
    if len(records) != len(reference):
        yield (name, "*", "count", len(records), len(reference))
    for i, (rec, ref) in enumerate(zip(records, reference)):
        ours, theirs = normalize(rec.get("title")), ref["title"]
        if ours != theirs:
            yield (name, i, "title", ours, theirs)
        ours, theirs = rec.get("url"), ref["link"]
        if ours != theirs:
            yield (name, i, "link", ours, theirs)
        ours, theirs = newsd_time(rec), ref["time"]
        if ours != theirs:
            yield (name, i, "time", fmt_time(ours), fmt_time(theirs))


def load_allowlist():
    with open(HERE / "known_differences.json", encoding="utf-8") as f:
        data = json.load(f)
    allowed = {}
    for item in data["differences"]:
        key = (item["file"], item["entry"], item["field"])
        if not item.get("reason"):
            raise SystemExit(f"known_differences.json: {key} has no reason")
        allowed[key] = item
    return allowed, dict(data.get("not_compared", {}))


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default=os.environ.get(
        "NEWSD_CORPUS_FEEDS", HERE.parents[2] / "shared" / "corpus" / "feeds"))
    ap.add_argument("--glob", action="append", default=[],
                    help="only files matching (repeatable; default: every file)")
    args = ap.parse_args()
    corpus = Path(args.dir)
    if not corpus.is_dir():
        print(f"SKIP: corpus absent: {corpus}")
        return SKIP
    try:
        import feedparser
    except ImportError:
        print("SKIP: python3-feedparser is not installed (scripts/setup installs it)")
        return SKIP
    binary = os.environ.get("NEWSD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print(f"NEWSD_BIN does not name an executable: {binary!r}")
        return 1

    allowed, not_compared = load_allowlist()
    seen_allowed = set()
    failures = []
    files = sorted(p for p in corpus.iterdir() if p.is_file() and (
        not args.glob or any(p.match(g) for g in args.glob)))
    compared = 0
    for path in files:
        name = path.name
        if name in not_compared:
            print(f"{name}: not compared: {not_compared[name]}")
            continue
        records, error = run_newsd(binary, path)
        if records is None:
            failures.append(f"{name}: newsd failed: {error}")
            continue
        reference = json_feed_reference(path)
        against = "JSON Feed spec"
        if reference is None:
            reference = feedparser_reference(feedparser, path)
            against = "feedparser"
        compared += 1
        diffs = list(compare(name, records, reference))
        for d in diffs:
            key = d[:3]
            if key in allowed or (d[0], "*", d[2]) in allowed:
                seen_allowed.add(key if key in allowed else (d[0], "*", d[2]))
                print(f"{name}[{d[1]}] {d[2]}: known difference: newsd={d[3]!r} {against}={d[4]!r}")
            else:
                failures.append(f"{name}[{d[1]}] {d[2]}: newsd={d[3]!r} {against}={d[4]!r}")
        print(f"{name}: {len(records)} entries, {len(diffs)} difference(s) against {against}")

    for key in sorted(set(allowed) - seen_allowed, key=str):
        if key[0] in {p.name for p in files}:
            failures.append(f"stale entry in known_differences.json (no longer differs): {key}")

    print(f"compared {compared} feeds (feedparser {feedparser.__version__})")
    if failures:
        print("\nUNEXPLAINED DISAGREEMENTS:")
        for f in failures:
            print("  " + f)
        return 1
    print("all disagreements are known and explained")
    return 0


if __name__ == "__main__":
    sys.exit(main())
