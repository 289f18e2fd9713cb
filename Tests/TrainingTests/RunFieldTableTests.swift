import Foundation
import Testing
import Training

/// The run-file field table is the one source of the codec, the checks and the docs.
struct RunFieldTableTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// docs/grpo.md's table (between its markers) is `RunConfig.fieldTableMarkdown`, row for row.
    @Test func theDocsTableIsTheFieldTable() throws {
        let doc = try String(contentsOfFile: Self.repository + "/docs/grpo.md", encoding: .utf8)
        let begin = "<!-- run-file fields: generated from RunConfig.fields -->\n", end = "<!-- end of run-file fields -->"
        let start = try #require(doc.range(of: begin), "docs/grpo.md has no run-file table markers")
        let stop = try #require(doc.range(of: end, range: start.upperBound..<doc.endIndex))
        let written = String(doc[start.upperBound..<stop.lowerBound])
        let expected = RunConfig.fieldTableMarkdown
        if written != expected {
            let path = NSTemporaryDirectory() + "run-file-fields.md"
            try expected.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("docs/grpo.md's run-file table differs from RunConfig.fields; the table as it should be: \(path)")
        }
    }

    /// Every field once; every path decodes from the encoded default; a value out of each field's range is an
    /// error naming that field.
    @Test func everyFieldIsListedOnceAndRoundTrips() throws {
        let paths = RunConfig.fields.map(\.path)
        #expect(Set(paths).count == paths.count)
        #expect(paths.count >= 45, "\(paths.count) fields")
        let yaml = RunConfigFile.encode(RunConfig())
        for p in paths { #expect(yaml.contains(p.split(separator: ".").last! + ":"), "\(p) not written") }
        #expect(try RunConfigFile.decode(yaml: yaml) == RunConfig())
        for f in RunConfig.fields where !f.range.isEmpty {
            guard case .int = f.defaultValue else { continue }
            let e = #expect(throws: ConfigError.self) { try RunConfigFile.decode(yaml: "", overrides: ["\(f.path)=-1000000"]) }
            #expect(e?.field == f.path, "\(f.path): \(String(describing: e))")
        }
    }
}
