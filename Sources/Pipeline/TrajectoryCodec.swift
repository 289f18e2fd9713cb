import Foundation

/// Rollout chains as `bytea`: states as little-endian Float32 (`count`, `dimension` as UInt32 first) and log-probs
/// as little-endian Float64 with NaN for a deterministic step (a real log-prob is never NaN).
enum TrajectoryCodec {
    static func encode(states: [[Float]]) -> [UInt8] {
        let dimension = states.first?.count ?? 0
        var out = [UInt8]()
        out.reserveCapacity(8 + 4 * states.count * dimension)
        withUnsafeBytes(of: UInt32(states.count).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(dimension).littleEndian) { out.append(contentsOf: $0) }
        for s in states {
            precondition(s.count == dimension, "ragged trajectory")
            for v in s { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }

    static func decodeStates(_ bytes: [UInt8]) throws -> [[Float]] {
        guard bytes.count >= 8 else { throw PipelineError.corrupt("trajectory states shorter than their header") }
        let count = Int(UInt32(littleEndian: load(bytes, 0))), dimension = Int(UInt32(littleEndian: load(bytes, 4)))
        guard bytes.count == 8 + 4 * count * dimension else {
            throw PipelineError.corrupt("trajectory states: \(bytes.count) bytes for \(count) × \(dimension) floats")
        }
        return (0..<count).map { i in
            (0..<dimension).map { j in Float(bitPattern: UInt32(littleEndian: load(bytes, 8 + 4 * (i * dimension + j)))) }
        }
    }

    static func encode(logProbs: [Double?]) -> [UInt8] {
        var out = [UInt8]()
        for v in logProbs { withUnsafeBytes(of: (v ?? .nan).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    static func decodeLogProbs(_ bytes: [UInt8]) throws -> [Double?] {
        guard bytes.count % 8 == 0 else { throw PipelineError.corrupt("log-probs: \(bytes.count) bytes") }
        return (0..<(bytes.count / 8)).map { i in
            let v = Double(bitPattern: UInt64(littleEndian: load(bytes, 8 * i)))
            return v.isNaN ? nil : v
        }
    }

    private static func load<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int) -> T {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}
