"""A reference reward worker for FlowCPS external rewards (docs/external-rewards.md).

A run file that declares ``align: {weight: 0.5, external: true}`` gets one ``reward`` job per rollout shard and step.
:class:`RewardWorker` claims them through the SQL functions of migration 0009 as the ``flowcps_reward_worker``
role, hands each job's PNG images and prompts to your scoring function, and writes the scores back in the
transaction that completes the job.
"""

from .worker import Job, LeaseLost, RewardWorker, Scorer

__all__ = ["Job", "LeaseLost", "RewardWorker", "Scorer"]
