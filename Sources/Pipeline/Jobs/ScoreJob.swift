import Imaging
import Sampling
import Store
import Training

/// `score` k, shard s: every internal reward of each of the shard's images (decoded from the stored PNG) and, when
/// the run has no external rewards, the weighted total; the last job to arrive at the step's barrier (internal or
/// external) enqueues the advantage job.
enum ScoreJob {
    static func run(_ env: JobEnvironment) throws -> JobOutput {
        let shard = try PlanJob.shard(env)
        let indices = shard.prompts.map(\.index)
        let rows = try env.connection.execute(SampleStatements.forPrompts(
            runID: env.run.id, step: env.step, prompts: indices.map(String.init).joined(separator: ","))).rows
        let expected = indices.count * env.config.group.size
        guard rows.count == expected else {
            throw PipelineError.invalid("step \(env.step) shard \(env.job.shard): \(rows.count) rollout samples, expected \(expected)")
        }
        let samples = try rows.map { r in
            let image: RGBImage
            do { image = try PNGCodec.decode(try r.bytes("png")) } catch let e as ImagingError {
                throw PipelineError.corrupt("sample image of step \(env.step): \(e.message)")
            }
            return RolloutImage(key: SampleKey(seed: UInt64(bitPattern: Int64(try r.int("seed"))), step: env.step,
                                               prompt: try r.int("prompt_index"), sample: try r.int("sample_index")),
                                line: try r.int("line"), prompt: try r.string("prompt"), image: image)
        }
        let scores = try env.config.internalRewards().map { try ScoreStage.run(images: samples, rewards: $0) } ?? []
        // With external rewards the weighted total waits for them: the advantage job sums it.
        let writesTotal = env.config.externalRewards.isEmpty
        return JobOutput { c, held in
            for batch in scores.batches() {
                try c.execute(RewardStatements.insert(runID: env.run.id, step: env.step, rows: batch.flatMap { s in
                    s.rewards.map { (s.key.prompt, s.key.sample, $0.name, $0.value) }
                }))
                if writesTotal {
                    try c.execute(SampleStatements.set(.reward, runID: env.run.id, step: env.step,
                                                       rows: batch.map { ($0.key.prompt, $0.key.sample, $0.total) }))
                }
            }
            let g = env.graph(c)
            if try g.arrive(.score, step: env.step) {
                try g.enqueue(.advantage, step: env.step, held: held)
            }
        }
    }
}
