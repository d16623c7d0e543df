import time

from hedgecast import timing


def test_stages_add_up_and_nest():
    timing.reset()
    with timing.stage("outer"):
        with timing.stage("inner"):
            time.sleep(0.01)
        with timing.stage("inner"):
            time.sleep(0.01)
    t = timing.totals()
    assert t["inner"] >= 0.02 and t["outer"] >= t["inner"]
    timing.reset()
    assert timing.totals() == {}


def test_timed_counts_every_call_even_when_it_raises():
    timing.reset()

    @timing.timed("work")
    def work(fail=False):
        if fail:
            raise ValueError("no")
        return 3

    assert work() == 3 and work.__name__ == "work"
    try:
        work(fail=True)
    except ValueError:
        pass
    assert set(timing.totals()) == {"work"}


def test_since_counts_only_what_came_after():
    timing.reset()
    with timing.stage("a"):
        time.sleep(0.01)
    before = timing.totals()
    with timing.stage("b"):
        time.sleep(0.01)
    assert set(timing.since(before)) == {"b"}


def test_watch_reports_the_open_stages_in_this_thread_only():
    import threading

    def elsewhere():
        with timing.stage("elsewhere"):
            pass

    seen = []
    other = threading.Thread(target=elsewhere)
    with timing.watch(seen.append):
        with timing.stage("fit"):
            with timing.stage("sampling"):
                other.start()
                other.join()
    with timing.stage("after"):
        pass
    assert seen == [("fit",), ("fit", "sampling"), ("fit",), ()]
