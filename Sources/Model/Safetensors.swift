import Foundation
import NumericCore

/// A tensor in a safetensors file (float32 only: the format FlowCPS writes and reads).
public struct SafeTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) holds \(shape.reduce(1, *)) values, got \(values.count)")
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping tensor names
/// to dtype, shape and byte offsets (plus a string-to-string `__metadata__`), then the raw little-endian data.
/// Files written here open with Python's `safetensors.numpy.load_file`, and files written there load here.
public struct SafetensorsFile: Sendable, Equatable {
    public var tensors: [SafeTensor]
    public var metadata: [String: String]

    public init(tensors: [SafeTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`.
    public func tensor(_ name: String) -> SafeTensor? { tensors.first { $0.name == name } }

    /// The file's bytes. The header is padded with spaces to a multiple of 8; tensors are stored in order.
    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])).map { [UInt8]($0) } ?? []
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        let n = UInt64(json.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += json
        for t in tensors {
            t.values.withUnsafeBytes { raw in out.append(contentsOf: raw) } // little-endian hosts only (x86-64, arm64)
        }
        return out
    }

    /// Parses file bytes; every structural problem is a `ModelError(.badCheckpoint)` naming it.
    public static func parse(_ bytes: [UInt8], name: String = "checkpoint") throws -> SafetensorsFile {
        func bad(_ m: String) -> ModelError { ModelError(.badCheckpoint, "\(name): \(m)") }
        guard bytes.count >= 8 else { throw bad("too short to be a safetensors file (\(bytes.count) bytes)") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8), n < 100_000_000 else {
            throw bad("header length \(n) exceeds the file (\(bytes.count) bytes): truncated or not safetensors")
        }
        let headerEnd = 8 + Int(n)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
              let header = object as? [String: Any] else { throw bad("header is not a JSON object") }
        let dataCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [(Int, SafeTensor)] = []
        for (key, value) in header {
            if key == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("tensor \(key) has a malformed entry") }
            guard dtype == "F32" else { throw bad("tensor \(key) has dtype \(dtype); FlowCPS reads F32") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("tensor \(key) has a negative dimension") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= dataCount else {
                throw bad("tensor \(key) lies outside the data (\(begin)..<\(end) of \(dataCount) bytes): truncated?")
            }
            // Overflow-safe: a product beyond the data section (or Int) is refused before anything is allocated.
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataCount / 4 else {
                    throw bad("tensor \(key): shape \(shape) needs more bytes than the file's \(dataCount)")
                }
                count = product
            }
            guard end - begin == 4 * count else {
                throw bad("tensor \(key): shape \(shape) needs \(4 * count) bytes, the file gives \(end - begin)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(headerEnd + begin)..<(headerEnd + end)]))
                }
            }
            tensors.append((begin, SafeTensor(name: key, shape: shape, values: values)))
        }
        if let expected = metadata["flowcps.data_sha256"] {
            let actual = SHA256.hex(bytes[headerEnd...])
            guard actual == expected else { throw bad("data checksum mismatch (file corrupted)") }
        }
        return SafetensorsFile(tensors: tensors.sorted { $0.0 < $1.0 }.map(\.1), metadata: metadata)
    }

    /// Reads and parses a file.
    public static func read(path: String) throws -> SafetensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError(.io, "cannot read \(path)")
        }
        return try parse([UInt8](data), name: path)
    }

    /// The file with the sha256 of its data section in the metadata key `flowcps.data_sha256`.
    public func checksummed() -> SafetensorsFile {
        var withSum = self
        var data = [UInt8]()
        for t in tensors { t.values.withUnsafeBytes { data.append(contentsOf: $0) } }
        withSum.metadata["flowcps.data_sha256"] = SHA256.hex(data)
        return withSum
    }

    /// Writes the file atomically (a temporary file renamed over the target), with a checksum of the data section
    /// in the metadata key `flowcps.data_sha256`.
    public func write(path: String) throws {
        let bytes = checksummed().serialized()
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: tmp)
            guard rename(tmp.path, url.path) == 0 else { throw ModelError(.io, String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw ModelError(.io, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
