-- Several images per eval prompt (`eval.samples_per_prompt`): an eval image is keyed by its prompt line and its
-- sample number (the seed key of both). Rows written before are sample 0, which is the image those builds made.
-- The eval views gain the image count and the standard error of the strict accuracy, clustered by prompt line (the
-- images of one line are not independent): the standard deviation of the per-line means over √lines, or with a
-- single line the binomial error of its images; `overall` combines the categories' errors as √Σse² / categories.
ALTER TABLE eval_samples ADD COLUMN sample integer NOT NULL DEFAULT 0 CHECK (sample >= 0);
ALTER TABLE eval_samples DROP CONSTRAINT eval_samples_pkey;
ALTER TABLE eval_samples ADD PRIMARY KEY (run_id, step, line, sample);

CREATE OR REPLACE VIEW eval_curve AS
WITH c AS (
    SELECT run_id, step, category,
           pg_catalog.count(DISTINCT line)                                              AS prompts,
           pg_catalog.avg(CASE WHEN strict THEN 1.0 ELSE 0.0 END)::double precision     AS strict,
           pg_catalog.avg((rewards ->> 'accuracy')::double precision)                    AS accuracy,
           pg_catalog.avg((rewards ->> 'noise')::double precision)                       AS noise,
           pg_catalog.count(*)                                                           AS images
    FROM eval_samples
    GROUP BY run_id, step, category
), l AS (
    SELECT run_id, step, category, line, pg_catalog.count(*) AS images,
           pg_catalog.avg(CASE WHEN strict THEN 1.0 ELSE 0.0 END)::double precision AS strict
    FROM eval_samples
    GROUP BY run_id, step, category, line
), s AS (
    SELECT run_id, step, category,
           CASE WHEN pg_catalog.count(*) > 1
                    THEN pg_catalog.stddev_samp(strict) / pg_catalog.sqrt(pg_catalog.count(*)::double precision)
                WHEN pg_catalog.sum(images) > 1
                    THEN pg_catalog.sqrt(pg_catalog.max(strict) * (1 - pg_catalog.max(strict))
                                         / (pg_catalog.sum(images) - 1)::double precision)
                ELSE 0::double precision END AS strict_se
    FROM l
    GROUP BY run_id, step, category
), cs AS (
    SELECT c.*, s.strict_se FROM c JOIN s USING (run_id, step, category)
), o AS (
    SELECT run_id, step, 'overall'::text AS category, pg_catalog.sum(prompts)::bigint AS prompts,
           pg_catalog.avg(strict) AS strict, pg_catalog.avg(accuracy) AS accuracy, pg_catalog.avg(noise) AS noise,
           pg_catalog.sum(images)::bigint AS images,
           pg_catalog.sqrt(pg_catalog.sum(strict_se * strict_se)) / pg_catalog.count(*) AS strict_se
    FROM cs
    GROUP BY run_id, step
)
SELECT r.name AS run, x.run_id, x.step, x.category, x.prompts, x.strict, x.accuracy, x.noise, x.images, x.strict_se
FROM (SELECT run_id, step, category, prompts, strict, accuracy, noise, images, strict_se FROM cs
      UNION ALL
      SELECT run_id, step, category, prompts, strict, accuracy, noise, images, strict_se FROM o) x
JOIN runs r ON r.id = x.run_id;

CREATE OR REPLACE VIEW eval_rewards AS
SELECT r.name AS run, e.run_id, e.step, e.line, e.category, e.prompt, kv.key AS reward,
       (kv.value #>> '{}')::double precision AS value, e.sample
FROM eval_samples e
JOIN runs r ON r.id = e.run_id
CROSS JOIN LATERAL pg_catalog.jsonb_each(e.rewards) kv
WHERE pg_catalog.jsonb_typeof(kv.value) = 'number';
