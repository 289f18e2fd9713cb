import Store

/// Writes the edges of the stage graph inside a completing transaction: which jobs follow, their fan-in barriers,
/// and the end of a run. Every write is idempotent (dedupe keys, `ON CONFLICT DO NOTHING`). Its queue statements'
/// time goes to `clock`.
struct StageGraphWriter {
    let connection: Connection
    let run: RunContext
    var clock = QueueClock()

    var queue: JobQueue { JobQueue(connection: connection) }

    /// After `step` completed RL steps: the plan of the next step (unless the run is done) and the evaluation due at
    /// `step`; when nothing more follows, the run is completed.
    func startStep(_ step: Int, held: Bool) throws {
        try clock.measure { try writeStartStep(step, held: held) }
    }

    private func writeStartStep(_ step: Int, held: Bool) throws {
        var enqueued = false
        if step < run.config.steps {
            try queue.enqueue(PipelineStage.plan.job(run: run.id, step: step, held: held))
            enqueued = true
        }
        if run.evaluates(at: step) {
            try queue.createBarrier(runID: run.id, step: step, stage: PipelineStage.eval.rawValue, expected: run.evalShards)
            for e in 0..<run.evalShards {
                try queue.enqueue(PipelineStage.eval.job(run: run.id, step: step, shard: e, held: held))
            }
            enqueued = true
        }
        if !enqueued { try finishRun() }
        try connection.execute(JobStatements.notify)
    }

    /// Marks the run completed (it was active or paused).
    func finishRun() throws {
        try connection.execute(RunStatements.transition(id: run.id, from: [.active, .paused], to: .completed, reason: nil))
    }

    func enqueue(_ stage: PipelineStage, step: Int, shard: Int = 0, held: Bool) throws {
        try clock.measure {
            // A claimable job wakes the listening workers at commit (PostgreSQL folds repeats in a transaction).
            if try queue.enqueue(stage.job(run: run.id, step: step, shard: shard, held: held)) != nil && !held {
                try connection.execute(JobStatements.notify)
            }
        }
    }

    /// Enqueues a job that is not a Swift stage's (an external reward job).
    func enqueue(_ job: JobSpec) throws {
        try clock.measure {
            if try queue.enqueue(job) != nil && !job.held { try connection.execute(JobStatements.notify) }
        }
    }

    /// Opens the fan-in barrier of `stage` at `step` for `expected` arrivals.
    func createBarrier(_ stage: PipelineStage, step: Int, expected: Int) throws {
        try clock.measure { try queue.createBarrier(runID: run.id, step: step, stage: stage.rawValue, expected: expected) }
    }

    /// Counts one arrival at the barrier of `stage` at `step`; true for the last one.
    func arrive(_ stage: PipelineStage, step: Int) throws -> Bool {
        try clock.measure { try queue.arrive(runID: run.id, step: step, stage: stage.rawValue) }
    }
}
