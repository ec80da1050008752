"""Where the shared, read-only test material lives (`../shared/` beside the checkout).

Found from the environment (`AVROBIND_SHARED`), then beside any parent of the checkout, then at
the workplace's usual place, so a clone elsewhere (CI, a worktree) still finds it.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _find_shared() -> Path:
    env = os.environ.get("AVROBIND_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" for p in REPO.parents]
    candidates.append(Path("/work/shared"))
    for c in candidates:
        if (c / "corpus" / "MANIFEST.json").is_file():
            return c
    raise FileNotFoundError(
        "the shared test material (corpus, compat vectors) was not found beside the checkout; "
        "set AVROBIND_SHARED to its directory"
    )


SHARED = _find_shared()
CORPUS = SHARED / "corpus"
COMPAT_VECTORS = SHARED / "reference" / "compat-vectors"
