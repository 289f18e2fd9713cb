/// A sweep's runs and its points over their seeds, as table cells (formatted once, by `flowcps sweep`, for its
/// status and for the report).
public struct SweepTable: Sendable {
    public var name: String
    public var header: [String]
    public var rows: [[String]]
    /// Per point over its seeds (empty when every point has a single run).
    public var pointHeader: [String]
    public var pointRows: [[String]]

    public init(name: String, header: [String], rows: [[String]], pointHeader: [String], pointRows: [[String]]) {
        self.name = name
        self.header = header
        self.rows = rows
        self.pointHeader = pointHeader
        self.pointRows = pointRows
    }

    /// The tables as HTML (every cell escaped).
    func html() -> String {
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
                + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>\n" }.joined() + "</table>\n"
        }
        var s = "<h2>Sweep \(esc(name))</h2>\n" + table(header, rows)
        if !pointRows.isEmpty { s += "<h3>Per point, over its seeds</h3>\n" + table(pointHeader, pointRows) }
        return s
    }
}
