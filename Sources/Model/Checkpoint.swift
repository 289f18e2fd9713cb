import Foundation

/// Model checkpoints as safetensors: one F32 tensor per layout entry (names from the layout table), the config as
/// JSON and the training step in `__metadata__` (`flowcps.config`, `flowcps.step`, `flowcps.format`).
public enum Checkpoint {
    public static let format = "flowcps-unet-v1"

    /// The tensors of a flat buffer laid out by `layout`, names prefixed by `prefix`.
    public static func tensors(of buffer: UnsafeBufferPointer<Float>, layout: ParameterLayout,
                               prefix: String = "") -> [SafeTensor] {
        layout.entries.map { e in
            SafeTensor(name: prefix + e.name, shape: e.shape,
                       values: Array(UnsafeBufferPointer(rebasing: buffer[e.offset..<(e.offset + e.count)])))
        }
    }

    /// Writes the model's parameters (and optional extra tensors, e.g. optimizer moments) with metadata.
    public static func save(_ model: FlowUNet, step: Int, to path: String, extra: [SafeTensor] = [],
                            metadata: [String: String] = [:]) throws {
        try file(model, step: step, extra: extra, metadata: metadata).write(path: path)
    }

    /// The checkpoint as safetensors bytes for a database row (the database keeps and verifies their sha256).
    public static func serialized(_ model: FlowUNet, step: Int, extra: [SafeTensor] = [],
                                  metadata: [String: String] = [:]) throws -> [UInt8] {
        try file(model, step: step, extra: extra, metadata: metadata).serialized()
    }

    /// The safetensors file of a model and its extras.
    public static func file(_ model: FlowUNet, step: Int, extra: [SafeTensor] = [],
                            metadata: [String: String] = [:]) throws -> SafetensorsFile {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same model gives the same bytes
        let config = String(decoding: try encoder.encode(model.config), as: UTF8.self)
        var meta = metadata
        meta["flowcps.format"] = format
        meta["flowcps.config"] = config
        meta["flowcps.step"] = String(step)
        return SafetensorsFile(tensors: tensors(of: UnsafeBufferPointer(model.parameters), layout: model.layout) + extra,
                               metadata: meta)
    }

    /// The config stored in a checkpoint's metadata.
    public static func config(of file: SafetensorsFile, name: String) throws -> ModelConfig {
        guard let text = file.metadata["flowcps.config"] else {
            throw ModelError(.badCheckpoint, "\(name): no flowcps.config in the metadata; not a FlowCPS checkpoint")
        }
        do {
            let c = try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8))
            try c.validate()
            return c
        } catch let e as ModelError {
            throw ModelError(.badCheckpoint, "\(name): stored config is invalid: \(e.message)")
        } catch {
            throw ModelError(.badCheckpoint, "\(name): stored config does not decode: \(error)")
        }
    }

    /// The training step stored in a checkpoint (0 when absent).
    public static func step(of file: SafetensorsFile) -> Int { Int(file.metadata["flowcps.step"] ?? "") ?? 0 }

    /// Copies tensors named `prefix + entry.name` into `buffer`, checking that each exists with the layout's shape.
    public static func fill(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ParameterLayout, from file: SafetensorsFile,
                            prefix: String = "", name: String) throws {
        var byName: [String: SafeTensor] = [:]
        for t in file.tensors { byName[t.name] = t }
        for e in layout.entries {
            guard let t = byName[prefix + e.name] else {
                throw ModelError(.badCheckpoint, "\(name): tensor \(prefix + e.name) is missing")
            }
            guard t.shape == e.shape else {
                throw ModelError(.badCheckpoint, "\(name): tensor \(prefix + e.name) has shape \(t.shape), the model expects \(e.shape)")
            }
            try copy(t, into: buffer, at: e, name: name)
        }
    }

    /// Copies one tensor of the layout's shape, refusing NaN and infinities.
    private static func copy(_ t: SafeTensor, into buffer: UnsafeMutableBufferPointer<Float>, at e: ParameterEntry,
                             name: String) throws {
        guard t.values.allSatisfy(\.isFinite) else {
            throw ModelError(.badCheckpoint, "\(name): tensor \(t.name) holds NaN or infinite values")
        }
        for i in 0..<e.count { buffer[e.offset + i] = t.values[i] }
    }

    /// Grows a checkpoint into a larger architecture: copies every tensor of `file` whose name and shape match an
    /// entry of `layout` into `buffer`, and returns the names of the entries left as they were (freshly
    /// initialised). Throws when a tensor of the file has no place in the layout, or the wrong shape: the model
    /// may gain tensors, never lose or reshape one.
    public static func fillGrowing(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ParameterLayout,
                                   from file: SafetensorsFile, name: String) throws -> [String] {
        let entries = Dictionary(uniqueKeysWithValues: layout.entries.map { ($0.name, $0) })
        for t in file.tensors {
            guard let e = entries[t.name] else {
                throw ModelError(.badCheckpoint, "\(name): tensor \(t.name) has no place in the new config")
            }
            guard t.shape == e.shape else {
                throw ModelError(.badCheckpoint, "\(name): tensor \(t.name) has shape \(t.shape), the new config expects \(e.shape)")
            }
        }
        var byName: [String: SafeTensor] = [:]
        for t in file.tensors { byName[t.name] = t }
        var fresh: [String] = []
        for e in layout.entries {
            guard let t = byName[e.name] else {
                fresh.append(e.name)
                continue
            }
            try copy(t, into: buffer, at: e, name: name)
        }
        return fresh
    }

    /// Loads a model (config from the metadata) and its step.
    public static func load(path: String, threads: Int = 1) throws -> (model: FlowUNet, step: Int, file: SafetensorsFile) {
        try load(file: try SafetensorsFile.read(path: path), name: path, threads: threads)
    }

    /// Loads a model from checkpoint bytes (a database row); `name` labels errors.
    public static func load(bytes: [UInt8], name: String, threads: Int = 1) throws -> (model: FlowUNet, step: Int, file: SafetensorsFile) {
        try load(file: try SafetensorsFile.parse(bytes, name: name), name: name, threads: threads)
    }

    static func load(file: SafetensorsFile, name path: String, threads: Int) throws -> (model: FlowUNet, step: Int, file: SafetensorsFile) {
        let model = try FlowUNet(config: config(of: file, name: path), seed: 0, threads: threads)
        try fill(model.parameters, layout: model.layout, from: file, name: path)
        return (model, step(of: file), file)
    }
}
