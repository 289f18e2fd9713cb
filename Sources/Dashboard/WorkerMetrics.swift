import Foundation
import Hummingbird
import Pipeline
import Prometheus

/// A worker's own series (`flowcps worker --metrics-port`), counted in-process by swift-prometheus from the
/// worker's events: what this process did since it started, beside the cluster view of `flowcps serve`.
/// - `flowcps_worker_jobs_total{stage}`: jobs it completed;
/// - `flowcps_worker_job_duration_seconds{stage}`: histogram of their claim-to-commit wall time;
/// - `flowcps_worker_failed_attempts_total{stage,retried}`: attempts that failed (`retried` "true" when the job
///   went back to the queue);
/// - `flowcps_worker_lost_leases_total{stage}`: jobs whose lease it lost (the result was discarded);
/// - `flowcps_worker_reaped_leases_total`: other workers' expired leases its reaper requeued;
/// - `flowcps_worker_start_time_seconds`: when it started (Unix time).
public final class WorkerMetrics: Sendable {
    static func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
    public let registry = PrometheusCollectorRegistry()
    /// Histogram buckets in seconds (the same as the cluster's).
    static let buckets: [Duration] = ClusterMetrics.durationBuckets.map { .milliseconds(Int64($0 * 1000)) }

    public init() {
        registry.makeGauge(descriptor: WorkerMetrics.describe("flowcps_worker_start_time_seconds", "When this worker started (Unix time)."))
            .set(Date().timeIntervalSince1970)
        registry.makeCounter(descriptor: WorkerMetrics.describe("flowcps_worker_reaped_leases_total", "Other workers' expired leases this worker's reaper requeued or failed.")).increment(by: Int64(0))
    }

    /// Counts one event (`WorkerOptions.observer`).
    public func record(_ event: WorkerEvent) {
        switch event {
        case let .completed(stage, seconds):
            registry.makeCounter(descriptor: WorkerMetrics.describe("flowcps_worker_jobs_total", "Jobs this worker completed."), labels: [("stage", stage)]).increment()
            registry.makeDurationHistogram(descriptor: WorkerMetrics.describe("flowcps_worker_job_duration_seconds", "Claim-to-commit wall time of the jobs this worker completed."), labels: [("stage", stage)], buckets: WorkerMetrics.buckets)
                .recordNanoseconds(Int64((seconds * 1e9).rounded()))
        case let .failed(stage, retried):
            registry.makeCounter(descriptor: WorkerMetrics.describe("flowcps_worker_failed_attempts_total", "Attempts that failed in this worker."), labels: [("stage", stage), ("retried", retried ? "true" : "false")]).increment()
        case let .lostLease(stage):
            registry.makeCounter(descriptor: WorkerMetrics.describe("flowcps_worker_lost_leases_total", "Jobs whose lease this worker lost (their results were discarded)."), labels: [("stage", stage)]).increment()
        case .reaped:
            registry.makeCounter(descriptor: WorkerMetrics.describe("flowcps_worker_reaped_leases_total", "Other workers' expired leases this worker's reaper requeued or failed.")).increment()
        }
    }

    /// The exposition text.
    public func text() -> String { registry.emitToString() }

    /// `GET /metrics` of a worker.
    public static func router(_ metrics: WorkerMetrics) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            Dashboard.bytes(Array(metrics.text().utf8), "text/plain; version=0.0.4; charset=utf-8", maxAge: 0)
        }
        return router
    }
}
