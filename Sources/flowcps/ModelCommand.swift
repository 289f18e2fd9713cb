import ArgumentParser
import Foundation
import Model
import NumericCore

extension FlowCPS {
    /// `flowcps model`: create and inspect checkpoints.
    struct ModelTool: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract: "Create and inspect model checkpoints (safetensors).",
            subcommands: [Init.self, Info.self]
        )
    }
}

extension FlowCPS.ModelTool {
    /// `flowcps model init`: a freshly initialised checkpoint.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a freshly initialised model checkpoint.")

        @Option(help: "standard, v2, tiny, tiny-v2, or a JSON file of ModelConfig fields.")
        var config = "standard"

        @Option(help: "Initialisation seed.")
        var seed: UInt64 = 0

        @Option(help: "Output .safetensors path.")
        var out: String

        func run() throws {
            let model = try FlowUNet(config: try loadConfig(config), seed: seed)
            try Checkpoint.save(model, step: 0, to: out)
            print("wrote \(out): \(model.parameters.count) parameters in \(model.layout.entries.count) tensors")
        }
    }

    /// `flowcps model info`: what a checkpoint holds.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a checkpoint's config, step and size.")

        @Argument(help: "A .safetensors checkpoint.")
        var path: String

        func run() throws {
            let (model, step, file) = try Checkpoint.load(path: path)
            let config = String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self)
            print("\(path): step \(step), \(model.parameters.count) parameters, \(file.tensors.count) tensors")
            print("config \(config)")
            var bytes = [UInt8]()
            for v in model.parameters { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            print("parameters_sha256 \(SHA256.hex(bytes))")
            for (k, v) in file.metadata.sorted(by: { $0.key < $1.key }) where k != "flowcps.config" { print("\(k) \(v)") }
        }
    }
}

/// A model config from a name (standard, v2, tiny, tiny-v2) or a JSON file.
func loadConfig(_ spec: String) throws -> ModelConfig {
    switch spec {
    case "standard": return .standard
    case "tiny": return .tiny
    case "v2": return .v2
    case "tiny-v2": return .tinyV2
    default:
        guard let data = FileManager.default.contents(atPath: spec) else {
            throw InputError("--config: \(spec) is neither standard, v2, tiny, tiny-v2 nor a readable JSON file")
        }
        do {
            let c = try JSONDecoder().decode(ModelConfig.self, from: data)
            try c.validate()
            return c
        } catch let e as ModelError {
            throw InputError("\(spec): \(e.message)")
        } catch {
            throw InputError("\(spec): not a model config: \(error.localizedDescription)")
        }
    }
}
