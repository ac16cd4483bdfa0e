#!/usr/bin/python3
"""Differential test: newsd's robots.txt matcher against python3-protego (Debian's package).

For every robots.txt file in the directory, builds URL paths from the file's own rules (each
pattern as written, with its wildcards filled in, one character shorter, longer, with a query,
percent-encoded) plus generic ones, and asks both `newsd robots --agent A FILE URL...` and
protego's can_fetch(URL, A) for the agents newsd, Googlebot and *.

protego 0.2.1 departs from RFC 9309 in known ways; each disagreement must be explained by one
of the named deviations below, each checked on the case itself (not assumed), and written up
in known_differences.md. An unexplained disagreement fails the test; so does a deviation
listed for a file where it no longer occurs (the list must stay true).

Usage: NEWSD_BIN=/path/to/newsd robots_diff.py [--glob PATTERN] [DIR]
Exit codes: 0 agree or explained, 1 unexplained disagreements, 77 skipped.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

SKIP = 77
HERE = Path(__file__).resolve().parent
AGENTS = ["newsd", "Googlebot", "*"]
GENERIC = [
    "/", "/index.html", "/robots.txt", "/news/2024/04/18/story.html", "/search?q=news",
    "/a b", "/%7Euser/", "/~user/", "/caf%C3%A9/", "/café/", "/ad$", "/x*y", "/?", "/;x",
    "/wp-admin/", "/cgi-bin/test.cgi", "/feed/", "/tag/news?page=2", "/A/B/../C",
]


def read_text(path):
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def rule_values(text):
    """The values of Allow/Disallow lines as written (with or without a colon)."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"(?i)(allow|disallow)\s*:?\s*(\S*)", line)
        if m and m.group(2):
            out.append(m.group(2))
    return out


def paths_for(text):
    paths = set(GENERIC)
    for value in rule_values(text):
        p = value if value.startswith("/") else "/" + value
        filled = p.replace("*", "x")
        bare = filled[:-1] if filled.endswith("$") else filled
        for v in (bare, bare + "x", bare + "/y", bare + "?q=1", bare[:-1] or "/",
                  bare.replace("x", ""), quote(bare, safe="/?=&%$*")):
            # "//x" would be a host in URL syntax, not a path.
            if v and not v.startswith("//"):
                paths.add(v if v.startswith("/") else "/" + v)
    return sorted(paths)


def run_newsd(binary, path, agent, urls):
    verdicts = {}
    # Several calls: an argument list has a size limit.
    for k in range(0, len(urls), 400):
        chunk = urls[k:k + 400]
        proc = subprocess.run([binary, "robots", "--agent", agent, str(path), *chunk],
                              capture_output=True, timeout=120, check=False)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{path.name}: newsd robots exited {proc.returncode}: "
                             f"{proc.stderr.decode('utf-8', 'replace')}")
        lines = proc.stdout.decode("utf-8").splitlines()
        if len(lines) != len(chunk):
            raise SystemExit(f"{path.name}: {len(lines)} verdicts for {len(chunk)} URLs")
        for url, line in zip(chunk, lines):
            verdict, echoed, rule = line.split("\t", 2)
            assert echoed == url, (echoed, url)
            verdicts[url] = (verdict == "allowed", rule)
    return verdicts


# ---- protego's known deviations, each checked on the case at hand -----------------------

RESERVED = ":/?#[]@!$&'()*+,;="
Protego = None  # imported in main(): the test skips without python3-protego


def product_token(ua):
    return re.match(r"[A-Za-z_-]*", ua).group(0).lower()


def rfc_groups(text, agent):
    """The user-agent values (lowered) RFC 9309 picks for `agent`: those whose product token
    is the agent's, else *."""
    token = product_token(agent) if agent != "*" else ""
    written = [v.lower() for v in
               re.findall(r"(?im)^[ \t]*user-agent[ \t]*:?[ \t]*([^#\s]+)", text)]
    named = {w for w in written if token and product_token(w) == token}
    return named or ({"*"} & set(written))


def decode_reserved(url):
    return re.sub(r"%([0-9A-Fa-f]{2})",
                  lambda m: chr(int(m.group(1), 16)) if chr(int(m.group(1), 16)) in RESERVED
                  and chr(int(m.group(1), 16)) not in "/?#" else m.group(0), url)


def encode_reserved(url):
    path, sep, query = url.partition("?")
    return "".join(f"%{ord(c):02X}" if c in RESERVED and c not in "/?#*$" else c
                   for c in path) + sep + query


def variants(url):
    """URLs that protego does not tell apart from `url`, but RFC 9309 does."""
    out = {}
    if url.endswith("?"):
        out["empty-query-dropped"] = url[:-1]
    if decode_reserved(url) != url:
        out["reserved-characters-decoded"] = decode_reserved(url)
    if encode_reserved(url) != url:
        out["reserved-characters-decoded "] = encode_reserved(url)
    return out


def deviation(rp, text, agent, url, allowed, theirs, newsd_on):
    """The name of the protego deviation that explains this disagreement, or None.
    `newsd_on(u)` is newsd's verdict for another URL of the same file and agent."""
    if url == "/robots.txt" and allowed:
        return "robots-txt-implicitly-allowed"
    rs = rp._get_matching_rule_set(agent)
    picked = rs.user_agent if rs is not None else None
    if picked is not None and picked not in rfc_groups(text, agent):
        return "user-agent-substring"
    # protego reads a file that starts with a BOM as if its first line were not there.
    if text.startswith("\ufeff") and Protego.parse(text[1:]).can_fetch(url, agent) == allowed:
        return "bom-not-stripped"
    # protego reads "disallow /x" without a colon, but not "Disallow /x" (its check is
    # case-sensitive).
    repaired = re.sub(r"(?im)^([ \t]*(?:allow|disallow|user-agent))[ \t]+(?=[^:\s])", r"\1: ",
                      text)
    if repaired != text and Protego.parse(repaired).can_fetch(url, agent) == allowed:
        return "rule-without-colon"
    # protego allows a directory when its index.html is allowed.
    directory = url[:-1] if url.endswith("?") else url
    if not allowed and theirs and directory.endswith("/") and re.search(
            r"(?im)^[ \t]*allow[ \t]*:?[ \t]*" + re.escape(directory) + r"index\.html[ \t]*$",
            text):
        return "index-html-allows-directory"
    for name, other in variants(url).items():
        if newsd_on(other) == theirs:
            return name.strip()
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glob", action="append")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("dir", nargs="?")
    args = ap.parse_args()
    directory = Path(args.dir or os.environ.get("NEWSD_CORPUS_ROBOTS", "")
                     or HERE.parents[1] / ".." / "shared" / "corpus" / "robots")
    if not directory.is_dir():
        print(f"SKIP: corpus absent: {directory}")
        return SKIP
    global Protego
    try:
        from protego import Protego
    except ImportError:
        print("SKIP: python3-protego is not installed (scripts/setup installs it)")
        return SKIP
    binary = os.environ.get("NEWSD_BIN", "newsd")
    with open(HERE / "known_differences_readers.json", encoding="utf-8") as f:
        known = json.load(f)["robots"]
    patterns = args.glob or ["*"]
    files = sorted({p for g in patterns for p in directory.glob(g) if p.is_file()})
    unexplained, seen, compared, agreed = [], {}, 0, 0
    for path in files:
        text = read_text(path)
        rp = Protego.parse(text)
        urls = paths_for(text)
        for agent in AGENTS:
            ours = run_newsd(binary, path, agent, urls)
            differing = [u for u in urls if ours[u][0] != rp.can_fetch(u, agent)]
            extra = sorted({v for u in differing for v in variants(u).values()} - set(ours))
            if extra:
                ours.update(run_newsd(binary, path, agent, extra))
            for url in urls:
                compared += 1
                theirs = rp.can_fetch(url, agent)
                allowed, rule = ours[url]
                if allowed == theirs:
                    agreed += 1
                    continue
                why = deviation(rp, text, agent, url, allowed, theirs, lambda u: ours[u][0])
                line = (f"{path.name} agent={agent} {url}: newsd "
                        f"{'allowed' if allowed else 'disallowed'} ({rule}), protego "
                        f"{'allowed' if theirs else 'disallowed'}")
                if why is None or why not in known.get(path.name, []):
                    unexplained.append(line + (f" [{why}, not listed for this file]" if why else ""))
                else:
                    seen.setdefault(path.name, {}).setdefault(why, 0)
                    seen[path.name][why] += 1
                    if args.verbose:
                        print(f"known {why}: {line}")
    stale = [f"{name}: {why}" for name, whys in known.items() for why in whys
             if any(p.name == name for p in files) and why not in seen.get(name, {})]
    print(f"robots: {len(files)} files, {compared} decisions compared, {agreed} agree, "
          f"{compared - agreed - len(unexplained)} explained by listed deviations, "
          f"{len(unexplained)} unexplained")
    for name, whys in sorted(seen.items()):
        print(f"  {name}: " + ", ".join(f"{w} x{n}" for w, n in sorted(whys.items())))
    for line in unexplained:
        print(f"UNEXPLAINED: {line}")
    for line in stale:
        print(f"STALE (listed, no longer occurs): {line}")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
