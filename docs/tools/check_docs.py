#!/usr/bin/env python3
"""Checks rill's documentation beyond what mkdocs --strict and doxygen check.

    check_docs.py guide    every code block of the guide is a tested program
    check_docs.py site     every internal link of the built site resolves

guide: docs/guide/*.md may show code only by including a file that a test
builds and runs: a program of docs/snippets (--8<-- "name.cpp"), which
docs/CMakeLists.txt builds, runs and compares with name.out, or a file of
examples/ or tests/consumer/ (the tour, the distributed example, the CMake
consumer project), which are tests too. A block written inline would not be
tested. Shell blocks (commands to type) are the only inline blocks allowed.
Every snippet must be shown somewhere. README.md, which GitHub renders
without includes, may show C++ only as an exact copy of a snippet.

site: every href and src of every page of the built site (the guide and the
API reference) that stays inside the site must name a file that exists and,
with a #fragment, an element of that page with that id (or a named anchor).
"""
import html.parser
import pathlib
import re
import sys
import urllib.parse

DOCS = pathlib.Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
SNIPPETS = DOCS / "snippets"
TESTED_TREES = (ROOT / "examples", ROOT / "tests" / "consumer")
GUIDE = DOCS / "guide"

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')
COMMAND_LANGUAGES = {"sh", "console"}


def code_blocks(page):
    """(line number, language, body lines) of each fenced block of a page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, fence, lang = i, m["fence"], m["lang"]
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        yield start + 1, lang, body


def check_guide():
    problems = []
    shown = set()
    for page in sorted(GUIDE.rglob("*.md")):
        for line, lang, body in code_blocks(page):
            where = f"{page.relative_to(DOCS)}:{line}"
            if lang in COMMAND_LANGUAGES:
                continue
            content = [line for line in body if line.strip()]
            include = INCLUDE.match(content[0]) if len(content) == 1 else None
            if not include:
                problems.append(f"{where}: a ```{lang or '(none)'} block written inline; "
                                "put the program in docs/snippets and include it")
                continue
            snippet, tested = SNIPPETS / include["path"], (ROOT / include["path"]).resolve()
            if snippet.is_file() and snippet.suffix in (".cpp", ".out"):
                shown.add(snippet.name)
            elif not (tested.is_file() and any(tree in tested.parents for tree in TESTED_TREES)):
                problems.append(f"{where}: includes {include['path']}: neither a program of "
                                "docs/snippets nor a file of examples/ or tests/consumer/")
    for snippet in sorted(SNIPPETS.glob("*.cpp")):
        if snippet.name not in shown:
            problems.append(f"docs/snippets/{snippet.name}: no page of the guide shows it")
    snippets = {s.read_text(encoding="utf-8").rstrip("\n") for s in SNIPPETS.glob("*.cpp")}
    for line, lang, body in code_blocks(ROOT / "README.md"):
        if lang not in COMMAND_LANGUAGES and "\n".join(body) not in snippets:
            problems.append(f"README.md:{line}: a ```{lang or '(none)'} block that is not "
                            "an exact copy of a program of docs/snippets")
    return problems


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.anchors = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id",) + (("name",) if tag == "a" else ()):
            if attrs.get(key):
                self.anchors.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and tag in ("a", "img", "link", "script", "iframe"):
                self.links.append(attrs[key])


def check_site(site):
    site = pathlib.Path(site).resolve()
    pages = {}

    def parsed(path):
        if path not in pages:
            parser = _Links()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            pages[path] = parser
        return pages[path]

    problems = []
    checked = 0
    for page in sorted(site.rglob("*.html")):
        for link in parsed(page).links:
            url = urllib.parse.urlsplit(link)
            if url.scheme or url.netloc:
                continue  # outside the site
            path = urllib.parse.unquote(url.path)
            # A root-relative path (404.html has them) is relative to the site's root.
            base = site if path.startswith("/") else page.parent
            target = page if not path else (base / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {link}"
            checked += 1
            if site not in target.parents and target != site:
                problems.append(f"{where}: leaves the site")
            elif not target.is_file():
                problems.append(f"{where}: no such file")
            elif url.fragment and target.suffix == ".html" \
                    and urllib.parse.unquote(url.fragment) not in parsed(target).anchors:
                problems.append(f"{where}: no anchor #{url.fragment} in {target.relative_to(site)}")
    print(f"check_docs.py: {checked} internal links in {len(pages)} pages checked")
    return problems


def main(argv):
    if len(argv) == 2 and argv[1] == "guide":
        problems = check_guide()
    elif len(argv) == 3 and argv[1] == "site":
        problems = check_site(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
