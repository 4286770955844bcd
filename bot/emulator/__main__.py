"""`python -m bot.emulator refresh-spec [api.json]`: rewrite botapi.json from the official spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.emulator.spec import BUNDLED_PATH, SPEC_PATH, compact


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "refresh-spec" or len(argv) > 2:
        print("usage: python -m bot.emulator refresh-spec [path/to/api.json]", file=sys.stderr)
        return 2
    source = Path(argv[1]) if len(argv) > 1 else SPEC_PATH
    facts = compact(json.loads(source.read_text(encoding="utf-8")))
    BUNDLED_PATH.write_text(json.dumps(facts, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {BUNDLED_PATH} from {source} ({facts['version']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
