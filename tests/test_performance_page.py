"""docs/performance.md is generated (bench/run_all from bench/results/): it must be what the generator writes from
the results kept now, so a rerun benchmark, or a hand edit of the page, cannot leave it stale."""

from bench.run_all import PAGE, section


def test_the_performance_page_is_the_generated_one():
    assert PAGE.read_text(encoding="utf-8") == section().rstrip() + "\n", (
        "docs/performance.md differs from what bench/run_all generates: run `python -m bench.run_all --page-only` "
        "(and put prose in bench/run_all.py or docs/raft.md, not in the page)")
