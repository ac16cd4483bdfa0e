#!/usr/bin/python3
"""Differential test: `newsd import-opml` against python3-listparser (Debian's package).

For every OPML file in the directory, compares the feeds listparser finds (URL, in document
order, duplicates merged) with the sources newsd imports, and the category newsd gives each
source with the innermost folder listparser reports (compared as ASCII slugs when the folder
name is ASCII, else only whether there is one). Every YAML newsd prints must also pass
`newsd check-config` once a kafka section is added.

Each disagreement must be explained by a named difference, checked on the case itself, and
listed for its file in known_differences_readers.json ("opml"), described in
known_differences.md; an unlisted one fails the test, and so does a listed one that no
longer occurs.

Usage: NEWSD_BIN=/path/to/newsd opml_diff.py [--glob PATTERN] [DIR]
Exit codes: 0 agree or explained, 1 unexplained disagreements, 77 skipped.
"""

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SKIP = 77
HERE = Path(__file__).resolve().parent


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def listparser_feeds(listparser, path):
    data = path.read_bytes()
    try:
        result = listparser.parse(io.BytesIO(data))
    except ValueError:
        # listparser 0.18 re-reads a closed file when it retries a document with undeclared
        # entities; a str is accepted when it starts with '<'.
        result = listparser.parse(data.decode("utf-8", "replace").lstrip("\ufeff"))
    return result


def newsd_import(binary, path):
    proc = subprocess.run([binary, "import-opml", str(path)], capture_output=True, timeout=120,
                          check=False)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")


def check_config(binary, yaml_text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("kafka: {brokers: 127.0.0.1:9092}\n" + yaml_text)
        name = f.name
    try:
        proc = subprocess.run([binary, "check-config", name], capture_output=True, timeout=60,
                              check=False)
        return proc.returncode, proc.stderr.decode("utf-8", "replace")
    finally:
        os.unlink(name)


def compare(path, yaml, listparser, binary):
    """(list of (difference name or None, message), decisions compared, agreements)."""
    out = []
    ref = listparser_feeds(listparser, path)
    rc, stdout, stderr = newsd_import(binary, path)
    if rc != 0:
        if ref.bozo and "not well-formed XML" in stderr:
            out.append(("not-well-formed-refused", f"newsd refuses: {stderr.strip()}; listparser "
                        f"reads {len(ref.feeds)} feeds from the broken document"))
        elif not ref.feeds and "has no <body>" in stderr:
            out.append(("no-body-is-an-error", f"newsd: {stderr.strip()}; listparser: no feeds"))
        else:
            out.append((None, f"newsd import-opml exited {rc}: {stderr.strip()}"))
        return out, 1, 0
    sources = (yaml.safe_load(stdout) or {}).get("sources") or []
    crc, cerr = check_config(binary, stdout)
    if crc != 0:
        out.append((None, f"newsd check-config rejects the imported YAML: {cerr.strip()}"))
    ours = {s["url"]: s for s in sources}
    compared = agreed = 0
    for feed in ref.feeds:
        compared += 1
        url = feed.url
        if url not in ours:
            if not re.match(r"https?://", url) and f"xmlUrl '{url}' is not an http" in stderr:
                out.append(("non-http-url-skipped", f"{url}: not an http(s) URL, skipped"))
            else:
                out.append((None, f"{url}: listparser feed that newsd did not import"))
            continue
        # listparser lists the `category` attribute's paths, then the folders around the
        # outline; newsd takes the innermost folder, else the attribute's first path.
        folders = [c for c in (feed.get("categories") or []) if c]
        innermost = [next((x for x in reversed(c) if x), "") for c in folders]
        got = ours[url].get("category")
        if innermost and all(x.isascii() for x in innermost):
            ok = got in {slug(x) for x in innermost if slug(x)} or (
                got is None and not any(slug(x) for x in innermost))
        else:
            ok = bool(got) == any(innermost)
        if ok:
            agreed += 1
        else:
            out.append((None, f"{url}: category newsd {got!r}, listparser {folders!r}"))
    urls = [f.url for f in ref.feeds]
    for s in sources:
        if s["url"] not in urls:
            compared += 1
            out.append((None, f"{s['url']}: imported by newsd, not a feed for listparser"))
    # Document order must agree too.
    order = [u for u in urls if u in ours]
    if order != [s["url"] for s in sources if s["url"] in urls]:
        out.append((None, "feeds in another order"))
    return out, compared, agreed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glob", action="append")
    ap.add_argument("dir", nargs="?")
    args = ap.parse_args()
    directory = Path(args.dir or os.environ.get("NEWSD_CORPUS_OPML", "")
                     or HERE.parents[1] / ".." / "shared" / "corpus" / "opml")
    if not directory.is_dir():
        print(f"SKIP: corpus absent: {directory}")
        return SKIP
    try:
        import listparser
        import yaml
    except ImportError:
        print("SKIP: python3-listparser or python3-yaml is not installed (scripts/setup)")
        return SKIP
    binary = os.environ.get("NEWSD_BIN", "newsd")
    with open(HERE / "known_differences_readers.json", encoding="utf-8") as f:
        known = json.load(f)["opml"]
    patterns = args.glob or ["*.opml", "*.xml"]
    files = sorted({p for g in patterns for p in directory.glob(g) if p.is_file()})
    unexplained, seen, total, agreed_total = [], {}, 0, 0
    for path in files:
        diffs, compared, agreed = compare(path, yaml, listparser, binary)
        total += compared
        agreed_total += agreed
        for why, message in diffs:
            if why is None or why not in known.get(path.name, []):
                unexplained.append(f"{path.name}: {message}" + (f" [{why}, not listed]" if why else ""))
            else:
                seen.setdefault(path.name, set()).add(why)
    stale = [f"{name}: {why}" for name, whys in known.items() for why in whys
             if any(p.name == name for p in files) and why not in seen.get(name, set())]
    print(f"opml: {len(files)} files, {total} feeds compared, {agreed_total} agree, "
          f"{len(unexplained)} unexplained")
    for name, whys in sorted(seen.items()):
        print(f"  {name}: " + ", ".join(sorted(whys)))
    for line in unexplained:
        print(f"UNEXPLAINED: {line}")
    for line in stale:
        print(f"STALE (listed, no longer occurs): {line}")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
