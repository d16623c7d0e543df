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


def test_backtest_prints_fallbacks_every_comparison_the_coverage_and_the_totals(mock_backtest):
    from hedgecast.cli.app import out
    from hedgecast.cli.validate import print_backtest

    with out.capture() as captured:
        print_backtest(mock_backtest)
    text = " ".join(captured.get().split())  # the console wraps long lines
    first = mock_backtest.windows[0]
    assert f"{len(first['fallbacks'])} priors known only after {first['cutoff']} fell back" in text
    assert first["fallbacks"][0]["prior"] in text
    t = mock_backtest.tally()
    assert f"loses {t['all_rows']['losses']} of {t['all_rows']['comparisons']} comparisons" in text
    assert f"loses {t['indicator_crps']['losses']} of {t['indicator_crps']['comparisons']} comparisons" in text
    assert "vs persistence" in text and "vs climatology" in text and "Wilson" in text
    assert "oracle" not in text  # not asked for


def test_backtest_has_an_opt_in_oracle():
    from typer.testing import CliRunner

    from hedgecast.cli.validate import validate_app

    help_text = " ".join(CliRunner().invoke(validate_app, ["backtest", "--help"]).output.replace("│", " ").split())
    assert "--oracle" in help_text and "never counted" in help_text
