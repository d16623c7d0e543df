"""hedgecast: Bayesian scenario forecasting of Türkiye–Russia relations.

Start with :class:`hedgecast.Workbench`::

    import hedgecast as hc
    wb = hc.Workbench.load()
    fit = wb.fit("baseline")
    fit.forecast().class_probabilities().sel(year=2030)
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("hedgecast")
except _metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"

from hedgecast.errors import DataError, HedgecastError, SpecError
from hedgecast.workbench import Fit, Workbench

__all__ = ["DataError", "Fit", "HedgecastError", "SpecError", "Workbench", "__version__"]
