import Foundation
import Imaging
import Testing

/// `flowcps dataset`: one PNG per (line, sample) and an index naming each with its prompt; the same seed gives the
/// same bytes; an existing index is never overwritten; bad input is an error, not a crash.
struct DatasetCLITests {
    @Test func writesOneImagePerLineAndSampleWithAnIndexAndRefusesToOverwrite() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# two lines\ncounting\tthree red circles\ntext\tthe text \"A7\"\n"
            .write(toFile: dir + "/p.txt", atomically: true, encoding: .utf8)
        let r = try CLI.run(["dataset", "--prompts", dir + "/p.txt", "--samples", "3", "--seed", "4", "--out", dir + "/a"])
        #expect(r.status == 0, "\(r.stderr)")
        let index = try String(contentsOfFile: dir + "/a/index.tsv", encoding: .utf8).split(separator: "\n")
        #expect(index.first == "file\tline\tsample\tcategory\tprompt")
        #expect(index.count == 7 && index[1] == "0-0.png\t0\t0\tcounting\tthree red circles")
        #expect(index[6] == "1-2.png\t1\t2\ttext\tthe text \"A7\"")
        let image = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/0-1.png"))))
        #expect(image.width == 32 && image.height == 32)
        // Samples differ; a second folder with the same seed has the same bytes.
        let again = try CLI.run(["dataset", "--prompts", dir + "/p.txt", "--samples", "3", "--seed", "4", "--out", dir + "/b"])
        #expect(again.status == 0)
        for f in ["0-0.png", "0-2.png", "1-1.png"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/" + f)) == Data(contentsOf: URL(fileURLWithPath: dir + "/b/" + f)))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/0-0.png")) != Data(contentsOf: URL(fileURLWithPath: dir + "/a/0-1.png")))
        let refused = try CLI.run(["dataset", "--prompts", dir + "/p.txt", "--out", dir + "/a"])
        #expect(refused.status != 0 && refused.stderr.contains("exists"), "\(refused.stderr)")
        let bad = try CLI.run(["dataset", "--prompts", dir + "/p.txt", "--samples", "0", "--out", dir + "/c"])
        #expect(bad.status != 0 && bad.stderr.contains("--samples"))
        try "counting\tthree red dragons\n".write(toFile: dir + "/bad.txt", atomically: true, encoding: .utf8)
        let unknown = try CLI.run(["dataset", "--prompts", dir + "/bad.txt", "--out", dir + "/d"])
        #expect(unknown.status != 0 && !unknown.stderr.isEmpty)
    }
}
