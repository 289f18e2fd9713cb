/// Limits of the shapes world (docs/world.md), in world pixels of the 32×32 canvas.
public enum World {
    /// Side of the canvas all layouts are made on; rendering at another size scales it.
    public static let canvas = 32
    /// Most objects one scene holds.
    public static let maxObjects = 4
    /// Object radii (half the bounding-box side).
    public static let radii = 4...7
    /// Free pixels kept between any two objects' boxes (so same-coloured objects never touch).
    public static let objectGap = 2
    /// Free pixels kept between an object's box and the canvas edge.
    public static let edgeMargin = 1
    /// Longest text of the OCR family (5 glyphs of 6 px fit the canvas).
    public static let maxTextLength = 5
}
