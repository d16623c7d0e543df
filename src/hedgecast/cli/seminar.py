"""``hedgecast seminar``: the seminar room's web server (see :mod:`hedgecast.seminar.app`).

    hedgecast seminar                                  # baseline lens, on this computer only
    hedgecast seminar --host 0.0.0.0 --port 8765       # the room's network (warns: no TLS)
    hedgecast seminar -a escalation_ties -a cushion -a incident_intercept
    hedgecast seminar --scheduler tcp://10.0.0.5:8786  # refits on a dask cluster

The server starts at once and prints the facilitator's link (with a new secret token); in the
background it reuses the latest passing saved fit of the lens for the current spec (or fits
once and saves it as a run) while the pages show the progress, then opens the room and prints
the participants' link, join code and QR code. It serves until Ctrl-C. The record lives in
``seminars/seminar.sqlite3``; a restarted server resumes the open session of the same lens.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hedgecast.cli.app import STATE, app, console, out
from hedgecast.cli.options import load_lenses, sampler_options, sampler_settings, shared_options

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Sampling(sampler_options()):
    """The sampler settings of the fit the room stands on (only used when no saved run can be reused)."""

    def settings(self):
        return sampler_settings(self.draws, self.tune, self.chains, self.seed)


@app.command()
@shared_options(Sampling)
def seminar(
    sampling: Sampling,
    lens: Annotated[str, typer.Option("--lens", "-l", help="The lens whose priors the room answers about.")] = "baseline",
    host: Annotated[
        str, typer.Option(help="Address to serve on. Anything but 127.0.0.1 shares the room on that network (without TLS).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing dask scheduler (tcp://host:8786) for refits, instead of a local worker.")
    ] = None,
    assumption: Annotated[
        list[str] | None,
        typer.Option("--assumption", "-a", help="A lens prior to put to the room (repeatable, 3–6). Default: the most influential ones."),
    ] = None,
    new_session: Annotated[bool, typer.Option("--new-session", help="Start a new session instead of resuming the open one.")] = False,
    test_room: Annotated[str | None, typer.Option(hidden=True, help="Tests only: FILE.py:FUNCTION returning a room.")] = None,
) -> None:
    """Run a seminar: every participant answers on their own device and sees their forecast beside the room's, live."""
    import uvicorn

    from hedgecast.config import Paths
    from hedgecast.seminar.app import create_app
    from hedgecast.seminar.opening import Opening
    from hedgecast.seminar.security import new_token
    from hedgecast.seminar.service import Seminar
    from hedgecast.seminar.store import Store

    if not 0 < port < 65536:
        raise typer.BadParameter(f"--port must be between 1 and 65535 (got {port})")
    paths = Paths.discover(STATE["root"])
    lens_name = "test" if test_room else lens
    if not test_room:
        wb, checked = _check_lens(paths, lens, assumption)  # bad input stops here, before the server starts
        lens_name, settings = checked.name, sampling.settings()
    store = Store(paths.root / "seminars" / "seminar.sqlite3")
    token = new_token()
    shown = _shown_host(host)
    base = f"http://{shown}:{port}"

    def build(opening: Opening) -> Seminar:
        if test_room:
            room, runner = _test_room(test_room, assumption)
        else:
            room, runner = _room_from_fit(wb, checked, settings, assumption, scheduler, opening)
        opening.step("Opening the room")
        results = paths.root / "reports" / "seminar.json"
        return Seminar(
            room, store, lens=lens_name, token=token, runner=runner, new_session=new_session, results_path=results, broker=opening.broker
        )

    def opened(opening: Opening) -> None:
        if opening.seminar is None:
            from rich.markup import escape

            console.print(f"[bold red]error:[/] the room could not be opened: {escape(opening.message)}", soft_wrap=True, highlight=False)
            if opening.traceback:
                from hedgecast.files import write_atomic

                details = write_atomic(store.path.parent / "opening-error.txt", opening.traceback)
                console.print(f"(The traceback, for a bug report: {details})", soft_wrap=True, highlight=False)
            console.print("The pages say so too. Fix the problem, then stop the server (Ctrl-C) and start it again.")
            return
        seminar = opening.seminar
        join_url = f"{base}/join?code={seminar.join_code}"
        web.state.qr_svg = _qr_svg(join_url)
        web.state.qr_for = lambda code: _qr_svg(f"{base}/join?code={code}")
        how = "resumed" if store.count(seminar.sid) or seminar.session.round else "new"
        out.print(f"[bold]The room is open[/] ({how} session, {len(seminar.room.assumptions)} assumptions, record in {store.path})")
        out.print(f"Participants join at:  {join_url}", soft_wrap=True, highlight=False)
        out.print(f"Join code:             [bold]{seminar.join_code}[/]")
        _print_qr(join_url)

    opening = Opening(build, lens=lens_name, token=token, on_done=opened)
    web = create_app(opening)
    web.state.join_url = f"{base}/join"
    if host not in LOCAL_HOSTS:
        console.print(
            f"[bold yellow]warning:[/] serving on {host}: the facilitator's token and every answer travel unencrypted on that "
            "network unless the server is put behind TLS (a reverse proxy with HTTPS)."
        )
    out.print(f"[bold]Seminar on lens {lens_name}[/]: opening the room (the pages show its progress)")
    out.print(f"Facilitator (keep this link to yourself): {base}/facilitator?token={token}", soft_wrap=True, highlight=False)
    opening.start()
    try:
        # open pages hold event streams: give them 3 s at Ctrl-C, not forever
        uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=3)
    finally:
        opening.close()
        store.close()


def _check_lens(paths, lens_name: str, assumption: list[str] | None):
    """The workbench and the lens (loaded, so a bad name or file stops the command at once), ``--assumption`` checked against it."""
    from hedgecast.seminar.engine import candidate_assumptions
    from hedgecast.workbench import Workbench

    wb = Workbench.load(paths.root)
    (lens,) = load_lenses(wb, [lens_name])
    if assumption:  # checked against the lens before any fit
        known = {a.id for a in candidate_assumptions(lens)}
        unknown = [a for a in assumption if a not in known]
        if unknown:
            raise typer.BadParameter(
                f"--assumption {', '.join(unknown)}: not a prior this room can ask about; choose from {', '.join(sorted(known))}"
            )
        if not 3 <= len(set(assumption)) <= 6:
            raise typer.BadParameter(f"--assumption: give 3 to 6 different priors (got {len(set(assumption))})")
    return wb, lens


def _room_from_fit(wb, lens, settings, assumption: list[str] | None, scheduler: str | None, opening):
    """The real room: the lens's latest passing saved fit (or one new fit, saved as a run), and a dask runner for refits."""
    from hedgecast.runs import save_run
    from hedgecast.seminar.engine import Room
    from hedgecast.seminar.live import DaskRunner

    detail = f"{settings.sampler}: {settings.chains} chains × {settings.draws} draws after {settings.tune} tuning steps"
    opening.step(f"Reusing the saved fit of lens {lens.name}, or fitting it once", detail)
    console.print(f"Reusing or fitting lens {lens.name} ({detail}; a first fit compiles the model: a few minutes)")
    fit = wb.fit_or_reuse(lens, settings)
    if fit.reused_from:
        run_id = fit.reused_from
        console.print(f"Reusing the saved fit of lens {lens.name} from run {run_id}")
    else:
        opening.step(f"Saving the fit of lens {lens.name}")
        run_id = save_run(fit, None, wb.paths, headline={}).id
        console.print(f"Fitted lens {lens.name}; saved as run {run_id}")
    if not fit.diagnostics.passed:
        console.print("[bold yellow]warning:[/] the fit's sampler diagnostics failed: the room's numbers are provisional")
    opening.step("Opening the room: forecasting the headline questions once, ranking the assumptions", "")
    room = Room.from_fit(fit, list(assumption) if assumption else None)
    return room, DaskRunner(wb.paths.root, run_id, scheduler)


def _test_room(spec: str, assumption: list[str] | None):
    """A test room from ``FILE.py:FUNCTION`` (the tests' fake room), refits in the server's own thread."""
    from hedgecast.seminar.live import InlineRunner

    file, _, name = spec.rpartition(":")
    module_spec = importlib.util.spec_from_file_location("hedgecast_test_room", Path(file))
    if module_spec is None or module_spec.loader is None or not name:
        raise typer.BadParameter(f"--test-room must be FILE.py:FUNCTION (got {spec!r})")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    make = getattr(module, name)
    return make(list(assumption) if assumption else None), InlineRunner()


def _shown_host(host: str) -> str:
    """The address to print: the machine's own address when serving on every interface."""
    if host in ("0.0.0.0", "::"):  # noqa: S104 (recognising the address, not binding to it)
        try:
            return socket.gethostbyname(socket.gethostname())
        except OSError:
            return host
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def _qr_svg(url: str) -> str:
    """The join link as an inline SVG QR code (for the facilitator's screen)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=5, dark="#1d2330")


def _print_qr(url: str) -> None:
    """The join link as a QR code in the terminal."""
    import sys

    import segno

    segno.make(url, error="m").terminal(out=sys.stdout, compact=True)
    sys.stdout.flush()


__all__ = ["seminar"]
