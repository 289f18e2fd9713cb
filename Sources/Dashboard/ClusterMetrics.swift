import Foundation
import Pipeline
import Prometheus
import Store

/// `GET /metrics` of `flowcps serve`: the whole pipeline as Prometheus series, read from the database at each scrape
/// (so every series is exactly what SQL says at that moment, whichever workers ran the jobs). A fresh
/// swift-prometheus registry per scrape holds the gauges and counters, so a deleted run's series disappear; the job
/// duration histogram is cumulative bucket counts computed by SQL and written in the same text format.
/// Series (docs/dashboard.md lists them with their labels):
/// - `flowcps_jobs{stage,state}`: jobs by stage and state (the queue depth);
/// - `flowcps_job_duration_seconds{stage}`: histogram of completed jobs' final attempts;
/// - `flowcps_job_failed_attempts_total`, `flowcps_job_lost_leases_total`, `flowcps_job_retries_total` by stage;
/// - per run: `flowcps_run_info{run,state}`, `flowcps_run_steps_done`, `flowcps_run_steps`,
///   `flowcps_run_step_seconds`, `flowcps_run_reward`, `flowcps_run_eval_strict`;
/// - `flowcps_external_reward_waiting_jobs{run,reward}` and `flowcps_external_reward_wait_seconds{run,reward}`.
public enum ClusterMetrics {
    /// Upper bounds of the job duration buckets, in seconds.
    public static let durationBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

    /// The exposition text of the pipeline behind `c` (run inside a read-only transaction).
    public static func scrape(_ c: Connection) throws -> String {
        let registry = PrometheusCollectorRegistry()
        func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
        for r in try c.execute(JobStatements.depthByStageState).rows {
            registry.makeGauge(descriptor: describe("flowcps_jobs", "Jobs by stage and state (the queue depth)."), labels: [("stage", try r.string("stage")), ("state", try r.string("state"))]).set(Double(try r.int("jobs")))
        }
        for r in try c.execute(JobStatements.attemptCountsByStage).rows {
            let stage = [("stage", try r.string("stage"))]
            registry.makeCounter(descriptor: describe("flowcps_job_failed_attempts_total", "Failed job attempts (retried or for good), lost leases included."), labels: stage)
                .increment(by: Int64(try r.int("failed_attempts")))
            registry.makeCounter(descriptor: describe("flowcps_job_lost_leases_total", "Attempts ended by the reaper because their worker stopped heartbeating."), labels: stage)
                .increment(by: Int64(try r.int("lost_leases")))
            registry.makeCounter(descriptor: describe("flowcps_job_retries_total", "Attempts beyond each job's first."), labels: stage).increment(by: Int64(try r.int("retries")))
        }
        for run in try Runs(connection: c).list() {
            let p = try RunProgress.read(c, name: run.name)
            let label = [("run", run.name)]
            registry.makeGauge(descriptor: describe("flowcps_run_info", "1 for each run, labelled with its state."), labels: [("run", run.name), ("state", run.state.rawValue)]).set(1.0)
            registry.makeGauge(descriptor: describe("flowcps_run_steps_done", "RL steps whose train stage committed."), labels: label)
                .set(Double(run.version) as Double)
            registry.makeGauge(descriptor: describe("flowcps_run_steps", "RL steps the run was submitted for."), labels: label)
                .set(Double(run.steps) as Double)
            if let s = p.secondsPerStep.finite {
                registry.makeGauge(descriptor: describe("flowcps_run_step_seconds", "Mean wall time of the run's last five steps."), labels: label).set(s)
            }
            if let r = p.reward, r.value.isFinite {
                registry.makeGauge(descriptor: describe("flowcps_run_reward", "Mean rollout reward (weighted total) of the run's latest scored step."), labels: label).set(r.value)
            }
            if let e = p.eval, e.value.isFinite {
                registry.makeGauge(descriptor: describe("flowcps_run_eval_strict", "Overall strict accuracy of the run's latest evaluation."), labels: label).set(e.value)
            }
        }
        for r in try c.execute(ViewStatements.allExternalRewardWaits).rows {
            let labels = [("run", try r.string("run")), ("reward", try r.string("reward"))]
            registry.makeGauge(descriptor: describe("flowcps_external_reward_waiting_jobs", "External reward jobs waiting for a reward worker."), labels: labels).set(Double(try r.int("waiting")))
            registry.makeGauge(descriptor: describe("flowcps_external_reward_wait_seconds", "How long the oldest waiting external reward job has gone unclaimed."), labels: labels)
                .set(try r.double("oldest_wait_seconds"))
        }
        return registry.emitToString() + (try durationHistogram(c))
    }

    /// `flowcps_job_duration_seconds` as cumulative buckets per stage.
    static func durationHistogram(_ c: Connection) throws -> String {
        var byStage: [(stage: String, buckets: [(le: Double, count: Int)], count: Int, sum: Double)] = []
        for r in try c.execute(JobStatements.durationHistogram(buckets: durationBuckets)).rows {
            let stage = try r.string("stage")
            if byStage.last?.stage != stage {
                byStage.append((stage, [], try r.int("total"), try r.optionalDouble("seconds") ?? 0))
            }
            byStage[byStage.count - 1].buckets.append((try r.double("le"), try r.int("below")))
        }
        var text = "# HELP flowcps_job_duration_seconds Wall time of completed jobs' final attempts (claim to completion).\n"
            + "# TYPE flowcps_job_duration_seconds histogram\n"
        for s in byStage {
            let stage = PrometheusText.labelValue(s.stage)
            for b in s.buckets {
                text += "flowcps_job_duration_seconds_bucket{stage=\"\(stage)\",le=\"\(PrometheusText.number(b.le))\"} \(b.count)\n"
            }
            text += "flowcps_job_duration_seconds_bucket{stage=\"\(stage)\",le=\"+Inf\"} \(s.count)\n"
            text += "flowcps_job_duration_seconds_sum{stage=\"\(stage)\"} \(PrometheusText.number(s.sum))\n"
            text += "flowcps_job_duration_seconds_count{stage=\"\(stage)\"} \(s.count)\n"
        }
        return text
    }
}

/// The bits of the Prometheus text format written by hand (the SQL histogram).
enum PrometheusText {
    /// A label value with backslash, double quote and line feed escaped.
    static func labelValue(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A sample value: integers without a fraction, others in Swift's shortest round-trip form.
    static func number(_ x: Double) -> String {
        if !x.isFinite { return x.isNaN ? "NaN" : (x > 0 ? "+Inf" : "-Inf") }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}
