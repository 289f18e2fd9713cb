import CLibPNG
import Foundation

/// PNG encoding and decoding through libpng's simplified API (`png_image_*`). The only file importing `CLibPNG`.
///
/// The simplified API catches libpng's errors internally and reports them in `png_image.message`, so corrupt or
/// truncated input becomes an `ImagingError` instead of a `longjmp` through Swift frames.
public enum PNGCodec {
    /// PNG bytes of an 8-bit RGB image (libpng's default zlib settings; no metadata chunks).
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw ImagingError(.encode, "cannot encode an empty \(image.width)×\(image.height) image as PNG")
        }
        var png = makeImage(width: image.width, height: image.height)
        var size: png_alloc_size_t = 0
        let rowStride = png_int_32(image.width * 3)
        // First call with no buffer asks for the size.
        let sized = image.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&png, nil, &size, 0, px.baseAddress, rowStride, nil)
        }
        guard sized != 0, size > 0 else { throw ImagingError(.encode, "PNG encode failed: \(message(of: &png))") }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { px in
                png_image_write_to_memory(&png, dst.baseAddress, &size, 0, px.baseAddress, rowStride, nil)
            }
        }
        guard ok != 0 else { throw ImagingError(.encode, "PNG encode failed: \(message(of: &png))") }
        out.removeSubrange(Int(size)...)
        return out
    }

    /// Largest image decoded by default: 4096 × 4096 pixels (48 MiB of RGB). Larger images are refused from their
    /// header, before any pixel is allocated or inflated.
    public static let defaultMaxPixels = 1 << 24

    /// Decodes PNG bytes of any colour type and bit depth to 8-bit RGB (alpha composited onto black, grey expanded).
    /// Images of more than `maxPixels` pixels are refused from the header alone.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        guard bytes.count >= 8 else {
            throw ImagingError(.decode, "not a PNG file (only \(bytes.count) bytes)")
        }
        var png = makeImage(width: 0, height: 0)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&png, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw ImagingError(.decode, "not a readable PNG: \(message(of: &png))") }
        png.format = png_uint_32(PNG_FORMAT_RGB)
        let width = Int(png.width), height = Int(png.height)
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15, width * height <= maxPixels else {
            png_image_free(&png)
            throw ImagingError(.decode, "unsupported PNG size \(width)×\(height) (at most \(maxPixels) pixels)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        // The data must stay alive through finish_read: libpng reads it lazily.
        let done = bytes.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { dst in
                png_image_finish_read(&png, nil, dst.baseAddress, png_int_32(width * 3), nil)
            }
        }
        guard done != 0 else {
            let why = message(of: &png)
            png_image_free(&png)
            throw ImagingError(.decode, "corrupt or truncated PNG: \(why)")
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Writes `image` as a PNG file.
    public static func write(_ image: RGBImage, to path: String) throws {
        let bytes = try encode(image)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ImagingError(.io, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads and decodes a PNG file.
    public static func read(from path: String) throws -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImagingError(.io, "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try decode([UInt8](data))
        } catch let e as ImagingError {
            throw ImagingError(e.code, "\(path): \(e.message)")
        }
    }

    private static func makeImage(width: Int, height: Int) -> png_image {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(width)
        png.height = png_uint_32(height)
        png.format = png_uint_32(PNG_FORMAT_RGB)
        return png
    }

    private static func message(of png: inout png_image) -> String {
        let text = withUnsafeBytes(of: &png.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "libpng reported no detail" : text
    }
}
