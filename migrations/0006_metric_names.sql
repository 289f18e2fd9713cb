-- One metric vocabulary (docs/pipeline.md, "Metrics"): names are dotted by what they describe — reward.*,
-- advantage.*, train.*, eval.*, seconds.*. Rows written under the old names are renamed, and the values newer
-- builds record that older ones did not are filled in from the stored rows where they can be: the reward's
-- 10th/90th percentiles and the eval images' mean score and noise.
UPDATE metrics SET name = CASE name
    WHEN 'reward_mean' THEN 'reward.mean'
    WHEN 'reward_std' THEN 'reward.std'
    WHEN 'zero_std_ratio' THEN 'advantage.zero_std_ratio'
    WHEN 'reward_std_mean' THEN 'advantage.group_std_mean'
    ELSE 'train.' || name END
WHERE name IN ('reward_mean', 'reward_std', 'zero_std_ratio', 'reward_std_mean', 'loss', 'policy_loss', 'kl',
               'approx_kl', 'clip_fraction', 'ratio_mean', 'ratio_min', 'ratio_max', 'grad_norm', 'grad_norm_max',
               'lr', 'trained_samples', 'skipped_samples');

INSERT INTO metrics (run_id, step, name, value)
SELECT run_id, step, q.name, pg_catalog.percentile_cont(q.p) WITHIN GROUP (ORDER BY reward)
FROM samples CROSS JOIN (VALUES ('reward.p10', 0.1::float8), ('reward.p90', 0.9::float8)) AS q (name, p)
WHERE reward IS NOT NULL
GROUP BY run_id, step, q.name, q.p
ON CONFLICT DO NOTHING;

INSERT INTO metrics (run_id, step, name, value)
SELECT run_id, step, 'eval.noise', pg_catalog.avg((rewards->>'noise')::float8)
FROM eval_samples WHERE rewards ? 'noise'
GROUP BY run_id, step
ON CONFLICT DO NOTHING;

INSERT INTO metrics (run_id, step, name, value)
SELECT run_id, step, 'eval.score', pg_catalog.avg(score)
FROM (SELECT run_id, step, category, pg_catalog.avg((rewards->>'score')::float8) AS score
      FROM eval_samples WHERE rewards ? 'score' GROUP BY run_id, step, category) AS per_category
GROUP BY run_id, step
ON CONFLICT DO NOTHING;
