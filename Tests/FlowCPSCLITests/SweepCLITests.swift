import Foundation
import Imaging
import Store
import Testing

/// Sweeps and multi-image evaluations through the pipeline: a sweep is queued whole, run by workers, shown side by
/// side and reported; evaluations with several images per prompt store each image and agree with the SQL views.
@Suite(.serialized)
struct SweepCLITests {
    @Test func aSweepRunsThroughTheWorkersAndIsComparedWithStandardErrors() throws {
        let cluster = try PipelineCluster()
        let dir = try CLI.temporaryDirectory()
        let file = dir + "/sw.yaml"
        try """
            name: sw
            run: pipelines/smoke.yaml
            set: {steps: 1, eval.every: 1, eval.samples_per_prompt: 2, eval.prompt_stride: 32}
            points:
              - {train.lr: 1e-5}
              - {train.lr: 3e-4}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let dry = try cluster.flowcps(["sweep", "submit", file, "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("sw-1\tseed 7\ttrain.lr=1e-5") && dry.stdout.contains("sw-2\tseed 7\ttrain.lr=3e-4"),
                "\(dry.stdout)\(dry.stderr)")
        let c = try cluster.connect()
        #expect(try c.execute("SELECT count(*) AS n FROM runs").rows[0].int("n") == 0, "a dry run submits nothing")
        let submit = try cluster.flowcps(["sweep", "submit", file])
        #expect(submit.status == 0 && submit.stdout.contains("submitted sweep sw: 2 runs"), "\(submit.stderr)")
        let again = try cluster.flowcps(["sweep", "submit", file])
        #expect(again.status == 2 && again.stderr.contains("a sweep named \"sw\" exists already"), "\(again.stderr)")
        #expect(try c.execute("SELECT count(*) AS n FROM runs").rows[0].int("n") == 2, "a refused sweep writes nothing")
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)

        let status = try cluster.flowcps(["sweep", "status", "sw"])
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[1].hasPrefix("sw-1 ") && lines[2].hasPrefix("sw-2 "), "\(status.stdout)")
        #expect(lines.dropFirst().allSatisfy { $0.contains("completed") && $0.contains(" ± ") }, "\(status.stdout)")
        #expect(try cluster.flowcps(["sweep", "list"]).stdout == "sw\t2 runs\t2 completed, 0 active\n")

        // Two images per eval line (24 lines at stride 32), sample 1 drawn from its own noise.
        let images = try c.execute("""
            SELECT e.sample, pg_catalog.count(*) AS n, pg_catalog.count(DISTINCT e.line) AS lines
            FROM eval_samples e JOIN runs r ON r.id = e.run_id WHERE r.name = 'sw-1' AND e.step = 1
            GROUP BY e.sample ORDER BY e.sample
            """).rows.map { (try $0.int("sample"), try $0.int("n"), try $0.int("lines")) }
        #expect(images.map(\.0) == [0, 1] && images.allSatisfy { $0.1 == 12 && $0.2 == 12 }, "\(images)")
        let differing = try c.execute("""
            SELECT pg_catalog.count(*) AS n FROM eval_samples a JOIN eval_samples b USING (run_id, step, line)
            JOIN runs r ON r.id = a.run_id WHERE r.name = 'sw-1' AND a.step = 1 AND a.sample = 0 AND b.sample = 1 AND a.png <> b.png
            """).rows[0].int("n")
        #expect(differing == 12)

        // The view's standard errors (SQL) equal the eval stage's metrics (Swift), category by category.
        let view = try c.execute("""
            SELECT category, strict, strict_se, images FROM eval_curve WHERE run = 'sw-2' AND step = 1
            """).rows.map { (try $0.string("category"), try $0.double("strict"), try $0.double("strict_se"), try $0.int("images")) }
        let metrics = Dictionary(uniqueKeysWithValues: try c.execute("""
            SELECT m.name, m.value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = 'sw-2' AND m.step = 1
            """).rows.map { (try $0.string("name"), try $0.double("value")) })
        #expect(view.count == 7)
        for (category, strict, se, n) in view {
            let key = category == "overall" ? "" : "." + category
            #expect(abs(strict - metrics["eval.strict" + key]!) < 1e-12, "\(category)")
            #expect(abs(se - metrics["eval.strict_se" + key]!) < 1e-12, "\(category): view \(se)")
            #expect(n == (category == "overall" ? 24 : 4))
        }

        // The paired comparison, checked against the stored images: per category the mean of B − A over the
        // images both runs have, and overall the mean of the categories.
        let compare = try cluster.flowcps(["run", "compare", "sw-1", "sw-2", "--json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["categories"] as? [[String: Any]])
        let expected = try c.execute("""
            SELECT a.category, pg_catalog.avg((b.strict::int - a.strict::int)::float8) AS d
            FROM eval_samples a JOIN eval_samples b USING (step, line, sample)
            WHERE a.run_id = (SELECT id FROM runs WHERE name = 'sw-1') AND b.run_id = (SELECT id FROM runs WHERE name = 'sw-2')
              AND a.step = 1 GROUP BY a.category
            """).rows.map { (try $0.string("category"), try $0.double("d")) }
        for (category, d) in expected {
            let row = try #require(rows.first { $0["category"] as? String == category })
            #expect(abs((row["difference"] as! Double) - d) < 1e-12, "\(category)")
        }
        let overall = try #require(rows.last)
        #expect(overall["category"] as? String == "overall" && overall["images"] as? Int == 24)
        #expect(abs((overall["difference"] as! Double) - expected.map(\.1).reduce(0, +) / Double(expected.count)) < 1e-12)
        let before = try cluster.flowcps(["run", "compare", "sw-2", "sw-2"])
        #expect(before.status == 0 && before.stdout.hasPrefix("A = sw-2 after step 0, B = sw-2 after step 1"), "\(before.stdout)")
        let noStep = try cluster.flowcps(["run", "compare", "sw-1", "sw-2", "--step-b", "5"])
        #expect(noStep.status == 2 && noStep.stderr.contains("no complete evaluation after step 5; it has: 0, 1"), "\(noStep.stderr)")

        // The report of the sweep: its table and both runs; the export names the second image of a line LINE-1.png.
        let out = dir + "/report"
        let report = try cluster.flowcps(["report", "sw", "--out", out])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(page.contains("<h2>Sweep sw</h2>") && page.contains("<td>sw-1</td>") && page.contains("<td>train.lr=3e-4</td>"))
        let export = dir + "/export"
        #expect(try cluster.flowcps(["run", "export", "sw-1", "--out", export]).status == 0)
        let csv = try String(contentsOfFile: export + "/eval.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv[0] == "step,line,category,prompt,strict,rewards,sample" && csv.count == 1 + 2 * 24)
        #expect(FileManager.default.fileExists(atPath: export + "/eval/step-1/1.png")
                && FileManager.default.fileExists(atPath: export + "/eval/step-1/1-1.png"))
    }
}
