"""A slow scorer for the kill tests: the redness reward after a pause, so signals land while a job is scored."""

import time

from flowcps_reward.examples import redness


def slow_redness(pngs, prompts):
    time.sleep(1.0)
    return redness(pngs, prompts)
