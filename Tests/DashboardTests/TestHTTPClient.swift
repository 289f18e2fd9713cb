import Foundation
import HTTPTypes
@testable import Dashboard

/// An answer as the tests read it.
struct TestResponse {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]
}

/// A minimal HTTP/1.1 client over a loopback socket (one request per connection, `Connection: close`), so the
/// tests talk to the real server on a real port without an HTTP client library.
struct TestHTTPClient: Sendable {
    let port: Int

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:]) async throws -> TestResponse {
        // Blocking socket calls run on a dispatch thread: the server answers on Swift concurrency's few threads,
        // which a blocked test must not hold.
        let port = self.port
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                c.resume(with: Result { try TestHTTPClient.exchange(port: port, uri: uri, method: method, headers: headers) })
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func exchange(port: Int, uri: String, method: HTTPRequest.Method, headers: HTTPFields) throws -> TestResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port) failed") }
        var request = "\(method.rawValue) \(uri) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: 0\r\n"
        for field in headers { request += "\(field.name.rawName): \(field.value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: "send failed") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        guard let split = response.indices.first(where: { i in
            i + 3 < response.count && response[i] == 13 && response[i + 1] == 10 && response[i + 2] == 13 && response[i + 3] == 10
        }) else { throw Failure(description: "no header end in \(response.count) bytes") }
        let head = String(decoding: response[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let code = Int(statusParts[1]) else { throw Failure(description: "bad status line \(head[0])") }
        var fields = HTTPFields()
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else { continue }
            fields.append(HTTPField(name: name, value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(response[(split + 4)...])
        if let length = fields[.contentLength].flatMap(Int.init), body.count > length { body = Array(body[..<length]) }
        return TestResponse(status: HTTPResponse.Status(code: code), headers: fields, body: body)
    }
}
