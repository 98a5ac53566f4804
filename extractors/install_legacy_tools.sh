#!/bin/sh
# Install the converters extractors/legacy.py uses for .doc/.wps (antiword, catdoc) and .xls
# (xls2csv, part of catdoc). Installs with apt-get only when running as root with apt-get
# available; otherwise prints what to install. Always exits 0: the tools are optional, legacy
# files are quarantined with an "install antiword or catdoc" reason when they are missing.
set -u

missing=""
command -v antiword >/dev/null 2>&1 || missing="$missing antiword"
command -v catdoc >/dev/null 2>&1 || missing="$missing catdoc"
command -v xls2csv >/dev/null 2>&1 || case "$missing" in *catdoc*) ;; *) missing="$missing catdoc" ;; esac

if [ -z "$missing" ]; then
    echo "legacy converters present: antiword, catdoc, xls2csv"
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
        || { apt-get update && DEBIAN_FRONTEND=noninteractive \
             apt-get install -y --no-install-recommends $missing; }; then
        exit 0
    fi
    echo "apt-get could not install:$missing (legacy .doc/.wps/.xls files will be quarantined)"
    exit 0
fi

echo "missing:$missing"
echo "install them to read legacy .doc/.wps/.xls files, e.g.: sudo apt-get install$missing"
echo "(macOS: brew install antiword catdoc)"
exit 0
