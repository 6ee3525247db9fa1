"""The committed answer judge: it loads, gives its recorded scores, and was trained apart from
what it is measured on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.answering.judge import FEATURES, JUDGE_PATH, Judge, load_judge

# A candidate that holds the asked-for kind, matches every word, tops its chunk and is the one
# candidate matching a question word; and one that does none of that. Recorded from `make train-judge` (qa/answering/judge.json as committed): a
# retrained judge must update these on purpose.
STRONG = [0.8, 0.7, 0.8, 1, 1, 0, 0.8, 0, 0, 1.0, 0.6, 0.0, 0.5, 4.5, 0, 1.0, 0.8, 0.15, 0.05, 0.35, 0.6, 0.2, 0.0]
WEAK = [0.55, 0.5, 0.2, 1, 0, 1, 0.5, 0.3, 0.25, 0.0, 0.4, 0.4, 0.3, 4.0, 0, 0.25, 0.4, -0.05, -0.2, 0.05, 0.45, -0.02,
        -0.15]
RECORDED = [0.8158, 0.0047]
RECORDED_BAR = 0.1148


def test_the_committed_judge_gives_its_recorded_scores() -> None:
    judge = load_judge()
    assert judge is not None
    assert judge.probabilities(np.array([STRONG, WEAK])).round(4).tolist() == RECORDED
    assert judge.answer_at == RECORDED_BAR
    assert judge.answer_at > RECORDED[1] and judge.answer_at < RECORDED[0]


def test_it_was_trained_apart_from_the_measured_articles() -> None:
    info = json.loads(JUDGE_PATH.read_text(encoding="utf-8"))["trained_on"]
    train, held_out = set(info["squad_v1_train_articles"]), set(info["squad_v1_held_out_articles"])
    assert train and held_out and not train & held_out
    # SQuAD 2.0's articles (measured by `qa eval`) are in neither list.
    assert not {"Normans", "Huguenot", "Yuan_dynasty", "Scottish_Parliament"} & (train | held_out)
    # The natural sets it learned from are never the measured ones (test, holdout).
    names = {path.rsplit("/", 1)[-1] for path in info["natural"]}
    assert names == {"tune", "train-a", "train-b", "train-c"}


def test_a_judge_for_other_features_is_refused_and_the_rule_decides(tmp_path, caplog) -> None:
    data = json.loads(JUDGE_PATH.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    stale = tmp_path / "judge.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    assert load_judge(stale) is None
    assert "make train-judge" in caplog.text
    assert load_judge(tmp_path / "missing.json") is None
    with pytest.raises(ValueError):
        Judge.from_dict(data)


def test_round_trip() -> None:
    judge = load_judge()
    again = Judge.from_dict(judge.to_dict())
    x = np.array([STRONG])
    assert again.probabilities(x)[0] == pytest.approx(judge.probabilities(x)[0], abs=1e-6)
    assert len(judge.coef) == len(FEATURES)
