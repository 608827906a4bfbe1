#!/usr/bin/env bash
# Builds rill's documentation into build/docs/site and checks it: the guide
# (MkDocs, --strict), the API reference (Doxygen; an undocumented public name
# or any warning fails), that every C++ block of the guide is one of the
# tested programs of docs/snippets, and that every internal link and anchor
# of the built site resolves. Open build/docs/site/index.html in a browser.
# (The programs themselves are built and run by the test presets: ctest -L docs.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

site=build/docs/site
rm -rf "$site"
mkdir -p build/docs
python3 docs/tools/check_docs.py guide
/usr/bin/python3 -m mkdocs build --strict --quiet -f docs/mkdocs.yml
doxygen docs/Doxyfile
python3 docs/tools/check_docs.py site "$site"
echo "docs.sh: site in $site (open $site/index.html)"
