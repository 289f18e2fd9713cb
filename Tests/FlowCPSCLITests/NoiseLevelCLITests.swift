import Foundation
import Imaging
import Testing

struct NoiseLevelCLITests {
    @Test func tableReproducesTheNotebookNumbers() throws {
        let r = try CLI.run(["noise-level", "--sampler", "flow-sde", "--noise", "0.7", "--steps", "16", "--shift", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("  16   0.0000    0.0480") && r.stdout.contains("accumulated error 0.5359"), "\(r.stdout)")
        let d = try CLI.run(["noise-level", "--sampler", "dance-sde", "--noise", "0.3", "--steps", "16", "--shift", "1"])
        #expect(d.stdout.contains("0.0875") && d.stdout.contains("accumulated error 0.1491"), "\(d.stdout)")
    }

    @Test func jsonHasIdealPerStepAndAccumulatedError() throws {
        let r = try CLI.run(["noise-level", "--sampler", "cps", "--noise", "0.7", "--steps", "10", "--shift", "3",
                             "--grid", "sd3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let ideal = o?["ideal"] as? [Double], perStep = o?["per_step"] as? [Double]
        #expect(ideal?.count == 10 && ideal == perStep && o?["accumulated_error"] as? Double == 0)
        let many = try CLI.run(["noise-level", "--sampler", "flow-sde,dance-sde", "--noise", "0.3,0.7", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(many.stdout.utf8)) as? [Any])?.count == 4)
        let listed = try CLI.run(["noise-level", "--series", "flow-sde:0.3,dance-sde:0.3,cps:0.7", "--json"])
        let objects = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        #expect(objects?.map { $0["sampler"] as? String ?? "" } == ["flow-sde", "dance-sde", "cps"])
        #expect(objects?.map { $0["noise"] as? Double ?? -1 } == [0.3, 0.3, 0.7])
        let measured = try CLI.run(["noise-level", "--sampler", "flow-sde", "--measure", "50000", "--json"])
        let m = try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as? [String: Any]
        let theory = m?["per_step"] as? [Double] ?? [], mc = m?["measured"] as? [Double] ?? []
        #expect(theory.count == 16 && mc.count == 16)
        for (a, b) in zip(theory, mc) { #expect(abs(a - b) < 0.03 * a, "\(a) vs \(b)") }
    }

    @Test func plotsAreWrittenAsSVGOrPNG() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svg = try CLI.run(["noise-level", "--noise", "0.3,0.7", "--plot", dir + "/f.svg"])
        #expect(svg.status == 0)
        let text = try String(contentsOfFile: dir + "/f.svg", encoding: .utf8)
        #expect(text.hasPrefix("<svg") && text.contains("Flow-SDE a=0.7") && text.contains("ideal"))
        #expect(try CLI.run(["noise-level", "--plot", dir + "/f.png"]).status == 0)
        let excess = try CLI.run(["noise-level", "--series", "flow-sde:0.7,cps:0.7", "--plot-excess", dir + "/e.svg"])
        #expect(excess.status == 0)
        let e = try String(contentsOfFile: dir + "/e.svg", encoding: .utf8)
        #expect(e.contains("Excess noise over the schedule") && e.contains("CPS η=0.7"))
        #expect(try PNGCodec.read(from: dir + "/f.png").width == 720)
    }

    @Test func invalidOptionsExitWithStatusTwo() throws {
        for (args, needle) in [(["--sampler", "cps", "--noise", "1.5"], "[0, 1]"),
                               (["--sampler", "flow-sde", "--noise", "0"], "> 0"),
                               (["--steps", "0"], "steps"), (["--shift", "0"], "shift"), (["--shift=-2"], "shift"),
                               (["--sampler", "ddpm"], "unknown sampler"), (["--noise", "x"], "not a number"),
                               (["--grid", "karras"], "unknown grid"),
                               (["--series", "cps"], "sampler:noise"), (["--measure", "1"], "--measure"), (["--series", "cps:x"], "not a number"), (["--plot", "/tmp/fig.jpg"], ".svg or .png"),
                               (["--plot-excess", "/tmp/fig.jpg"], "--plot-excess")] {
            let r = try CLI.run(["noise-level"] + args)
            #expect(r.status == 2 && r.stderr.contains(needle) && r.stderr.split(separator: "\n").count == 1,
                    "\(args): \(r.status) \(r.stderr)")
        }
    }
}
