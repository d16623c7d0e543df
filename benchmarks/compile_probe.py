"""Time one model's compilation in this (fresh) process: ``python compile_probe.py baseline|hedgecast``.

Prints one JSON line ``{"which": ..., "compile_s": ...}``. Run by ``benchmarks/run.py`` in
a new process, once with the machine's own disk caches and once with empty ones
(``PYTENSOR_FLAGS=base_compiledir=<empty folder>``), so the table shows both.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(which: str) -> None:
    from hedgecast.workbench import Workbench

    wb = Workbench.load(ROOT)
    lens = wb.lens("baseline")
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    if which == "baseline":
        from baseline_model import build_baseline_model

        model = build_baseline_model(wb.spec, lens, wb.inputs)
        model.compile_logp()
        model.compile_dlogp()
    else:
        from hedgecast.model.fit import compiled_model

        compiled_model(wb.spec, lens, wb.inputs).nutpie_model(lens)
    print(json.dumps({"which": which, "compile_s": time.perf_counter() - t0}))


if __name__ == "__main__":
    main(sys.argv[1])
