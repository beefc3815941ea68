#!/usr/bin/env python3
"""Prints num2words' English and French words for every integer 0 … 999,999, one number per line:
"<english>\t<french>", after a first line "# num2words <version>". Read by lib/data/number-words-compare.ts, which compares them with the course's
generators (lib/data/numberWordsEn.ts, numberWordsFr.ts). Needs Debian's python3-num2words (0.5.10)."""
import sys

from importlib.metadata import PackageNotFoundError, version

from num2words import num2words

LAST = 999_999

def main() -> None:
    out = sys.stdout
    try:
        release = version("num2words")
    except PackageNotFoundError:
        release = "unknown"
    out.write(f"# num2words {release}\n")
    lines = []
    for n in range(LAST + 1):
        lines.append(f"{num2words(n, lang='en')}\t{num2words(n, lang='fr')}\n")
        if len(lines) == 10_000:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))

if __name__ == "__main__":
    main()
