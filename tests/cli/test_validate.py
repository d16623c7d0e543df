"""``hedgecast validate``: its commands and options."""


def test_validate_cli_lists_its_commands_and_rejects_bad_options():
    from typer.testing import CliRunner

    from hedgecast.cli.validate import validate_app
    from hedgecast.errors import HedgecastError

    runner = CliRunner()
    help_text = runner.invoke(validate_app, ["--help"]).output
    assert "sbc" in help_text and "backtest" in help_text
    sbc_help = runner.invoke(validate_app, ["sbc", "--help"]).output
    for option in ("--sims", "--draws", "--tune", "--chains", "--workers", "--scheduler"):
        assert option in sbc_help
    result = runner.invoke(validate_app, ["sbc", "--sims", "0"])
    assert isinstance(result.exception, HedgecastError) and "--sims" in str(result.exception)
    result = runner.invoke(validate_app, ["backtest", "--workers", "0"])
    assert isinstance(result.exception, HedgecastError)
