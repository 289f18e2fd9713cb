import Foundation
import Testing
@testable import Training

/// Sweep files: the grid's order, run names and seeds, the order overrides apply in, and errors that name the field.
@Suite struct SweepFileTests {
    /// A base run file in a fresh folder (absolute path, so the test does not depend on the working directory).
    static func baseFile() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/base.yaml"
        try "name: base\nseed: 5\nsteps: 40\ntrain:\n  lr: 2e-5\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aGridRunsEveryCombinationPerSeedWithTheLastFieldFastest() throws {
        let base = try Self.baseFile()
        let sweep = try SweepFile.decode(yaml: """
            name: g
            run: \(base)
            set: {steps: 12}
            seeds: [0, 3]
            grid:
              train.lr: [1e-4, 3e-4]
              train.timesteps: [first, random]
            """)
        #expect(sweep.members.map(\.config.name) == ["g-1-s0", "g-1-s3", "g-2-s0", "g-2-s3", "g-3-s0", "g-3-s3", "g-4-s0", "g-4-s3"])
        #expect(sweep.members.map(\.point) == [1, 1, 2, 2, 3, 3, 4, 4])
        #expect(sweep.members.map(\.seed) == [0, 3, 0, 3, 0, 3, 0, 3])
        #expect(sweep.members.map(\.config.seed) == [0, 3, 0, 3, 0, 3, 0, 3])
        #expect(sweep.members.map(\.config.train.lr) == [1e-4, 1e-4, 1e-4, 1e-4, 3e-4, 3e-4, 3e-4, 3e-4])
        #expect(sweep.members.map(\.config.train.timesteps) == [.first, .first, .random, .random, .first, .first, .random, .random])
        #expect(sweep.members.allSatisfy { $0.config.steps == 12 })
        #expect(sweep.members[2].overrides == ["train.lr=1e-4", "train.timesteps=random"])
    }

    @Test func pointsOverrideTheCommonSettingsWhichOverrideTheRunFile() throws {
        let base = try Self.baseFile()
        let sweep = try SweepFile.decode(yaml: """
            name: p
            run: \(base)
            set: {train.lr: 1e-4, steps: 8}
            points:
              - {}
              - {train.lr: 5e-4, sampler.sde_window: [1, 3]}
            """)
        #expect(sweep.members.map(\.config.name) == ["p-1", "p-2"])
        #expect(sweep.members.map(\.config.seed) == [5, 5], "without seeds the run file's seed is kept")
        #expect(sweep.members.map(\.config.train.lr) == [1e-4, 5e-4])
        #expect(sweep.members[1].config.sampler.sdeWindow == 1..<3)
        #expect(sweep.members.allSatisfy { $0.config.steps == 8 })
    }

    @Test func mistakesAreNamed() throws {
        let base = try Self.baseFile()
        let cases: [(String, String)] = [
            ("name: x\nrun: \(base)\ngrid: {train.lr: [1e-4]}\npoints: [{}]\n", "either grid or points"),
            ("name: x\nrun: \(base)\nsweeep: 1\n", "sweeep"),
            ("run: \(base)\n", "needs a name"),
            ("name: x\n", "base run file"),
            ("name: x\nrun: \(base)\nseeds: [0, 0]\n", "seed 0 is given twice"),
            ("name: x\nrun: \(base)\nseeds: [a]\n", "is not a seed"),
            ("name: x\nrun: \(base)\ngrid: {train.lr: []}\n", "grid.train.lr"),
            ("name: x\nrun: \(base)\npoints: [{train.lr: 1e-4}, {train.clip_range: 2}]\n", "point 2"),
            ("name: x\nrun: \(base)\npoints: [{name: y}]\n", "named by the sweep"),
            ("name: x\nrun: /nonexistent.yaml\n", "cannot read the run file"),
            ("name: x\nrun: \(base)\ngrid: {train.lr: [1e-4, 2e-4, 3e-4, 4e-4], train.beta: [0, 1, 2, 3, 4, 5, 6, 7], steps: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n", "at most 256"),
        ]
        for (yaml, message) in cases {
            #expect {
                _ = try SweepFile.decode(yaml: yaml)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        let e = #expect(throws: ConfigError.self) {
            _ = try SweepFile.decode(yaml: "name: x\nrun: \(base)\npoints: [{train.lr: 1e-4}, {train.clip_range: 2}]\n")
        }
        #expect(e?.field == "train.clip_range" && e?.message.contains("point 2 (train.clip_range=2)") == true, "\(String(describing: e))")
    }
}
