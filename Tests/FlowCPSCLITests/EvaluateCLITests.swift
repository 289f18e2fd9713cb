import Foundation
import Testing

struct EvaluateCLITests {
    private func evaluate(_ extra: [String]) throws -> [String: Any] {
        let r = try CLI.run(["evaluate", "--every", "48", "--steps", "10", "--threads", "1", "--json"] + extra,
                            cwd: PipelineCluster.repository)
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
    }

    /// The CPS paper's Figure 1 as numbers: Flow-SDE leaves noise in the final images, CPS and the ODE do not.
    @Test func flowSDELeavesNoiseThatCPSAndTheODEDoNot() throws {
        let lines = try String(contentsOfFile: PipelineCluster.repository + "/pipelines/prompts/geneval-eval.txt", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count
        let ode = try evaluate([]), cps = try evaluate(["--sampler", "cps", "--noise", "0.9"])
        let sde = try evaluate(["--sampler", "flow-sde", "--noise", "0.9"])
        for o in [ode, cps, sde] {
            let images = (o["categories"] as? [String: [String: Any]])?.values.compactMap { $0["images"] as? Int }.reduce(0, +)
            #expect(images == (lines + 47) / 48)
        }
        let noise = [ode, cps, sde].map { $0["noise"] as? Double ?? -1 }
        #expect(noise[0] >= 0 && noise[0] < 0.02 && noise[1] < 0.02, "\(noise)")
        #expect(noise[2] > 3 * max(noise[0], noise[1]), "\(noise)")
    }
}
