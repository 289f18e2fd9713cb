"""Slow scorers for the kill tests: a reward after a pause, so signals land while a job is scored."""

import time

from flowcps_reward.examples import redness


def slow_redness(pngs, prompts):
    time.sleep(1.0)
    return redness(pngs, prompts)


def slow_align():
    """The learned align reward (ops/python/align_model.py) after the same pause: the kill test on the real model."""
    from align_model import scorer

    score = scorer()

    def slow(pngs, prompts):
        time.sleep(1.0)
        return score(pngs, prompts)

    return slow
