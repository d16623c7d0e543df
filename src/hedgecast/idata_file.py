"""A saved run's InferenceData, each group opened from its NetCDF file the first time it is used.

``az.from_netcdf`` opens every group of the file (posterior, warm-up, log-likelihood, log
prior, posterior predictive, the forecast …) even when its data stay on disk; a report that
reuses eight saved runs spent seconds just opening groups it never reads (the Lenses section
reads nothing of the other lenses' draws when it comes from the section cache).
:func:`open_idata` returns an :class:`~arviz.InferenceData` that knows its groups' names
and opens a group (lazily, as ArviZ does) on first access: ``idata.posterior``,
``idata["prior"]``, ``idata.groups()``, ``"predictions" in idata``, ``idata.copy()`` and
everything ArviZ does with it work as with ``az.from_netcdf``.

The file must stay where it is while the object is in use (as with ArviZ's own lazy loading).
"""

from __future__ import annotations

import os
from pathlib import Path

import arviz as az
import xarray as xr
from arviz.data.inference_data import WARMUP_TAG

__all__ = ["LazyInferenceData", "open_idata", "variable_names"]

ENGINE = "h5netcdf"


class LazyInferenceData(az.InferenceData):
    """An InferenceData whose groups are opened from ``path`` when first used (see :func:`open_idata`)."""

    def __init__(self, path: str | os.PathLike, groups: list[str], attrs: dict):
        super().__init__(attrs=attrs)
        self.__dict__["netcdf_path"] = str(path)
        for group in groups:
            (self._groups_warmup if group.startswith(WARMUP_TAG) else self._groups).append(group)

    def __getattr__(self, name: str):
        # only called for attributes not set yet: a group not opened so far
        state = self.__dict__
        path = state.get("netcdf_path")
        if path is None or (name not in state.get("_groups", ()) and name not in state.get("_groups_warmup", ())):
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        dataset = xr.open_dataset(path, group=name, engine=ENGINE)
        if az.rcParams["data.load"] == "eager":
            with dataset:
                dataset = dataset.load()
        object.__setattr__(self, name, dataset)
        return dataset

    def opened(self) -> list[str]:
        """The groups opened so far."""
        return [g for g in self.groups() if g in self.__dict__]

    def variable_names(self, group: str) -> list[str]:
        """The variables of ``group`` but its dimensions, from the file's header when the group is not open (no data is read).

        Read from the header, non-dimension coordinates are listed too (ArviZ's groups rarely have any).
        """
        if group in self.__dict__:
            return list(self.__dict__[group].data_vars)
        import h5netcdf

        with h5netcdf.File(self.netcdf_path, mode="r") as handle:
            found = handle.groups[group]
            return [name for name in found.variables if name not in found.dimensions]


def group_names(path: str | os.PathLike) -> list[str]:
    """The groups of an InferenceData NetCDF file, in file order."""
    import h5netcdf

    with h5netcdf.File(path, mode="r") as handle:
        return list(handle.groups)


def open_idata(path: str | os.PathLike) -> LazyInferenceData:
    """The InferenceData saved at ``path`` (by ``InferenceData.to_netcdf``), each group opened on first use."""
    path = Path(path)
    groups = group_names(path)
    with xr.open_dataset(path, engine=ENGINE) as root:
        attrs = dict(root.load().attrs)
    return LazyInferenceData(path, groups, attrs)


def variable_names(idata: az.InferenceData, group: str) -> list[str]:
    """The variables of ``idata``'s ``group`` (without opening it when ``idata`` came from :func:`open_idata`)."""
    if isinstance(idata, LazyInferenceData):
        return idata.variable_names(group)
    return list(idata[group].data_vars)
