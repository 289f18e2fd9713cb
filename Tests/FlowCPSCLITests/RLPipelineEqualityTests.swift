import Foundation
import Testing

/// One run file, two paths: `flowcps rl` in one process and the pipeline (submit, a worker, export) write the same
/// checkpoints bit for bit, the same metric rows (wall-time `seconds.*` aside) and the same eval verdicts, and
/// `flowcps report` reads both.
@Suite(.serialized)
struct RLPipelineEqualityTests {
    /// `step,name,value` rows of a metrics.csv, wall time left out.
    static func metricRows(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
            .filter { !$0.split(separator: ",")[1].hasPrefix("seconds.") }.sorted()
    }

    /// `step,line,category,prompt,strict` and `sample` of each eval.csv row, and its values as numbers by name.
    static func evalRows(_ path: String) throws -> [String: [String: Double]] {
        var rows: [String: [String: Double]] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst() {
            guard let brace = line.firstIndex(of: "{"), let end = line.lastIndex(of: "}") else { continue }
            let key = String(line[..<brace]) + String(line[line.index(after: end)...])  // the sample number follows
            let json = String(line[brace...end]).replacingOccurrences(of: "\"\"", with: "\"")
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            rows[key] = object.mapValues { ($0 as! NSNumber).doubleValue }
        }
        return rows
    }

    @Test func rlAndThePipelineWriteTheSameRun() throws {
        let cluster = try PipelineCluster()
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RLCLITests.smallModel.write(toFile: dir + "/small.json", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["model", "init", "--config", dir + "/small.json", "--seed", "5",
                             "--out", dir + "/base.safetensors"]).status == 0)
        try "single_object\ta circle\ncolors\ta red square\ncounting\ttwo triangles\nposition\ta square left of a circle\n"
            .write(toFile: dir + "/train.txt", atomically: true, encoding: .utf8)
        try "single_object\ta square\nposition\ta circle left of a square\ncolors\ta blue circle\n"
            .write(toFile: dir + "/eval.txt", atomically: true, encoding: .utf8)
        try """
        name: same
        seed: 11
        steps: 3
        model: {base: \(dir)/base.safetensors, threads: 1}
        prompts: {train: \(dir)/train.txt, eval: \(dir)/eval.txt}
        sampler: {kind: cps, noise: 0.7, steps: 3}
        group: {size: 3, prompts_per_step: 3, prompts_per_shard: 2}
        rewards: {compressibility: 1, geneval: 0.5}
        train: {lr: 1e-3, mini_batches: 2, beta: 0.01}
        eval: {every: 2, steps: 4}
        checkpoint_every: 2
        """.write(toFile: dir + "/run.yaml", atomically: true, encoding: .utf8)

        let rl = dir + "/rl"
        let inProcess = try CLI.run(["rl", dir + "/run.yaml", "--out", rl])
        #expect(inProcess.status == 0, "\(inProcess.stdout) \(inProcess.stderr)")
        #expect(try cluster.flowcps(["run", "submit", dir + "/run.yaml"]).status == 0)
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        #expect(try cluster.runState("same") == "completed")
        let export = dir + "/export"
        let exported = try cluster.flowcps(["run", "export", "same", "--out", export])
        #expect(exported.status == 0, "\(exported.stderr)")

        // Checkpoints: the evaluation weights (EMA) at checkpoint_every and at the end, bit for bit.
        for file in ["policy-2.safetensors", "policy-3.safetensors", "policy.safetensors"] {
            let a = FileManager.default.contents(atPath: "\(rl)/\(file)"), b = FileManager.default.contents(atPath: "\(export)/\(file)")
            #expect(a != nil && a == b, "\(file) differs")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(export)/policy-1.safetensors"))
        // Metrics: the same names and the same values, row for row.
        let a = try Self.metricRows(rl + "/metrics.csv"), b = try Self.metricRows(export + "/metrics.csv")
        #expect(a.count > 60 && a == b, "\(Set(a).symmetricDifference(b).sorted())")
        for name in ["reward.geneval", "train.first_ratio_min", "train.kl", "eval.strict.position", "advantage.zero_std_ratio"] {
            #expect(a.contains { $0.split(separator: ",")[1] == name }, "\(name) missing")
        }
        // Eval images: the same verdicts and values per line and step.
        let ea = try Self.evalRows(rl + "/eval.csv"), eb = try Self.evalRows(export + "/eval.csv")
        #expect(ea.count == 9 && ea == eb, "\(ea) vs \(eb)")

        for run in [rl, export, "same"] {
            let out = dir + "/report-\(run.split(separator: "/").last!)"
            let report = try cluster.flowcps(["report", run, "--out", out])
            #expect(report.status == 0, "\(run): \(report.stderr)")
            let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
            #expect(page.contains("Evaluation by category: before and after") && page.contains("data:image/png;base64,"))
        }
    }
}
