import Foundation
import Imaging
import Testing

struct PlotCLITests {
    @Test func seedsAreAveragedWhereEveryFileHasAValue() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "step,r,q\n0,1,7\n1,2,8\n2,,9\n".write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
        try "step,r\n0,3\n1,4\n2,5\n3,6\n".write(toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
        let r = try CLI.run(["plot", "--out", dir + "/f.svg", "--y", "r", "--title", "T", "--table",
                             "both=\(dir)/a.csv+\(dir)/b.csv", "b, η=1=\(dir)/b.csv", "q=\(dir)/a.csv@q"])
        #expect(r.status == 0, "\(r.stderr)")
        // both: mean of a and b at steps 0 and 1 only (a has no r at step 2); q: a's own column.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(5)) == ["step,both,\"b, η=1\",q", "0,2.0,3.0,7.0", "1,3.0,4.0,8.0",
                                           "2,,5.0,9.0", "3,,6.0,"])
        let svg = try String(contentsOfFile: dir + "/f.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("both") && svg.contains(">T<"))
        let png = try CLI.run(["plot", "--out", dir + "/f.png", "--y", "r", "--smooth", "3", "--table", "b=\(dir)/b.csv"])
        #expect(png.status == 0 && png.stdout.hasPrefix("step,b\n0,3.5\n1,4.0\n2,5.0\n3,5.5\n"), "\(png.stdout)")
        #expect(try PNGCodec.read(from: dir + "/f.png").width == 720)
    }

    @Test func fitYFitsTheAxisToTheData() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "step,r\n10,0.55\n11,0.68\n".write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
        for (flags, lowest) in [([String](), "0"), (["--fit-y"], "0.55")] {
            let r = try CLI.run(["plot", "--out", dir + "/f.svg", "--y", "r"] + flags + ["a=\(dir)/a.csv"])
            #expect(r.status == 0, "\(r.stderr)")
            // The first right-aligned text is the lowest y tick.
            let svg = try String(contentsOfFile: dir + "/f.svg", encoding: .utf8)
            let tick = svg.components(separatedBy: "text-anchor=\"end\">")[1].prefix { $0 != "<" }
            #expect(tick == lowest, "\(flags): lowest y tick \(tick)")
        }
    }

    @Test func badInputIsOneLineWithStatusTwo() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "step,r\n0,1\n1,x\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        try "step,r\n0,1\n".write(toFile: dir + "/ok.csv", atomically: true, encoding: .utf8)
        for (args, needle) in [(["a=\(dir)/ok.csv"], "--y"), (["--y", "r", "a=\(dir)/none.csv"], "cannot read"),
                               (["--y", "z", "a=\(dir)/ok.csv"], "no column \"z\""),
                               (["--y", "r", "a=\(dir)/bad.csv"], "line 3"), (["--y", "r", "nolabel"], "LABEL=FILE"),
                               (["--y", "r", "a=\(dir)/ok.csv+"], "LABEL=FILE"),
                               (["--y", "r", "--smooth", "0", "a=\(dir)/ok.csv"], "--smooth")] {
            let r = try CLI.run(["plot", "--out", dir + "/f.svg"] + args)
            #expect(r.status == 2 && r.stderr.contains(needle) && r.stderr.split(separator: "\n").count == 1,
                    "\(args): \(r.status) \(r.stderr)")
        }
        let r = try CLI.run(["plot", "--out", dir + "/f.jpg", "--y", "r", "a=\(dir)/ok.csv"])
        #expect(r.status == 2 && r.stderr.contains(".svg or .png"))
    }
}
