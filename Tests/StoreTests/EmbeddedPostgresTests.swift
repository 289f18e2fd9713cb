import Foundation
@testable import Store
import Testing

/// Audit M4 and L5: the embedded cluster's own configuration keeps it private (no TCP listener, no trust, a
/// mode-700 socket), whatever starts it, and a folder path that needs quoting is no problem.
@Suite struct EmbeddedPostgresTests {
    @Test func theClusterIsPrivateByItsOwnConfiguration() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flowcps embedded $(x) '\(UUID().uuidString.prefix(6))'").path
        let server = EmbeddedPostgres(directory: dir + "/postgres")
        defer {
            _ = try? server.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try server.start()
        let c = try Connection(url: server.url)
        #expect(try c.execute("SHOW listen_addresses").rows[0].string("listen_addresses") == "")
        #expect(try c.execute("SHOW unix_socket_permissions").rows[0].string("unix_socket_permissions") == "0700")
        let methods = try c.execute("SELECT DISTINCT auth_method FROM pg_hba_file_rules ORDER BY 1").rows
            .map { try $0.string("auth_method") }
        #expect(methods == ["peer", "reject"], "\(methods)")
        // Local users may act as each of flowcps's roles, the reward workers' included (docs/external-rewards.md).
        let roles = try c.execute("SELECT DISTINCT pg_username FROM pg_ident_file_mappings ORDER BY 1").rows
            .map { try $0.string("pg_username") }
        #expect(roles == ["flowcps_reader", "flowcps_reward_worker", "flowcps_worker", "postgres"], "\(roles)")
        // Started by hand, without any of flowcps's options, it stays private.
        try server.stop()
        let bin = try EmbeddedPostgres.binDirectory()
        try server.run("/usr/bin/env", ["PGDATA=" + server.dataDirectory, bin + "/pg_ctl", "-w", "start"], asOwner: true)
        let again = try Connection(url: server.url)
        #expect(try again.execute("SHOW listen_addresses").rows[0].string("listen_addresses") == "")
    }

    @Test func folderKeysAreStableAndDistinct() {
        #expect(EmbeddedPostgres.folderKey("/root/a/.flowcps/postgres") == EmbeddedPostgres.folderKey("/root/a/.flowcps/postgres"))
        #expect(EmbeddedPostgres.folderKey("/root/a/.flowcps/postgres") != EmbeddedPostgres.folderKey("/root/b/.flowcps/postgres"))
        #expect(EmbeddedPostgres.folderKey("").count == 16)
    }
}
