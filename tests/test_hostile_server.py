"""Hostile web servers and hostile clients against a real `qa serve` (bench/hostile.py's cases):
each is refused or cut off, the server's memory grows by at most 150 MB, it gives up within the
documented fetch deadline + 2 s, and `/api/health` answers within 1 s throughout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.hostile import HEALTH_LIMIT_S, MEMORY_LIMIT_MB, HostileRun, Result, run_cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Result]]:
    work: Path = tmp_path_factory.mktemp("hostile-server")
    yield {name: result for name, result in zip(HostileRun.CASES, run_cases(list(HostileRun.CASES), work))}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("case", HostileRun.CASES)
def test_hostile_case(results: dict[str, Result], case: str) -> None:
    result = results[case]
    assert result.memory_growth_mb <= MEMORY_LIMIT_MB, result
    assert result.seconds <= result.limit_s, result
    assert result.health_failures == 0 and result.health_max_s <= HEALTH_LIMIT_S, result
    assert result.ok, result


def test_the_bombs_are_named_in_the_error(results: dict[str, Result]) -> None:
    for case in ("br_bomb", "zstd_bomb"):
        assert "Content-Encoding" in results[case].response, results[case].response
    for case in ("gzip_bomb", "gzip_gzip_bomb"):
        assert "larger than 5 MB" in results[case].response, results[case].response
    assert "took longer than" in results["slow_headers"].response, results["slow_headers"].response


def test_a_server_path_is_never_indexed(results: dict[str, Result]) -> None:
    result = results["upload_server_path"]
    assert result.detail["added"] == [], result
