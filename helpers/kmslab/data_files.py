"""The course's data files (helpers/kmslab/data/*.json): the packaged copy, or a file a test names."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any


def read_json(name: str, path: str | Path | None = None) -> Any:
    """The JSON of data file `name` as installed with kmslab, or of `path` when given."""
    if path is None:
        text = resources.files("kmslab").joinpath("data", name).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return json.loads(text)
