"""Seeds of parallel tasks: fixed, distinct, and independent of the order tasks run in."""

from hedgecast.validate.parallel import task_seed


def test_task_seeds_are_fixed_distinct_and_independent_of_order():
    seeds = [task_seed(2026, i) for i in range(50)]
    assert len(set(seeds)) == 50 and seeds == [task_seed(2026, i) for i in range(50)]
    assert task_seed(2026, 3) != task_seed(2027, 3)
    assert all(0 <= s < 2**31 for s in seeds)
