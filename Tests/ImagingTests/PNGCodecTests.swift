import Foundation
import Testing
import Imaging

struct PNGCodecTests {
    /// An image of pseudo-random bytes (a simple LCG, so this module's tests need nothing else).
    private func noiseImage(width: Int, height: Int, seed: UInt32) -> RGBImage {
        var state = seed
        let bytes = (0..<(width * height * 3)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        return RGBImage(width: width, height: height, pixels: bytes)
    }

    @Test(arguments: [(1, 1), (7, 3), (32, 32), (100, 17)])
    func roundTripIsBitExact(width: Int, height: Int) throws {
        let image = noiseImage(width: width, height: height, seed: UInt32(width * 31 + height))
        let png = try PNGCodec.encode(image)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) // PNG signature
        let decoded = try PNGCodec.decode(png)
        #expect(decoded == image)
    }

    @Test func fileRoundTrip() throws {
        let image = noiseImage(width: 9, height: 5, seed: 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-png-\(UUID()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PNGCodec.write(image, to: path)
        #expect(try PNGCodec.read(from: path) == image)
    }

    @Test func flatImagesCompressBetterThanNoise() throws {
        let flat = RGBImage(width: 32, height: 32, fill: RGB(20, 22, 28))
        #expect(try PNGCodec.encode(flat).count < PNGCodec.encode(noiseImage(width: 32, height: 32, seed: 1)).count / 4)
    }

    @Test func nonPNGDataIsAClearError() {
        for junk in [[UInt8](), Array("hello, this is not a PNG file at all".utf8), [UInt8](repeating: 0, count: 100)] {
            #expect {
                _ = try PNGCodec.decode(junk)
            } throws: { error in
                guard let e = error as? ImagingError else { return false }
                return e.code == .decode && e.message.lowercased().contains("png")
            }
        }
    }

    @Test(arguments: [0.3, 0.6, 0.9])
    func truncatedPNGIsAClearError(fraction: Double) throws {
        let png = try PNGCodec.encode(noiseImage(width: 32, height: 32, seed: 9))
        let cut = Array(png.prefix(Int(Double(png.count) * fraction)))
        #expect {
            _ = try PNGCodec.decode(cut)
        } throws: { error in
            guard let e = error as? ImagingError else { return false }
            return e.code == .decode && !e.message.isEmpty
        }
    }

    /// A PNG whose header declares 20000 × 20000 pixels is refused at once, from the header (it used to be
    /// inflated: over a gigabyte and many seconds). The header is patched with its CRC recomputed.
    @Test func hugeDeclaredSizeIsRefusedFromTheHeader() throws {
        var png = try PNGCodec.encode(noiseImage(width: 8, height: 8, seed: 2))
        // IHDR: length (4) at 8, "IHDR" at 12, width at 16, height at 20, ..., CRC at 29 over bytes 12..<29.
        for (offset, value) in [(16, UInt32(20000)), (20, UInt32(20000))] {
            for i in 0..<4 { png[offset + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(i))) }
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in png[12..<29] {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        for i in 0..<4 { png[29 + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
        #expect {
            _ = try PNGCodec.decode(png)
        } throws: { ($0 as? ImagingError)?.message.contains("20000×20000") == true }
        #expect(try PNGCodec.decode(PNGCodec.encode(noiseImage(width: 64, height: 64, seed: 1)), maxPixels: 64 * 64).width == 64)
        #expect(throws: ImagingError.self) {
            _ = try PNGCodec.decode(PNGCodec.encode(noiseImage(width: 64, height: 64, seed: 1)), maxPixels: 64 * 63)
        }
    }

    @Test func corruptedDataIsAnErrorNotACrash() throws {
        var png = try PNGCodec.encode(noiseImage(width: 16, height: 16, seed: 4))
        for i in stride(from: 40, to: png.count - 12, by: 7) { png[i] ^= 0x5A }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(png) }
    }

    @Test func missingFileIsAnIOError() {
        #expect {
            _ = try PNGCodec.read(from: "/nonexistent/flowcps/none.png")
        } throws: { error in
            (error as? ImagingError)?.code == .io
        }
    }

    @Test func emptyImageCannotBeEncoded() {
        #expect(throws: ImagingError.self) { _ = try PNGCodec.encode(RGBImage(width: 0, height: 0)) }
    }
}
