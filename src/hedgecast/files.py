"""Writing files safely, and the one JSON encoding the project uses.

Every file hedgecast writes for a user (reports, lenses, runs' manifests, results of stress
and validation) goes through :func:`write_atomic`: a temporary file in the same folder,
flushed and fsynced, then ``os.replace``. A crash or a kill while writing leaves the previous
file intact, never half a file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def write_atomic(path: str | Path, data: str | bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` atomically.

    On any failure the temporary file is removed and an existing ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def json_default(o: Any) -> Any:
    """``json`` encoder fallback for NumPy scalars and arrays (and paths)."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot serialize {type(o).__name__} as JSON")


def dumps(obj: Any, *, indent: int | None = 1, allow_nan: bool = True) -> str:
    """JSON text of ``obj`` the way every hedgecast file writes it (NumPy values allowed)."""
    return json.dumps(obj, indent=indent, default=json_default, allow_nan=allow_nan, ensure_ascii=False)


def write_json(path: str | Path, obj: Any, **kwargs: Any) -> Path:
    """:func:`dumps` then :func:`write_atomic`."""
    return write_atomic(path, dumps(obj, **kwargs))


def json_safe(x: Any) -> Any:
    """``x`` with NaN/±inf as None and NumPy values as Python ones, recursively (for ``allow_nan=False`` JSON)."""
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def records(table: Any) -> list[dict]:
    """Rows of a pandas DataFrame as JSON-safe dicts (:func:`json_safe`)."""
    return [json_safe(row) for row in table.to_dict(orient="records")]
