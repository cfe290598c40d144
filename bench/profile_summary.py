"""Where a server's time went, from a py-spy profile in collapsed-stack form: the functions seen most, inclusively.

Usage (while ``sessions.py`` runs against that server):

    py-spy record --pid <web worker pid> --duration 30 --rate 100 --format raw --output profile.txt
    .venv/bin/python bench/profile_summary.py profile.txt [--top 40] [--match ava_app/]

Each line of the output is one function (file and name, line numbers folded) and the share of samples whose stack
contains it; ``--match`` keeps only functions whose file contains the text (e.g. ``ava_app/`` for AVA's own code,
``reflex`` for the framework's). The first lines give the shares of three groups: samples with any AVA frame, with
a database driver frame (SQLAlchemy, psycopg, sqlite3), and the rest.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
SITE = re.compile(r".*/site-packages/")


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for raw in stack.split(";"):
            found = FRAME.match(raw.strip())
            if found:
                file = SITE.sub("", found.group("file"))
                file = re.sub(r".*/(ava_app|bench)/", r"\1/", file)
                frames.append(f"{file}:{found.group('name')}")
            else:
                frames.append(raw.strip())
        stacks.append((frames, int(count)))
    return stacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    parser.add_argument(
        "--within", default="", help="only stacks with a frame containing this (e.g. run_forever: the event loop)"
    )
    args = parser.parse_args()
    stacks = parse(args.profile)
    if args.within:
        stacks = [(frames, count) for frames, count in stacks if any(args.within in frame for frame in frames)]
    total = sum(count for _frames, count in stacks) or 1
    inclusive: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    for frames, count in stacks:
        for frame in set(frames):
            inclusive[frame] += count
        if any(frame.startswith("ava_app/") for frame in frames):
            groups["AVA code (ava_app/) in the stack"] += count
        if any(re.match(r"(sqlalchemy|psycopg|sqlite3|sqlmodel)", frame) for frame in frames):
            groups["database driver or ORM in the stack"] += count
        if not any(frame.startswith("ava_app/") for frame in frames):
            groups["no AVA frame (Reflex, socket.io, granian, asyncio)"] += count
    print(f"{total} samples")
    for name, count in groups.most_common():
        print(f"  {100 * count / total:5.1f} %  {name}")
    print()
    shown = 0
    for frame, count in inclusive.most_common():
        if args.match and args.match not in frame:
            continue
        print(f"  {100 * count / total:5.1f} %  {frame}")
        shown += 1
        if shown >= args.top:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
