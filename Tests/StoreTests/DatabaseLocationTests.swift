import Testing
@testable import Store

/// Which database the environment names, and that its one-line summary never shows a password (audit M10).
struct DatabaseLocationTests {
    @Test(arguments: [
        ("postgresql://flow:s3cret@db.example:5432/flowcps", "postgresql://flow:***@db.example:5432/flowcps"),
        ("postgresql://db.example/flowcps?user=flow&password=s3cret", "postgresql://db.example/flowcps?user=flow&password=***"),
        ("host=db.example user=flow password=s3cret dbname=flowcps", "host=db.example user=flow password=*** dbname=flowcps"),
        ("host=db password = 'se cr\\'et' dbname=f", "host=db password = *** dbname=f"),
        ("host=db PASSWORD=s3cret", "host=db PASSWORD=***"),
        ("postgresql://flow@db/flowcps", "postgresql://flow@db/flowcps"),
    ])
    func summariesNeverShowThePassword(connection: String, shown: String) {
        let summary = DatabaseLocation.fromEnvironment(["FLOWCPS_DATABASE_URL": connection]).summary
        #expect(!summary.contains("s3cret") && !summary.contains("se cr"), "\(summary)")
        #expect(summary.contains(shown), "\(summary)")
    }
}
